"""The Telnet honeypot sensor (entry point ``telnet`` in ``phantomnet.sensors``).

On the wire it is Debian 12's inetutils telnetd (the option dialogue, the ``Linux <release>
(<host>) (pts/N)`` banner) followed by shadow's login(1); after a login that the shared
``[deception]`` credential policy accepts, it runs the same fake shell and fake host as the
SSH door through :class:`~phantomnet.sensors.terminal.runner.ShellRunner`, with the same
events and an asciicast recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import ClassVar

from pydantic import Field

from phantomnet.deception.host import FakeHost
from phantomnet.events import EventBase, SessionRequest, attacker_text
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.telnet.conn import TelnetConn
from phantomnet.sensors.telnet.login import Login
from phantomnet.sensors.terminal.outbox import Outbox
from phantomnet.sensors.terminal.recording import Recorder
from phantomnet.sensors.terminal.runner import ShellRunner


class TelnetConfig(SensorConfig):
    """``[sensors.telnet]``. Defaults follow Debian 12: LOGIN_RETRIES 5, LOGIN_TIMEOUT 60,
    pam_faildelay 3 s."""

    port: int = Field(default=2323, ge=0, le=65535)
    login_timeout_s: float = Field(default=60, gt=0)
    login_retries: int = Field(default=5, ge=1, le=100)
    auth_fail_delay_s: float = Field(default=3.0, ge=0, le=30)
    auth_fail_jitter: float = Field(default=0.25, ge=0, le=1)
    #: how long each step of the option dialogue waits for the client's answers (telnetd
    #: waits without limit; a client that never answers gets the login prompt after this)
    negotiation_timeout_s: float = Field(default=10, gt=0)
    record: bool = True
    max_pending_events: int = Field(default=100_000, ge=100)


class TelnetSensor(Sensor):
    name: ClassVar[str] = "telnet"
    protocol: ClassVar[str] = "telnet"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (23,)
    Config: ClassVar[type[SensorConfig]] = TelnetConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, TelnetConfig)
        self.config: TelnetConfig = config
        host = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        assert isinstance(host, FakeHost)
        self.host: FakeHost = host
        self.outbox = Outbox(ctx.bus, config.max_pending_events)
        self._server: asyncio.Server | None = None
        self._publisher_task: asyncio.Task[None] | None = None
        self._pty = 0
        self.logins = 0

    async def start(self) -> None:
        self._server = await bind(
            "sensors.telnet.port", self.config.host, self.config.port, self._on_connect
        )
        self.bound_port = bound_port(self._server)
        self._publisher_task = asyncio.create_task(self.outbox.run())

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drain()
        await self.outbox.flush(self.config.drain_timeout_s)
        if self._publisher_task is not None:
            self._publisher_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher_task
            self._publisher_task = None

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "persona": self.host.persona.spec.id,
            "logins": self.logins,
            "dropped_events": self.outbox.dropped,
        }

    # -- events ---------------------------------------------------------------------------
    def post(self, event: EventBase | None) -> None:
        self.outbox.post(event)

    async def flush(self) -> None:
        """Wait (bounded) until what was posted is published: a session's events go out
        before its ``connection.closed``."""
        await self.outbox.flush(max(self.config.drain_timeout_s, 1.0))

    def next_pty(self) -> int:
        self._pty = (self._pty + 1) % 8
        return self._pty

    # -- connections ----------------------------------------------------------------------
    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self.connection(writer) as session:
            if session is None:
                return
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                await self._serve(session, reader, writer)
            finally:
                await self.flush()

    async def _serve(
        self, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        cfg = self.config

        def count(n_in: int, n_out: int) -> None:
            session.bytes_in += n_in
            session.bytes_out += n_out

        conn = TelnetConn(reader, writer, max_pending=cfg.max_line_bytes * 4, on_bytes=count)
        pty = self.next_pty()
        await conn.negotiate(cfg.negotiation_timeout_s)
        self._report_environ(session, conn)
        persona = self.host.persona
        release = persona.spec.kernel.release
        conn.send_text(f"\r\nLinux {release} ({persona.fqdn}) (pts/{pty})\r\n\r\n")
        login = Login(self, session, conn)
        user = await login.run()
        await conn.drain()
        if user is None:
            session.reason = login.reason
            return
        self.logins += 1
        recorder = None
        if cfg.record:
            recorder = Recorder(
                self.ctx.data_dir,
                str(session.id),
                conn.width,
                conn.height,
                conn.term.lower(),
                self.host.disk,
            )
            session.recording = recorder.relative
        runner = ShellRunner(
            host=self.host,
            session=session,
            post=self.post,
            protocol="telnet",
            user=user,
            tty=True,
            tty_name=f"pts/{pty}",
            interactive=True,
            write=lambda text, _stderr: conn.send_text(text),
            recorder=recorder,
            max_line_bytes=cfg.max_line_bytes,
            idle_timeout_s=cfg.idle_timeout_s,
            default_port=23,
        )
        try:
            await runner.interactive(conn.read_text, reader=login.reader)
            await conn.drain()
        finally:
            if recorder is not None:
                recorder.close()
        if runner.timed_out:
            session.reason = "timeout"

    def _report_environ(self, session: Session, conn: TelnetConn) -> None:
        """The client's NEW-ENVIRON variables: recorded as ``session.request env``, refused
        (telnetd keeps none of them; ``USER`` never logs anyone in)."""
        for name, value in conn.environ[:16]:
            self.post(
                session.build(
                    SessionRequest,
                    protocol="telnet",
                    request="env",
                    target=attacker_text(f"{name}={value}", 512),
                    accepted=False,
                )
            )
