"""Byte streams for the HTTP sensor: plain TCP, or TLS terminated in memory.

TLS runs through :class:`ssl.MemoryBIO` instead of asyncio's SSL transport so the sensor sees
the client's raw ClientHello (for JA3/JA4) before the handshake consumes it. Every read is
bounded; a stalled handshake is cut by the caller's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

READ_CHUNK = 65536
MAX_HELLO = 16 * 1024


class PlainStream:
    """A TCP connection as ``read``/``write``/``close``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.client_hello: bytes | None = None

    async def read(self) -> bytes:
        return await self.reader.read(READ_CHUNK)

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


class TlsStream(PlainStream):
    """Server-side TLS over a plain stream, keeping the first ClientHello record(s)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ssl.SSLContext
    ) -> None:
        super().__init__(reader, writer)
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._tls = ctx.wrap_bio(self._in, self._out, server_side=True)

    async def handshake(self) -> None:
        """Capture the ClientHello, then complete the handshake (raises ssl.SSLError/EOF)."""
        self.client_hello = await self._read_hello()
        self._in.write(self.client_hello)
        while True:
            try:
                self._tls.do_handshake()
                await self._flush()
                return
            except ssl.SSLWantReadError:
                await self._flush()
                await self._fill()

    async def _read_hello(self) -> bytes:
        """Read whole TLS records until the first handshake message is complete."""
        buf = b""
        while len(buf) < MAX_HELLO:
            chunk = await self.reader.read(READ_CHUNK)
            if not chunk:
                raise EOFError("client closed before ClientHello")
            buf += chunk
            if len(buf) >= 9 and buf[0] == 0x16:
                need = 9 + int.from_bytes(buf[6:9], "big")  # record hdr + handshake len
                if len(buf) >= min(need, MAX_HELLO):
                    return buf
            elif len(buf) >= 5:
                return buf  # not TLS at all: let the handshake fail the usual way
        return buf

    async def _fill(self) -> None:
        chunk = await self.reader.read(READ_CHUNK)
        if not chunk:
            self._in.write_eof()
            raise EOFError("client closed during TLS")
        self._in.write(chunk)

    async def _flush(self) -> None:
        data = self._out.read()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def read(self) -> bytes:
        while True:
            try:
                return self._tls.read(READ_CHUNK)
            except ssl.SSLWantReadError:
                try:
                    await self._fill()
                except EOFError:
                    return b""
            except ssl.SSLZeroReturnError:
                return b""

    async def write(self, data: bytes) -> None:
        self._tls.write(data)
        await self._flush()

    def close(self) -> None:
        with contextlib.suppress(ssl.SSLError, ValueError):
            self._tls.unwrap()
        out = self._out.read()
        if out:
            self.writer.write(out)
        self.writer.close()
