"""PostgreSQL sensor: Debian 12's PostgreSQL 15 on the wire, the fake host's SQL engine behind.

The start-up (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage), the password
exchange (:mod:`.auth`), ParameterStatus/BackendKeyData/ReadyForQuery are answered byte for
byte like the real server; queries go to ``host.sql`` (one copy-on-write database per source,
shared with the other doors) through :mod:`.query`. Every login is an ``auth.attempt``, every
query a ``db.query``. Malformed input gets the real backend's error or its silent close.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import secrets
import ssl
import struct
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field
from scramp import ScramException

from phantomnet.deception.host import FakeHost
from phantomnet.events import AuthAttempt, DbQuery, HoneytokenTriggered, attacker_text
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session
from phantomnet.sensors.deadline import RateDeadline
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.postgres import auth, wire
from phantomnet.sensors.postgres.engine import EngineLike, SessionLike, sql_error
from phantomnet.sensors.postgres.origin import locate
from phantomnet.sensors.postgres.query import Backend
from phantomnet.sensors.postgres.wire import PgError, WireError
from phantomnet.sensors.tls import ensure_certificate, server_context

log = logging.getLogger(__name__)

#: GUCs a client may set in its startup packet (others: 42704 after authentication).
STARTUP_GUCS = frozenset(
    g.lower()
    for g in (
        "application_name",
        "client_encoding",
        "DateStyle",
        "TimeZone",
        "search_path",
        "extra_float_digits",
        "IntervalStyle",
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "geqo",
        "standard_conforming_strings",
        "default_transaction_isolation",
        "default_transaction_read_only",
        "work_mem",
        "client_min_messages",
        "bytea_output",
        "jit",
        "options",
        "replication",
        "database",
        "user",
        "role",
        "timezone_abbreviations",
        "datestyle",
        "intervalstyle",
        "tcp_keepalives_idle",
        "tcp_keepalives_interval",
        "tcp_keepalives_count",
        "idle_session_timeout",
        "lc_messages",
        "lc_monetary",
        "lc_numeric",
        "lc_time",
        "enable_seqscan",
        "synchronous_commit",
        "session_replication_role",
        "row_security",
        "target_session_attrs",
        "default_transaction_deferrable",
        "transaction_isolation",
    )
)
NO_USER = PgError(
    "FATAL",
    "28000",
    "no PostgreSQL user name specified in startup packet",
    "postmaster.c",
    2349,
    "ProcessStartupPacket",
)
#: Frontend message types a backend accepts after login.
FRONTEND = frozenset(b"QPBDECSHXFdcf")


class PostgresConfig(SensorConfig):
    """``[sensors.postgresql]``"""

    port: int = Field(default=5433, ge=0, le=65535)
    #: answer SSLRequest with ``S`` and the persona's certificate (Debian's ``ssl = on``)
    ssl: bool = True
    #: answer GSSENCRequest like Debian's GSSAPI build (``G``, then drop a bad token) or ``N``
    gssenc: bool = True
    #: ``auto``: SCRAM-SHA-256 unless the credential policy accepts unknown passwords for the
    #: user (then cleartext ``password``); see ``sensors/postgres/auth.py``
    auth_method: auth.MethodSetting = "auto"
    #: per-user method, by glob (``{"postgres" = "md5"}``)
    auth_methods: dict[str, auth.Method] = Field(default_factory=dict)
    #: roles reported as superusers (is_superuser). None by default: the engine answers like
    #: PostgreSQL answers an unprivileged role, and a superuser refused pg_read_file is a tell
    superusers: tuple[str, ...] = ()
    timezone: str = "Etc/UTC"
    #: PostgreSQL's ``authentication_timeout``
    login_timeout_s: float = Field(default=60, gt=0)
    failed_login_delay_s: float = Field(default=0.0, ge=0)
    max_message_bytes: int = Field(default=1 << 20, ge=1024)
    max_prepared: int = Field(default=1000, ge=1)
    #: longest wait for the ``pg_sleep()`` of one message (the engine caps it too)
    max_sleep_s: float = Field(default=30.0, ge=0)
    #: slow mode: every answer to these sources (CIDRs; ``["0.0.0.0/0", "::/0"]`` for all)
    #: waits ``tarpit_delay_s``
    tarpit_sources: tuple[str, ...] = ()
    tarpit_delay_s: float = Field(default=2.0, ge=0, le=60)


class Hangup(Exception):
    """End the connection now (after sending ``data``), like a backend that exits."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__("hangup")
        self.data = data


