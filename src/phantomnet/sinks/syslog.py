"""The ``syslog`` sink: RFC 5424 or CEF over UDP, TCP (octet counting, RFC 6587) or TLS.

TCP and TLS keep one connection, reopened after a failure; before each batch a connection
the receiver has closed (it restarted) is noticed and reopened, so the batch goes to the new
receiver. Plain syslog has no application-level acknowledgement: what sat in the socket
buffers when the receiver died is lost (docs/sinks.md). UDP is fire-and-forget.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from phantomnet import __version__
from phantomnet.events import Event
from phantomnet.sinks import formats
from phantomnet.sinks.base import ExistingFile, Sink, SinkConfig


class SyslogConfig(SinkConfig):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=514, ge=1, le=65535)
    transport: Literal["udp", "tcp", "tls"] = "tcp"
    format: Literal["rfc5424", "cef"] = "rfc5424"
    facility: int = Field(default=10, ge=0, le=23)  # 10 = authpriv (security)
    app_name: str = Field(default="phantomnet", min_length=1, max_length=48)
    #: TLS: CA bundle to verify the receiver (default: the system's); server name to check
    ca_file: ExistingFile = None
    server_name: str | None = None
    verify: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    #: longer messages are cut (the header and structured data come first): a datagram has a
    #: size limit and receivers cut anyway (rsyslog: 8 KiB by default)
    max_message_bytes: int = Field(default=8192, ge=480, le=1_000_000)


class SyslogSink(Sink):
    name = "syslog"
    Config = SyslogConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, SyslogConfig)
        self.cfg = config
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._udp: socket.socket | None = None

    def target(self) -> str:
        return f"{self.cfg.transport}://{self.cfg.host}:{self.cfg.port} ({self.cfg.format})"

    def render(self, event: Event) -> bytes:
        raw = self._render(event)
        if len(raw) <= self.cfg.max_message_bytes:
            return raw
        return raw[: self.cfg.max_message_bytes].decode(errors="ignore").encode()

    def _render(self, event: Event) -> bytes:
        cfg = self.cfg
        if cfg.format == "cef":
            return formats.cef_syslog(
                event,
                facility=cfg.facility,
                app_name=cfg.app_name,
                hostname=self.node,
                version=__version__,
            )
        return formats.rfc5424(
            event, facility=cfg.facility, app_name=cfg.app_name, hostname=self.node
        )

    async def send(self, events: Sequence[Event]) -> None:
        messages = [self.render(e) for e in events]
        if self.cfg.transport == "udp":
            sock = await self._udp_socket()
            loop = asyncio.get_running_loop()
            for msg in messages:
                await loop.sock_sendall(sock, msg)
            return
        writer = await self._stream()
        writer.write(b"".join(b"%d %s" % (len(m), m) for m in messages))
        await asyncio.wait_for(writer.drain(), self.cfg.timeout_s)

    async def _udp_socket(self) -> socket.socket:
        if self._udp is None:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(self.cfg.host, self.cfg.port, type=socket.SOCK_DGRAM)
            family, kind, proto, _, addr = infos[0]
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, addr)
            except BaseException:
                sock.close()
                raise
            self._udp = sock
        return self._udp

    async def _stream(self) -> asyncio.StreamWriter:
        await asyncio.sleep(0)  # one loop pass: a close the receiver sent is read by now
        if self._writer is not None and (
            self._writer.is_closing() or (self._reader is not None and self._reader.at_eof())
        ):
            await self.close()  # the receiver closed it (restart): open a new one
        if self._writer is None:
            tls = self._tls_context() if self.cfg.transport == "tls" else None
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.cfg.host,
                    self.cfg.port,
                    ssl=tls,
                    server_hostname=(self.cfg.server_name or self.cfg.host) if tls else None,
                ),
                self.cfg.timeout_s,
            )
        assert self._writer is not None
        return self._writer

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        if not self.cfg.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):  # already broken
                await asyncio.wait_for(writer.wait_closed(), 2.0)
