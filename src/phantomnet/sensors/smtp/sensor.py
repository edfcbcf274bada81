"""SMTP sensor: Postfix on the wire, a spam trap underneath.

Accepts EHLO/HELO, STARTTLS (the persona's certificate), AUTH PLAIN/LOGIN (credentials
recorded), pipelining and DATA; looks like an open relay to the client; stores each message
(size-capped ``.eml`` named by SHA-256) and its attachments, flags spoofing and spam-trap
hits, and never delivers anything nor connects anywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, ClassVar

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from pydantic import Field

from phantomnet.deception.host import FakeHost
from phantomnet.events import (
    AuthAttempt,
    ClientFingerprint,
    CommandInput,
    Endpoint,
    SmtpAttachment,
    SmtpMessage,
    attacker_text,
)
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session, Slot
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.smtp import postfix
from phantomnet.sensors.smtp.message import analyse
from phantomnet.sensors.tls import ensure_certificate, server_context

BAD_ADDRESS = {
    "MAIL": "501 5.1.7 Bad sender address syntax",
    "RCPT": "501 5.1.3 Bad recipient address syntax",
}
DEFAULT_USERS = ("root", "postmaster", "admin", "webmaster", "www-data", "mail", "abuse")


class SmtpConfig(SensorConfig):
    """``[sensors.smtp]``"""

    port: int = Field(default=2525, ge=0, le=65535)
    hostname: str | None = None
    local_domains: tuple[str, ...] = ()
    local_users: tuple[str, ...] = DEFAULT_USERS
    max_message_bytes: int = Field(default=10_240_000, ge=1024)
    max_recipients: int = Field(default=100, ge=1)
    starttls: bool = True
    auth: bool = True
    auth_accept: bool = True
    spam_traps: tuple[str, ...] = ()
    idle_timeout_s: float = Field(default=300, gt=0)
    command_call_limit: int = Field(default=1000, ge=10)
    #: Total time from the greeting to HELO/EHLO, and for one DATA phase (the idle timer
    #: alone lets a slow client keep a slot per line for ``idle_timeout_s``).
    helo_timeout_s: float = Field(default=60, gt=0)
    data_timeout_s: float = Field(default=600, gt=0)


class PostfixSMTP(SMTP):
    """aiosmtpd's protocol engine, speaking Postfix, bound to one PhantomNet session."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, sensor: SmtpSensor, handler: TrapHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.sensor = sensor
        self.trap = handler
        self._refused = False
        self._source = ""
        self._slot: Slot | None = None
        self._reason = ""
        self._live: asyncio.BaseTransport | None = None
        self._smtp_methods = {k: self._recorded(k, m) for k, m in self._smtp_methods.items()}

    def _recorded(self, verb: str, method: Any) -> Any:
        async def call(arg: str | None) -> None:
            line = verb if not arg else f"{verb} {arg}"
            if verb == "AUTH":
                line = f"AUTH {(arg or '').split()[0] if arg else ''}".strip()
            await self.trap.emit(CommandInput, protocol="smtp", command=attacker_text(line))
            timer = None
            if verb in ("MAIL", "DATA") and self._slot is not None:
                self._slot.settled = True  # sending mail: evicted only as a last resort
            if verb == "DATA":  # a timer, not a cancel: aiosmtpd swallows the cancellation
                timer = asyncio.get_running_loop().call_later(
                    self.sensor.config.data_timeout_s, self.phase_timeout
                )
            try:
                await method(arg)
            except (IndexError, ValueError, LookupError):
                # aiosmtpd's address parser (email._header_value_parser) fails on some
                # hostile addresses, e.g. ``MAIL FROM:<``: answer like Postfix does.
                if verb not in BAD_ADDRESS:
                    raise
                await self.push(BAD_ADDRESS[verb])
            finally:
                if timer is not None:
                    timer.cancel()

        return call

    async def push(self, status: Any) -> None:
        await super().push(postfix.translate(status) if isinstance(status, str) else status)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername") or ("0.0.0.0", 0)
        local = transport.get_extra_info("sockname") or ("0.0.0.0", 0)
        self._source = str(peer[0])
        self._slot = self.sensor.limiter.acquire(self._source, evict=self.evict)
        if self._slot is None:
            self._refused = True
            host = self.sensor.hostname
            reply = f"421 4.7.0 {host} Error: too many connections from {peer[0]}\r\n"
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(reply.encode())
            transport.close()
            return
        super().connection_made(transport)
        self._live = transport
        self.sensor.live.add(transport)
        session = self.sensor.open_session(
            Endpoint(ip=str(peer[0]), port=int(peer[1])),
            Endpoint(ip=str(local[0]), port=int(local[1])),
        )
        self.trap.bind(session)
        self.sensor.spawn(session.open())
        total = self.sensor.config.session_timeout_s
        loop = asyncio.get_running_loop()
        self._total_timer = loop.call_later(total, transport.close)
        self._helo_timer: asyncio.TimerHandle | None = loop.call_later(
            self.sensor.config.helo_timeout_s, self.phase_timeout
        )

    def evict(self) -> None:
        """A newcomer needed this slot (the door is full and this /24 the heaviest, see
        :class:`SlotLimiter`): Postfix's too-many-connections reply, then close."""
        self._reason = "evicted"
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            host = self.sensor.hostname
            transport.write(f"421 4.7.0 {host} Error: too many connections\r\n".encode())
            transport.close()

    def helo_seen(self) -> None:
        if self._helo_timer is not None:
            self._helo_timer.cancel()
            self._helo_timer = None

    def phase_timeout(self) -> None:
        """No HELO in time, or a DATA phase too long: Postfix's 421, then close."""
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            host = self.sensor.hostname
            transport.write(f"421 4.4.2 {host} Error: timeout exceeded\r\n".encode())
            transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        super().connection_lost(error)
        self._total_timer.cancel()
        self.sensor.live.discard(self._live)
        self.helo_seen()
        if self.trap.session is not None:
            reason = self._reason or ("peer" if error is None else "error")
            self.sensor.spawn(self.trap.session.close(reason))
        if self._slot is not None:
            self.sensor.limiter.release(self._slot)

    async def smtp_EXPN(self, arg: str) -> None:
        await self.push("502 5.5.2 Error: command not recognized")

    async def smtp_HELP(self, arg: str) -> None:
        await self.push("502 5.5.2 Error: command not recognized")

    async def smtp_ETRN(self, arg: str) -> None:
        await self.push("500 Syntax: ETRN domain" if not arg else "458 Unable to queue messages")


