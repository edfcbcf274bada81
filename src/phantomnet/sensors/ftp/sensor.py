"""FTP sensor: vsftpd 3.0.3 on the wire, the shared fake host underneath.

Anonymous logins land chrooted in ``/srv/ftp`` with a writable ``incoming/`` (the classic
bait); user logins go through the fake host's credential policy and see the whole fake
filesystem from their home. Uploads are stored by SHA-256 (size-capped), placed in the
attacker's own copy-on-write filesystem (so the SSH shell shows them) and reported as
``file.upload``. Paths never leave the fake tree; climbing attempts are reported.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import ClassVar

from pydantic import Field

from phantomnet.deception.fakefs import FsView
from phantomnet.deception.fakefs.node import vnorm
from phantomnet.deception.host import FakeHost
from phantomnet.events import (
    CommandInput,
    attacker_text,
)
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session
from phantomnet.sensors.deadline import RateDeadline
from phantomnet.sensors.ftp import protocol as p
from phantomnet.sensors.ftp.commands import BEFORE_LOGIN, HANDLERS
from phantomnet.sensors.ftp.data import DataChannel
from phantomnet.sensors.listen import bind, bound_port

log = logging.getLogger(__name__)


class FtpConfig(SensorConfig):
    """``[sensors.ftp]``"""

    port: int = Field(default=2121, ge=0, le=65535)
    anonymous: bool = True
    anonymous_upload: bool = True
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=1)
    pasv_ports: tuple[int, int] = (0, 0)
    pasv_address: str | None = None
    failed_login_delay_s: float = Field(default=1.0, ge=0)
    max_login_fails: int = Field(default=3, ge=1)
    idle_timeout_s: float = Field(default=300, gt=0)
    max_line_bytes: int = Field(default=4096, ge=64)
    #: Total time from the greeting to a successful login (the idle timer alone lets a slow
    #: client hold a slot for ``idle_timeout_s`` per line).
    login_timeout_s: float = Field(default=60, gt=0)


class FtpConversation:
    """One control connection: state, replies, and a handler per verb."""

    def __init__(
        self, sensor: FtpSensor, session: Session, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:  # fmt: skip
        self.sensor, self.session, self.reader, self.writer = sensor, session, reader, writer
        self.cfg: FtpConfig = sensor.config
        self.host: FakeHost = sensor.host
        self.user: str | None = None
        self.logged_in = False
        self.anonymous = False
        self.root = "/"
        self.cwd = "/"
        self.fails = 0
        self.rest = 0
        self.rnfr: str | None = None
        self.data = DataChannel()
        #: control lines read while a transfer ran (answered next, in order)
        self.pending: list[bytes] = []
        self.fs: FsView = self.host.fs(session.src.ip)

    async def reply(self, *lines: str) -> None:
        self.writer.write("".join(f"{line}\r\n" for line in lines).encode("utf-8", "replace"))
        self.session.bytes_out += sum(len(line) + 2 for line in lines)
        await self.writer.drain()

    async def serve(self) -> None:
        await self.reply(
            p.R["banner"].format(version=self.sensor.host.persona.software("vsftpd", "3.0.3"))
        )
        login = RateDeadline(self.cfg.login_timeout_s, 0)
        while not self.writer.is_closing():
            wait = self.cfg.idle_timeout_s
            if not self.logged_in:
                wait = min(wait, login.remaining())
            try:
                line = (
                    self.pending.pop(0)
                    if self.pending
                    else await asyncio.wait_for(self.reader.readline(), wait)
                )
            except TimeoutError:
                await self.reply(p.R["timeout"])
                return
            except ValueError:  # line over the limit
                await self.reply(p.R["unknown"])
                return
            if not line:
                return
            self.session.bytes_in += len(line)
            verb, arg = p.parse_line(line)
            shown = "PASS" if verb == "PASS" else f"{verb} {arg}".strip()
            await self.session.emit(
                CommandInput, protocol="ftp", command=attacker_text(shown), known=verb in HANDLERS
            )
            if await self.dispatch(verb, arg):
                return

    async def dispatch(self, verb: str, arg: str) -> bool:
        """Run one command; True when the conversation is over."""
        if verb == "QUIT":
            await self.reply(p.R["quit"])
            return True
        handler = HANDLERS.get(verb)
        if handler is None:
            await self.reply(p.R["unknown"])
        elif not self.logged_in and verb not in BEFORE_LOGIN:
            await self.reply(p.R["login_first"])
        else:
            await handler(self, arg)
        return self.fails >= self.cfg.max_login_fails

    # -- paths ---------------------------------------------------------------------------
    def real(self, arg: str) -> str:
        """The fake-FS path of a client path, confined to the login's root (a byte that is
        not UTF-8 becomes ``\\xHH`` in the name: the fake FS stores text)."""
        inside = vnorm(p.fs_name(arg) or ".", self.cwd)
        return vnorm(self.root.rstrip("/") + inside) if self.root != "/" else inside

    def shown(self, real: str) -> str:
        if self.root == "/":
            return real
        return real[len(self.root.rstrip("/")) :] or "/"


class FtpSensor(Sensor):
    """The ``ftp`` sensor plug-in."""

    name: ClassVar[str] = "ftp"
    protocol: ClassVar[str] = "ftp"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (21,)
    Config: ClassVar[type[SensorConfig]] = FtpConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, FtpConfig)
        self.config: FtpConfig = config
        self.host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        self._server: asyncio.Server | None = None
        self.uploads = 0

    async def start(self) -> None:
        self._server = await bind(
            "sensors.ftp.port", self.config.host, self.config.port, self._on_connect,
            limit=self.config.max_line_bytes,
        )  # fmt: skip
        self.bound_port = bound_port(self._server)

    async def run(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drain()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        refusal = f"{p.R['too_many']}\r\n".encode()
        async with self.connection(writer, refusal=refusal) as session:
            if session is None:
                return
            sock = writer.get_extra_info("socket")
            if sock is not None:  # keep the Synch's urgent byte in the stream, like vsftpd
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
            conv = FtpConversation(self, session, reader, writer)
            try:
                await conv.serve()
            finally:
                await conv.data.close()

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "events": self.uploads}
