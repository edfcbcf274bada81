"""One client connection: greeting, optional TLS, login, then the command phase.

Framing errors are answered like MariaDB answers them (``Got packets out of order``,
``Bad handshake``, ``Got a packet bigger than 'max_allowed_packet' bytes``) and end the
connection; SQL errors are ERR packets with the engine's code, SQLSTATE and wording.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from phantomnet.deception.credentials import Decision
from phantomnet.deception.sql import SqlError, SqlResult, SqlSession
from phantomnet.events import (
    AuthAttempt,
    ClientFingerprint,
    DbQuery,
    HoneytokenTriggered,
    attacker_text,
)
from phantomnet.sensors.base import Session, Slot
from phantomnet.sensors.http.tlsfp import fingerprints
from phantomnet.sensors.mysql import commands, ed25519
from phantomnet.sensors.mysql import handshake as hs
from phantomnet.sensors.mysql import packets as p
from phantomnet.sensors.mysql.replies import engine_failed
from phantomnet.sensors.mysql.statements import Statements
from phantomnet.sensors.mysql.tlsconn import TlsConnection, TlsWriter

if TYPE_CHECKING:
    from phantomnet.sensors.mysql.sensor import MysqlSensor


class Conversation:
    def __init__(
        self, sensor: MysqlSensor, session: Session, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter, slot: Slot | None,
    ) -> None:  # fmt: skip
        self.sensor, self.session, self.writer, self.slot = sensor, session, writer, slot
        self.cfg = sensor.config
        self.stream = p.PacketStream(reader, writer, self.cfg.max_handshake_bytes)
        self.flavor = hs.flavor_of(sensor.version)
        self.scramble = hs.new_scramble(self.flavor)
        self.thread_id = sensor.thread_ids.take()
        self.caps = p.CLIENT_PROTOCOL_41
        self.ext_caps = 0
        self.user = ""
        self.client = ""
        self.tls = False
        self._sql: SqlSession | None = None
        self._database: str | None = None
        self.status = p.SERVER_STATUS_AUTOCOMMIT
        self.statements = Statements(self.cfg.max_statements, self.cfg.max_long_data_bytes)
        self.queries = 0
        self.tokens_seen: set[str] = set()

    @property
    def source(self) -> str:
        return self.session.src.ip

    # -- output helpers ------------------------------------------------------------------
    def send(self, payload: bytes) -> None:
        self.stream.write(payload)

    def send_error(self, code: int, sqlstate: str, message: str) -> None:
        protocol41 = bool(self.caps & p.CLIENT_PROTOCOL_41)
        self.send(p.err_packet(code, sqlstate, message, protocol41=protocol41))

    def send_sql_error(self, err: SqlError) -> None:
        self.send_error(err.code, err.sqlstate, err.message)

    def send_ok(self, affected: int = 0, last_id: int = 0, warnings: int = 0) -> None:
        self.send(p.ok_packet(affected, last_id, self.status, warnings))

    def send_eof(self, status: int | None = None, warnings: int = 0) -> None:
        """End of a column list or of rows: EOF, or an OK with 0xFE with DEPRECATE_EOF."""
        st = self.status if status is None else status
        if self.caps & p.CLIENT_DEPRECATE_EOF:
            self.send(p.ok_packet(0, 0, st, warnings, header=0xFE))
        else:
            self.send(p.eof_packet(st, warnings))

    def send_column_eof(self) -> None:
        if not self.caps & p.CLIENT_DEPRECATE_EOF:
            self.send(p.eof_packet(self.status))

    async def flush(self) -> None:
        await self.stream.flush()
        self.session.bytes_in = self.stream.bytes_in
        self.session.bytes_out = self.stream.bytes_out

    # -- the connection ------------------------------------------------------------------
    async def serve(self) -> None:
        try:
            if await self.connect():
                await self.command_loop()
        except p.PacketError as exc:
            protocol41 = exc.protocol41 and bool(self.caps & p.CLIENT_PROTOCOL_41)
            self.send(p.err_packet(exc.code, exc.sqlstate, exc.message, protocol41=protocol41))
            await self.flush()
        except EOFError:  # IncompleteReadError, or EOF inside the TLS handshake
            return  # the client went away
        finally:
            self.session.bytes_in = self.stream.bytes_in
            self.session.bytes_out = self.stream.bytes_out
            self.drop_session()

    async def connect(self) -> bool:
        tls_ctx = self.sensor.tls_context
        version = self.sensor.version
        self.send(hs.greeting(version, self.thread_id, self.scramble, tls=tls_ctx is not None))
        await self.flush()
        async with asyncio.timeout(self.cfg.connect_timeout_s):
            resp = hs.parse_response(await self.stream.read(self.cfg.connect_timeout_s))
            self.caps = resp.caps
            if resp.ssl_request:
                if tls_ctx is None:
                    raise hs.bad_handshake()
                await self.start_tls(tls_ctx)
                resp = hs.parse_response(await self.stream.read(self.cfg.connect_timeout_s))
                if resp.ssl_request:
                    raise hs.bad_handshake()
            self.caps = resp.caps & (self.flavor.caps | p.CLIENT_SSL | p.CLIENT_MYSQL)
            self.ext_caps = resp.ext_caps & self.flavor.ext_caps if not resp.caps & 1 else 0
            token = resp.auth
            if resp.user.decode("utf-8", "replace") in self.cfg.ed25519_users:
                scramble = ed25519.new_scramble()
                self.send(ed25519.switch_request(scramble))
                await self.flush()
                try:
                    signature = await self.stream.read(self.cfg.connect_timeout_s)
                except EOFError:  # a client without client_ed25519 gives up here
                    await self.judge(resp, b"", ed25519_scramble=scramble)
                    raise
                return await self.login(resp, signature, ed25519_scramble=scramble)
            if (resp.plugin and resp.plugin != hs.NATIVE) or len(token) not in (0, 20):
                self.send(hs.auth_switch(self.scramble))
                await self.flush()
                token = await self.stream.read(self.cfg.connect_timeout_s)
            return await self.login(resp, token)

    async def start_tls(self, ctx: ssl.SSLContext) -> None:
        assert isinstance(self.stream.reader, asyncio.StreamReader)
        conn = TlsConnection(self.stream.reader, self.writer, ctx)
        await conn.handshake()
        self.stream.reader, self.stream.writer = conn, TlsWriter(conn)
        self.tls = True
        ja3, ja4 = fingerprints(conn.client_hello or b"")
        for method, value in (("ja3", ja3), ("ja4", ja4)):
            if value:
                await self.session.emit(
                    ClientFingerprint, protocol="mysql", method=method, value=value
                )  # fmt: skip

    async def login(
        self, resp: hs.HandshakeResponse, token: bytes, *, ed25519_scramble: bytes | None = None
    ) -> bool:  # fmt: skip
        """Decide and answer; ``token`` is the native scramble response, or the ed25519
        signature when ``ed25519_scramble`` is the scramble it signs."""
        decision = await self.judge(resp, token, ed25519_scramble=ed25519_scramble)
        user = self.user
        if not decision.accepted:
            if self.cfg.auth_fail_delay_s:
                await asyncio.sleep(self.cfg.auth_fail_delay_s)
            # MariaDB says "using password: YES" after an ed25519 switch whenever the first
            # response carried a token, even if the reply is no signature (checked on 10.11)
            with_password = bool(token) or (ed25519_scramble is not None and bool(resp.auth))
            self.send_denied(user, with_password)
            await self.flush()
            return False
        database = resp.database.decode("utf-8", "replace") if resp.database else None
        self._database = database
        if database is not None:  # checked now, as MariaDB does (1049, 1044)
            try:
                self._sql = self.open_session()
            except SqlError as err:
                self.send_sql_error(err)
                await self.flush()
                return False
            except Exception:
                self.send_sql_error(engine_failed("a new session"))
                await self.flush()
                return False
        self.stream.max_packet = self.cfg.max_allowed_packet
        if self.slot is not None:
            self.slot.settled = True
        self.send_ok()
        await self.flush()
        return True

    async def judge(
        self, resp: hs.HandshakeResponse, token: bytes, *, ed25519_scramble: bytes | None = None
    ) -> Decision:  # fmt: skip
        """The gate's decision, recorded as an auth.attempt (and a honeytoken hit)."""
        user = resp.user.decode("utf-8", "replace")
        self.user = user
        name, ver = resp.attrs.get("_client_name", ""), resp.attrs.get("_client_version", "")
        self.client = f"{name} {ver}".strip()
        program = resp.attrs.get("program_name")
        if program:
            self.client = f"{self.client} ({program})".strip()
        gate = self.sensor.gate
        if ed25519_scramble is None:
            result = gate.decide(self.source, user, token, self.scramble)
        else:
            result = gate.decide_ed25519(self.source, user, token, ed25519_scramble)
        decision = result.decision
        await self.session.emit(
            AuthAttempt, protocol="mysql", method="native" if ed25519_scramble is None else "other",
            username=attacker_text(resp.user, 256),
            password=attacker_text(result.password, 256) if result.password is not None else None,
            key_type=hs.NATIVE if ed25519_scramble is None else ed25519.PLUGIN,
            key_fingerprint=token.hex()[:128] or None,
            accepted=decision.accepted,
            client_version=attacker_text(self.client, 256) if self.client else None,
        )  # fmt: skip
        if decision.token is not None:
            await self.session.emit(
                HoneytokenTriggered, token_id=decision.token.token_id,
                token_kind=decision.token.kind, protocol="mysql",
                detail=attacker_text(f"mysql login as {user[:64]}"),
            )  # fmt: skip
        return decision

    def send_denied(self, user: str, with_password: bool) -> None:
        used = "YES" if with_password else "NO"
        msg = f"Access denied for user '{user}'@'{self.source}' (using password: {used})"
        self.send_error(1045, "28000", msg)

    async def command_loop(self) -> None:
        while not self.writer.is_closing():
            data = await self.stream.read(self.cfg.idle_timeout_s, expect_seq=0)
            done = await commands.dispatch(self, data)
            await self.flush()
            if done:
                return

    # -- the SQL session -------------------------------------------------------------------
    def open_session(self) -> SqlSession:
        session = self.sensor.engine.session(
            self.source, "mysql", user=self.user, database=self._database
        )  # fmt: skip
        session.connection_id = self.thread_id  # CONNECTION_ID(), PROCESSLIST = the greeting's
        return session

    @property
    def sql(self) -> SqlSession:
        """The engine session, opened on first use: a login that never queries (a brute
        forcer, an idle connection) costs the engine nothing. Raises what the engine raises."""
        if self._sql is None:
            self._sql = self.open_session()
        return self._sql

    @property
    def database(self) -> str | None:
        return self._sql.database if self._sql is not None else self._database

    def drop_session(self) -> None:
        if self._sql is not None:
            self._database = self._sql.database
            self._sql.close()
            self._sql = None

    # -- used by the command handlers ----------------------------------------------------
    async def hold(self) -> None:
        """The tarpit: hold this answer if the source is in slow mode."""
        delay = self.sensor.slow.delay(self.source)
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait_out(self, results: Sequence[SqlResult | SqlError]) -> None:
        """SLEEP()/BENCHMARK() take the time they would take on the real server (capped by
        the engine, and here by the idle timeout), so time-based injection works."""
        delay = sum(r.delay_s for r in results if isinstance(r, SqlResult))
        if delay > 0:
            await asyncio.sleep(min(delay, self.cfg.idle_timeout_s))

    async def record(
        self, sql: bytes, started: float, rows: int | None, error: SqlError | None
    ) -> None:  # fmt: skip
        self.queries += 1
        self.sensor.questions += 1
        for token in self.sensor.host.tokens.match_text(sql.decode("utf-8", "replace")):
            if token.token_id not in self.tokens_seen:  # a planted secret reused in SQL
                self.tokens_seen.add(token.token_id)
                await self.session.emit(
                    HoneytokenTriggered, token_id=token.token_id, token_kind=token.kind,
                    protocol="mysql", detail=attacker_text(f"mysql query uses {token.kind}"),
                )  # fmt: skip
        database = self.database
        await self.session.emit(
            DbQuery, protocol="mysql", query=attacker_text(sql),
            database=attacker_text(database, 256) if database else None,
            rows=None if error is not None else rows,
            error_code=str(error.code) if error is not None else None,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )  # fmt: skip
