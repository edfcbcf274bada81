"""FTP data connections: passive listeners and active connects, both confined to the client.

A passive listener accepts exactly one connection, and only from the control connection's
peer address (no third-party "FXP" use). Active mode connects only back to the control
connection's peer address, never elsewhere (vsftpd's ``port_promiscuous=NO``): the honeypot
makes no outbound connection to anyone but the client that asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from phantomnet.errors import PortInUse
from phantomnet.events import normalise_ip
from phantomnet.sensors.listen import StreamHandler, bind, bound_port

ACCEPT_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0


class DataChannel:
    """One prepared data connection (passive or active), used for a single transfer."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._accepted: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] | None
        self._accepted = None
        self._active: tuple[str, int] | None = None

    async def listen(self, host: str, peer_ip: str, port_range: tuple[int, int]) -> int:
        """Open a passive listener on ``host``; returns the port."""
        await self.close()
        loop = asyncio.get_running_loop()
        accepted = loop.create_future()
        self._accepted = accepted

        async def on_connect(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            peer = w.get_extra_info("peername")
            if accepted.done() or normalise_ip(str(peer[0])) != normalise_ip(peer_ip):
                w.close()
                return
            accepted.set_result((r, w))

        self._server = await _bind_in_range(on_connect, host, port_range)
        return bound_port(self._server)

    def connect_to(self, host: str, port: int) -> None:
        """Remember an active-mode address (checked against the peer by the caller)."""
        self._active = (host, port)

    @property
    def ready(self) -> bool:
        return self._server is not None or self._active is not None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The connected stream pair, or None when the client never came / cannot be reached."""
        try:
            if self._active is not None:
                host, port = self._active
                return await asyncio.wait_for(
                    asyncio.open_connection(host, port), CONNECT_TIMEOUT_S
                )
            if self._accepted is not None:
                return await asyncio.wait_for(asyncio.shield(self._accepted), ACCEPT_TIMEOUT_S)
        except (TimeoutError, OSError):
            return None
        finally:
            self._stop_listening()
            self._active = None
        return None

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def close(self) -> None:
        self._stop_listening()
        self._active = None
        if self._accepted is not None and self._accepted.done() and not self._accepted.cancelled():
            _, writer = self._accepted.result()
            writer.close()
        elif self._accepted is not None:
            self._accepted.cancel()
        self._accepted = None


async def _bind_in_range(
    on_connect: StreamHandler, host: str, port_range: tuple[int, int]
) -> asyncio.Server:
    """A passive listener on the first free port of ``port_range`` (``(0, 0)``: any port)."""
    low, high = port_range
    if low == 0:
        return await bind("sensors.ftp.pasv_ports", host, 0, on_connect, backlog=1)
    for port in range(low, high + 1):
        with contextlib.suppress(PortInUse):
            return await bind("sensors.ftp.pasv_ports", host, port, on_connect, backlog=1)
    raise PortInUse(f"sensors.ftp.pasv_ports: no free port in {low}-{high}")


async def finish(writer: asyncio.StreamWriter) -> None:
    """Close a data connection after a transfer, without hanging on a dead peer."""
    with contextlib.suppress(OSError, ConnectionError):
        if writer.can_write_eof():
            writer.write_eof()
    writer.close()
    with contextlib.suppress(OSError, ConnectionError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 2)


def family_of(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
