"""TLS after MariaDB's SSLRequest, terminated in memory (the HTTP door's :class:`TlsStream`).

A client sends its ClientHello right behind the 32-byte SSLRequest, often in the same TCP
segment, so asyncio's ``start_tls`` (which ignores bytes the reader already buffered) would
lose it. The memory-BIO stream reads through the reader's buffer, and keeps the raw
ClientHello for JA3/JA4.
"""

from __future__ import annotations

import asyncio
import ssl

from phantomnet.sensors.http.wire import TlsStream


class TlsConnection(TlsStream):
    """The packet layer's reader and writer once TLS is up."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ssl.SSLContext
    ) -> None:
        super().__init__(reader, writer, ctx)
        self._plain = bytearray()

    async def readexactly(self, n: int) -> bytes:
        while len(self._plain) < n:
            chunk = await self.read()
            if not chunk:
                partial = bytes(self._plain)
                self._plain.clear()
                raise asyncio.IncompleteReadError(partial, n)
            self._plain += chunk
        out = bytes(self._plain[:n])
        del self._plain[:n]
        return out

    def write_plain(self, data: bytes) -> None:
        self._tls.write(data)

    async def drain(self) -> None:
        await self._flush()


class TlsWriter:
    """The writer side for :class:`~phantomnet.sensors.mysql.packets.PacketStream`."""

    def __init__(self, conn: TlsConnection) -> None:
        self.conn = conn

    def write(self, data: bytes) -> None:
        self.conn.write_plain(data)

    async def drain(self) -> None:
        await self.conn.drain()