class PgConversation:
    """One client connection, from the first packet to Terminate."""

    def __init__(
        self,
        sensor: PostgresSensor,
        session: Session,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.sensor, self.session, self.reader, self.writer = sensor, session, reader, writer
        self.cfg: PostgresConfig = sensor.config
        self.host: FakeHost = sensor.host
        self.source = session.src.ip
        self.tls = False
        self.tarpit = sensor.tarpitted(self.source)
        self.deadline = RateDeadline(self.cfg.login_timeout_s, 0)
        self.logged_in = False
        self.scram_final = ""

    # -- I/O -------------------------------------------------------------------------------
    async def send(self, data: bytes) -> None:
        if not data:
            return
        if self.tarpit and self.cfg.tarpit_delay_s:
            await asyncio.sleep(self.cfg.tarpit_delay_s)
        self.writer.write(data)
        self.session.bytes_out += len(data)
        if self.logged_in:  # a client that stops reading a result: idle_timeout_s at most
            # (not before: a drain wrapped in a task right before start_tls stalls the handshake)
            await asyncio.wait_for(self.writer.drain(), self.cfg.idle_timeout_s)
        else:
            await self.writer.drain()

    def _wait(self) -> float:
        return self.cfg.idle_timeout_s if self.logged_in else self.deadline.remaining()

    async def read(self, n: int) -> bytes:
        data = await asyncio.wait_for(self.reader.readexactly(n), max(self._wait(), 0.001))
        self.session.bytes_in += n
        return data

    async def read_message(self) -> tuple[int, bytes]:
        """One typed frontend message; a bad length ends the connection without a word (as the
        backend does: its "invalid message length" goes to the server log only)."""
        head = await self.read(5)
        kind, length = head[0], struct.unpack("!i", head[1:])[0]
        if length < 4 or length - 4 > self.cfg.max_message_bytes:
            raise Hangup()
        return kind, await self.read(length - 4)

    # -- start-up --------------------------------------------------------------------------
    async def serve(self) -> None:
        try:
            startup = await self.startup()
            if startup is None:
                return
            backend = await self.login(startup)
            if backend is None:
                return
            await self.commands(backend)
        except Hangup as bye:
            if bye.data:
                self.writer.write(bye.data)
                self.session.bytes_out += len(bye.data)
                await self.writer.drain()
        except asyncio.IncompleteReadError:
            return

    async def startup(self) -> wire.Startup | None:
        ssl_done = gss_done = False
        while True:
            length = struct.unpack("!i", await self.read(4))[0]
            if length < 8 or length > wire.MAX_STARTUP_PACKET:
                return None  # "invalid length of startup packet": logged, connection dropped
            body = await self.read(length - 4)
            code = struct.unpack("!I", body[:4])[0]
            if code == wire.SSL_REQUEST and not ssl_done:
                ssl_done = True
                if self.cfg.ssl and self.sensor.tls_context is not None:
                    await self.send(b"S")
                    await self.writer.start_tls(self.sensor.tls_context)
                    self.tls, gss_done = True, True
                else:
                    await self.send(b"N")
                continue
            if code == wire.GSSENC_REQUEST and not gss_done:
                if self.cfg.gssenc:
                    await self.send(b"G")
                    # a GSSAPI token follows; without a keytab the backend fails and exits
                    size = struct.unpack("!I", await self.read(4))[0]
                    if size <= 16384:
                        await self.read(size)
                    return None
                gss_done = True
                await self.send(b"N")
                continue
            if code == wire.CANCEL_REQUEST:
                return None  # nothing runs long enough to cancel; the backend never answers
            if code >> 16 < 3:
                raise Hangup(
                    wire.v2_fatal(
                        f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: "
                        "server supports 3.0 to 3.0"
                    )
                )
            if code >> 16 > 3:
                raise Hangup(wire.unsupported_protocol(code).error())
            try:
                return wire.parse_startup(code, body[4:])
            except WireError as exc:
                raise Hangup(exc.error.error() if exc.error else b"") from exc

    async def login(self, startup: wire.Startup) -> Backend | None:
        params = startup.params
        user = params.get("user", "")
        if not user:
            raise Hangup(NO_USER.error())
        database = params.get("database") or user
        if params.get("replication", "false").lower() in ("true", "on", "yes", "1", "database"):
            enc = "SSL encryption" if self.tls else "no encryption"
            raise Hangup(
                PgError(
                    "FATAL",
                    "28000",
                    f'no pg_hba.conf entry for replication connection from host "{self.source}", '
                    f'user "{user}", {enc}',
                    "auth.c",
                    536,
                    "ClientAuthentication",
                ).error()
            )
        if startup.version & 0xFFFF or startup.unknown_options:
            await self.send(wire.negotiate_protocol(startup.unknown_options))
        accepted = await self.authenticate(user, params)
        if not accepted:
            return None
        out = bytearray(wire.auth(auth.AUTH_OK))
        for key in params:
            if key.lower() not in STARTUP_GUCS:
                raise Hangup(
                    bytes(out)
                    + PgError(
                        "FATAL",
                        "42704",
                        f'unrecognized configuration parameter "{key}"',
                        "guc.c",
                        5766,
                        "find_option",
                    ).error()
                )
        sql_session: SessionLike | None = None
        engine: EngineLike | None = self.sensor.engine()
        if engine is not None:
            try:
                sql_session = engine.session(self.source, "postgres", user=user, database=database)
            except Exception as exc:
                err = sql_error(exc)
                if err is None:
                    raise
                raise Hangup(
                    bytes(out) + locate(err.sqlstate, err.message, "", "FATAL").error()
                ) from exc
        for name, value in self.sensor.parameters(user, params):
            out += wire.parameter_status(name, value)
        out += wire.backend_key(self.sensor.next_pid(), secrets.randbits(32))
        out += wire.ready("I")
        await self.send(bytes(out))
        self.logged_in = True
        return Backend(sql_session, self.cfg.max_prepared, database)

    async def authenticate(self, user: str, params: dict[str, str]) -> bool:
        policy = self.host.policy
        method = auth.choose_method(self.cfg.auth_method, self.cfg.auth_methods, policy, user)
        password: str | None = None
        response: str | None = None
        decided: bool | None = None
        if method == "password":
            await self.send(wire.auth(auth.AUTH_CLEARTEXT))
            password = await self._password_message(user)
        elif method == "md5":
            salt = secrets.token_bytes(4)
            await self.send(wire.auth(auth.AUTH_MD5, salt))
            response = await self._password_message(user)
            for candidate in auth.candidates(policy, self.source, user):
                if auth.md5_response(user, candidate, salt) == response:
                    password = candidate
                    break
            else:  # an unknown password: only a glob or accept_after can let it in
                decided = policy.check_password(self.source, user, response).accepted
        else:
            password = await self._scram(user)
            decided = None if password is not None else False
        token = None
        if password is not None:
            decision = policy.check_password(self.source, user, password)
            decided, token = decision.accepted, decision.token
        accepted = bool(decided)
        if method == "scram-sha-256" and accepted:
            await self.send(wire.auth(auth.AUTH_SASL_FINAL, self.scram_final.encode()))
        client = params.get("application_name")
        shown = password if password is not None else response  # the md5 hash when unknown
        await self.session.emit(
            AuthAttempt,
            protocol="postgresql",
            method="password" if password is not None else "other",
            username=attacker_text(user, 256),
            password=attacker_text(shown, 256) if shown is not None else None,
            accepted=accepted,
            client_version=attacker_text(client, 256) if client else None,
        )
        if token is not None:
            await self.session.emit(
                HoneytokenTriggered,
                token_id=token.token_id,
                token_kind=token.kind,
                protocol="postgresql",
                detail=attacker_text(f"login as {user}"),
            )
        if not accepted:
            if self.cfg.failed_login_delay_s:
                await asyncio.sleep(self.cfg.failed_login_delay_s)
            raise Hangup(auth.password_failed(user).error())
        return True

    async def _password_message(self, user: str) -> str:
        kind, data = await self.read_message()
        if kind != ord("p"):
            if kind == ord("X"):
                raise Hangup()
            raise Hangup(auth.expected_password(kind).error())
        text = data.split(b"\0", 1)[0]
        return text.decode("utf-8", "surrogateescape")

    async def _scram(self, user: str) -> str | None:
        plus = self.tls and self.sensor.cert_pem is not None
        mechs = (b"SCRAM-SHA-256-PLUS\0" if plus else b"") + b"SCRAM-SHA-256\0\0"
        await self.send(wire.auth(auth.AUTH_SASL, mechs))
        kind, data = await self.read_message()
        if kind != ord("p"):
            if kind == ord("X"):
                raise Hangup()
            raise Hangup(auth.expected_sasl(kind).error())
        body = wire.Body(data)
        try:
            mech = body.string()
            size = body.int32()
            first = body.take(size) if size >= 0 else b""
        except WireError as exc:
            raise Hangup(auth.MALFORMED_SCRAM.error()) from exc
        if mech not in ("SCRAM-SHA-256", "SCRAM-SHA-256-PLUS") or (
            mech.endswith("PLUS") and not plus
        ):
            raise Hangup(auth.INVALID_MECHANISM.error())
        exchange = auth.ScramExchange(
            self.sensor.scram, user, plus=mech.endswith("PLUS"), cert_pem=self.sensor.cert_pem
        )
        try:
            server_first = exchange.first(first.decode("utf-8", "strict"))
        except (ScramException, UnicodeDecodeError, ValueError) as exc:
            raise Hangup(auth.MALFORMED_SCRAM.error()) from exc
        await self.send(wire.auth(auth.AUTH_SASL_CONTINUE, server_first.encode()))
        kind, data = await self.read_message()
        if kind != ord("p"):
            if kind == ord("X"):
                raise Hangup()
            raise Hangup(auth.expected_sasl(kind).error())
        try:
            final = data.decode("utf-8", "strict")
        except UnicodeDecodeError as exc:
            raise Hangup(auth.MALFORMED_SCRAM.error()) from exc
        password = exchange.final(final, auth.candidates(self.host.policy, self.source, user))
        self.scram_final = exchange.server_final
        return password

    # -- after login -----------------------------------------------------------------------
    async def commands(self, backend: Backend) -> None:
        try:
            while not self.writer.is_closing():
                kind, data = await self.read_message()
                if kind not in FRONTEND:
                    raise Hangup(backend.take() + wire.invalid_message_type(kind).error())
                if kind == ord("X"):
                    return
                await self.dispatch(backend, kind, data)
        finally:
            if backend.session is not None:
                backend.session.close()

    async def dispatch(self, backend: Backend, kind: int, data: bytes) -> None:
        if kind == ord("Q"):
            body = wire.Body(data)
            try:
                sql = body.string()
            except WireError as exc:
                assert exc.error is not None
                backend.error(exc.error)
                backend.send(wire.ready(backend.tx))
            else:
                backend.query(sql)
        elif kind in b"PBDECSH":
            backend.extended(bytes([kind]), data)
        elif kind == ord("F"):
            backend.error(
                PgError(
                    "ERROR",
                    "42501",
                    "permission denied for function call",
                    "fastpath.c",
                    330,
                    "HandleFunctionRequest",
                )
            )
            backend.send(wire.ready(backend.tx))
        # CopyData/CopyDone/CopyFail outside COPY FROM STDIN: ignored, as the backend does
        await self.publish(backend)
        if kind in b"QSHF" or len(backend.out) > 65536:
            if backend.delay > 0:  # pg_sleep(): time-based blind injection must see the wait
                await asyncio.sleep(min(backend.delay, self.cfg.max_sleep_s))
                backend.delay = 0.0
            await self.send(backend.take())

    async def publish(self, backend: Backend) -> None:
        records, backend.records = backend.records, []
        self.sensor.queries += len(records)
        for rec in records:
            await self.session.emit(
                DbQuery,
                protocol="postgresql",
                query=attacker_text(rec.query),
                database=attacker_text(rec.database, 256) if rec.database is not None else None,
                rows=rec.rows,
                error_code=rec.error_code,
                duration_ms=rec.duration_ms,
            )
            for token in self.host.tokens.match_text(rec.query):  # a planted secret reused
                await self.session.emit(
                    HoneytokenTriggered,
                    token_id=token.token_id,
                    token_kind=token.kind,
                    protocol="postgresql",
                    detail=attacker_text(f"in a query: {rec.query}", 512),
                )


class PostgresSensor(Sensor):
    """The ``postgresql`` sensor plug-in."""

    name: ClassVar[str] = "postgresql"
    protocol: ClassVar[str] = "postgresql"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (5432,)
    Config: ClassVar[type[SensorConfig]] = PostgresConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, PostgresConfig)
        self.config: PostgresConfig = config
        self.host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        self._server: asyncio.Server | None = None
        self.tls_context: ssl.SSLContext | None = None
        self.cert_pem: str | None = None
        seed = self.host.persona.identity.seed
        self.scram = auth.ScramKeys(seed.to_bytes(8, "big", signed=True))
        self._pid = random.SystemRandom().randint(20_000, 600_000)
        self._tarpit_nets = [ipaddress.ip_network(s, strict=False) for s in config.tarpit_sources]
        self.queries = 0

    def engine(self) -> EngineLike | None:
        """The fake host's SQL engine (``host.sql``), or None when this build has none."""
        try:
            engine: EngineLike | None = getattr(self.host, "sql", None)
        except Exception:  # the engine failed to open: the door still logs logins
            log.warning("postgresql: the SQL engine is unavailable", exc_info=True)
            return None
        return engine

    def tarpitted(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr.version == net.version and addr in net for net in self._tarpit_nets)

    def next_pid(self) -> int:
        self._pid += random.randint(1, 9)
        if self._pid > 4_194_000:
            self._pid = 1_000
        return self._pid

    def server_version(self) -> str:
        return self.host.persona.software("postgresql", "15.20 (Debian 15.20-0+deb12u1)")

    def parameters(self, user: str, params: dict[str, str]) -> list[tuple[str, str]]:
        """ParameterStatus in the order PostgreSQL 15 sends it (GUC names, case-insensitive)."""
        lower = {k.lower(): v for k, v in params.items()}
        encoding = lower.get("client_encoding", "UTF8").upper().replace("-", "")
        if encoding in ("UTF8", "UNICODE", ""):
            encoding = "UTF8"
        return [
            ("application_name", lower.get("application_name", "")),
            ("client_encoding", encoding),
            ("DateStyle", lower.get("datestyle", "ISO, MDY")),
            ("default_transaction_read_only", "off"),
            ("in_hot_standby", "off"),
            ("integer_datetimes", "on"),
            ("IntervalStyle", lower.get("intervalstyle", "postgres")),
            ("is_superuser", "on" if user in self.config.superusers else "off"),
            ("server_encoding", "UTF8"),
            ("server_version", self.server_version()),
            ("session_authorization", user),
            ("standard_conforming_strings", "on"),
            ("TimeZone", lower.get("timezone", self.config.timezone)),
        ]

    async def start(self) -> None:
        if self.config.ssl:
            cert, key = ensure_certificate(
                self.ctx.data_dir / "tls",
                self.host.persona.fqdn,
                self.host.persona.identity.installed_at,
            )
            self.tls_context = server_context(cert, key)
            self.cert_pem = Path(cert).read_text("ascii")
        engine = self.engine()
        warm = getattr(engine, "ensure_seed", None)
        if callable(warm):  # seed the company data now, not inside the first attacker's login
            warm()
        self._server = await bind(
            "sensors.postgresql.port", self.config.host, self.config.port, self._on_connect
        )
        self.bound_port = bound_port(self._server)

    async def run(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drain()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # over max_connections a backend answers the startup with 53300; before it, nothing
        refusal = PgError(
            "FATAL", "53300", "sorry, too many clients already", "proc.c", 362, "InitProcess"
        ).error()
        async with self.connection(writer, refusal=refusal) as session:
            if session is None:
                return
            await PgConversation(self, session, reader, writer).serve()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "events": self.queries}