class TrapHandler:
    """aiosmtpd hooks for one connection: replies in Postfix wording, events, storage."""

    def __init__(self, sensor: SmtpSensor) -> None:
        self.sensor = sensor
        self.session: Session | None = None
        self.auth_user: str | None = None
        self.helo: str | None = None

    def bind(self, session: Session) -> None:
        self.session = session

    async def emit(self, kind: Any, **fields: Any) -> None:
        if self.session is not None:
            await self.session.emit(kind, **fields)

    async def handle_HELO(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, hostname: str
    ) -> str:
        session.host_name = hostname
        if isinstance(server, PostfixSMTP):
            server.helo_seen()
        await self._remember_helo(hostname)
        return f"250 {self.sensor.hostname}"

    async def handle_EHLO(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if isinstance(server, PostfixSMTP):
            server.helo_seen()
        await self._remember_helo(hostname)
        cfg = self.sensor.config
        tls_active = bool(getattr(server, "_tls_protocol", None))
        return postfix.ehlo_lines(
            self.sensor.hostname,
            size=cfg.max_message_bytes,
            starttls=cfg.starttls and not tls_active,
            auth=cfg.auth,
        )

    async def _remember_helo(self, hostname: str) -> None:
        if self.helo is None:
            await self.emit(
                ClientFingerprint,
                protocol="smtp",
                method="smtp_ehlo",
                value=attacker_text(hostname, 256),
            )
        self.helo = hostname

    async def handle_MAIL(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.sensor.config.max_recipients:
            return "452 4.5.3 Error: too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_VRFY(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str
    ) -> str:
        local = address.split("@", 1)[0]
        return postfix.vrfy_reply(local, local.lower() in self.sensor.local_users)

    async def handle_NOOP(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, arg: str
    ) -> str:
        return "250 2.0.0 Ok"

    async def handle_RSET(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        return "250 2.0.0 Ok"

    async def handle_QUIT(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        return "221 2.0.0 Bye"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        queue_id = postfix.queue_id()
        await self.sensor.store_message(self, envelope, raw)
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def on_auth(self, mechanism: str, data: Any) -> AuthResult:
        """Answer an AUTH (aiosmtpd asks synchronously) and record it in the background."""
        username = password = b""
        if isinstance(data, LoginPassword):
            username, password = data.login, data.password
        accepted = self.sensor.config.auth_accept
        if accepted:
            self.auth_user = username.decode("utf-8", "backslashreplace")
        method = mechanism.lower() if mechanism.lower() in ("plain", "login") else "other"
        self.sensor.spawn(
            self.emit(
                AuthAttempt,
                protocol="smtp",
                method=method,
                username=attacker_text(username, 256),
                password=attacker_text(password, 256),
                accepted=accepted,
                client_version=attacker_text(self.helo, 256) if self.helo else None,
            )
        )
        return AuthResult(success=accepted, handled=False)


def _authenticator(
    server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    assert isinstance(server, PostfixSMTP)
    return server.trap.on_auth(mechanism, auth_data)


class SmtpSensor(Sensor):
    """The ``smtp`` sensor plug-in."""

    name: ClassVar[str] = "smtp"
    protocol: ClassVar[str] = "smtp"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (25, 465, 587)
    Config: ClassVar[type[SensorConfig]] = SmtpConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, SmtpConfig)
        self.config: SmtpConfig = config
        self.hostname, domain, users = persona_names(ctx, config)
        self.local_domains = {d.lower() for d in (*config.local_domains, domain) if d}
        self.local_users = {u.lower() for u in (*config.local_users, *users)}
        self.spam_traps = {t.lower() for t in config.spam_traps}
        self.store = ctx.data_dir / "smtp"
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.messages = 0

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        tls = None
        if self.config.starttls:
            host: FakeHost = self.ctx.shared_object(
                "fake_host", lambda: FakeHost.load(self.ctx.data_dir)
            )
            cert, key = ensure_certificate(
                self.ctx.data_dir / "tls", self.hostname, host.persona.identity.installed_at
            )
            tls = server_context(cert, key)
        (self.store / "messages").mkdir(parents=True, exist_ok=True)
        (self.store / "attachments").mkdir(parents=True, exist_ok=True)
        self._server = await bind(
            "sensors.smtp.port", self.config.host, self.config.port,
            protocol=lambda: self._protocol(tls),
        )  # fmt: skip
        self.bound_port = bound_port(self._server)

    def _protocol(self, tls: Any) -> PostfixSMTP:
        cfg = self.config
        return PostfixSMTP(
            self,
            TrapHandler(self),
            hostname=self.hostname,
            ident="ESMTP Postfix (Debian/GNU)",
            data_size_limit=cfg.max_message_bytes,
            enable_SMTPUTF8=True,
            tls_context=tls,
            timeout=cfg.idle_timeout_s,
            auth_require_tls=False,
            authenticator=_authenticator,
            command_call_limit=cfg.command_call_limit,
            auth_exclude_mechanism=None if cfg.auth else ["PLAIN", "LOGIN"],
        )

    async def run(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drain()
        if self._tasks:  # the events sessions published in the background (open, close, auth)
            await asyncio.wait(list(self._tasks), timeout=self.config.drain_timeout_s)
        for task in list(self._tasks):
            task.cancel()

    async def store_message(self, trap: TrapHandler, envelope: Envelope, raw: bytes) -> None:
        """Write the .eml and attachments (named by SHA-256) and publish ``smtp.message``."""
        sha = hashlib.sha256(raw).hexdigest()
        path = self.store / "messages" / f"{sha}.eml"
        mail_from = envelope.mail_from or ""
        info = analyse(
            raw,
            mail_from=mail_from,
            local_domains=self.local_domains,
            authenticated=trap.auth_user is not None,
        )
        # mail shares the fake host's disk budget with uploads and recordings: ask first
        host: FakeHost = self.ctx.shared_object(
            "fake_host", lambda: FakeHost.load(self.ctx.data_dir)
        )
        kept = host.disk.reserve(len(raw) + sum(len(a.payload) for a in info.attachments))
        if kept:
            await asyncio.to_thread(_write_once, path, raw)
        attachments = []
        for att in info.attachments:
            if kept:
                await asyncio.to_thread(
                    _write_once, self.store / "attachments" / att.sha256, att.payload
                )
            attachments.append(
                SmtpAttachment(
                    filename=attacker_text(att.filename, 256),
                    content_type=attacker_text(att.content_type, 128),
                    sha256=att.sha256,
                    size=len(att.payload),
                )
            )
        rcpts = tuple(attacker_text(r, 320) for r in envelope.rcpt_tos)
        self.messages += 1
        await trap.emit(
            SmtpMessage,
            helo=attacker_text(trap.helo, 256) if trap.helo else None,
            mail_from=attacker_text(mail_from, 320),
            rcpt_to=rcpts,
            header_from=attacker_text(info.header_from, 512) if info.header_from else None,
            subject=attacker_text(info.subject, 512) if info.subject else None,
            size=len(raw),
            sha256=sha,
            attachments=tuple(attachments),
            spoofing=info.spoofing,
            spam_trap=self.is_trap(envelope.rcpt_tos),
            authenticated_as=attacker_text(trap.auth_user, 256) if trap.auth_user else None,
            stored_as=str(path.relative_to(self.ctx.data_dir)) if kept else None,
        )

    def is_trap(self, rcpts: list[str]) -> bool:
        for rcpt in rcpts:
            addr = rcpt.lower().strip("<>")
            if addr in self.spam_traps or addr.split("@", 1)[0] in self.spam_traps:
                return True
        return False

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "events": self.messages}


def _write_once(path: Path, data: bytes) -> None:
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


def persona_names(ctx: SensorContext, cfg: SmtpConfig) -> tuple[str, str, tuple[str, ...]]:
    """(FQDN, mail domain, local users) of the shared fake host, so SMTP agrees with SSH,
    HTTP and the TLS certificate (``hostname -f`` in the shell equals the greeting)."""
    host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
    fqdn = cfg.hostname or host.persona.fqdn
    domain = fqdn.split(".", 1)[1] if "." in fqdn else fqdn
    users = tuple(u.name for u in host.persona.identity.users)
    return fqdn, domain, users
