"""MySQL/MariaDB client/server packets: framing, length-encoded values, OK/ERR/EOF.

Every packet is a 3-byte little-endian length, a sequence id and the payload. A payload of
0xFFFFFF bytes continues in the next packet. :class:`PacketStream` reads them with the checks
a real server makes (sequence ids, ``max_allowed_packet``) and never buffers more than that.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Protocol

from phantomnet.errors import SensorError

MAX_CHUNK = 0xFFFFFF

# capability flags
CLIENT_MYSQL = 1
CLIENT_FOUND_ROWS = 1 << 1
CLIENT_CONNECT_WITH_DB = 1 << 3
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SSL = 1 << 11
CLIENT_TRANSACTIONS = 1 << 13
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_MULTI_STATEMENTS = 1 << 16
CLIENT_MULTI_RESULTS = 1 << 17
CLIENT_PS_MULTI_RESULTS = 1 << 18
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_CONNECT_ATTRS = 1 << 20
CLIENT_PLUGIN_AUTH_LENENC = 1 << 21
CLIENT_SESSION_TRACK = 1 << 23
CLIENT_DEPRECATE_EOF = 1 << 24

# MariaDB extended capabilities (the 4 bytes after the filler when CLIENT_MYSQL is clear)
MARIADB_CLIENT_PROGRESS = 1
MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1 << 2
MARIADB_CLIENT_EXTENDED_METADATA = 1 << 3
MARIADB_CLIENT_CACHE_METADATA = 1 << 4

# server status flags
SERVER_STATUS_IN_TRANS = 1
SERVER_STATUS_AUTOCOMMIT = 2
SERVER_MORE_RESULTS_EXISTS = 8


class PacketError(SensorError):
    """The client broke the framing; ``code``/``sqlstate``/``message`` are what MariaDB says."""

    def __init__(self, code: int, sqlstate: str, message: str, *, protocol41: bool = True) -> None:
        super().__init__(message)
        self.code, self.sqlstate, self.message = code, sqlstate, message
        #: False when the client spoke the pre-4.1 protocol: no SQLSTATE in the ERR packet
        self.protocol41 = protocol41


def out_of_order() -> PacketError:
    return PacketError(1156, "08S01", "Got packets out of order")


def too_large() -> PacketError:
    return PacketError(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes")


class ByteReader(Protocol):
    async def readexactly(self, n: int, /) -> bytes: ...


class ByteWriter(Protocol):
    def write(self, data: bytes, /) -> None: ...
    async def drain(self) -> None: ...


class PacketStream:
    """Reads and writes framed packets on one connection, tracking the sequence id."""

    def __init__(self, reader: ByteReader, writer: ByteWriter, max_packet: int) -> None:
        self.reader, self.writer = reader, writer
        self.max_packet = max_packet
        self.seq = 0
        self.bytes_in = 0
        self.bytes_out = 0

    async def read(self, timeout: float, *, expect_seq: int | None = None) -> bytes:
        """One logical packet (joined continuation chunks). A new command starts at sequence
        0 (``expect_seq=0``); otherwise the next id is the one after the last packet sent."""
        want = self.seq if expect_seq is None else expect_seq
        payload = bytearray()
        async with asyncio.timeout(timeout):
            while True:
                head = await self.reader.readexactly(4)
                size = head[0] | head[1] << 8 | head[2] << 16
                if head[3] != want & 0xFF:
                    self.seq = want & 0xFF  # MariaDB answers with the id it expected
                    raise out_of_order()
                want += 1
                if len(payload) + size > self.max_packet:
                    self.seq = want & 0xFF
                    raise too_large()
                payload += await self.reader.readexactly(size)
                self.bytes_in += 4 + size
                if size < MAX_CHUNK:
                    break
        self.seq = want & 0xFF
        return bytes(payload)

    def write(self, payload: bytes) -> None:
        """Queue one packet with the next sequence id (split into chunks when huge)."""
        view = memoryview(payload)
        while True:
            chunk = view[:MAX_CHUNK]
            view = view[MAX_CHUNK:]
            self.writer.write(struct.pack("<I", len(chunk))[:3] + bytes([self.seq]) + chunk)
            self.bytes_out += 4 + len(chunk)
            self.seq = (self.seq + 1) & 0xFF
            if len(chunk) < MAX_CHUNK:
                return

    async def flush(self) -> None:
        await self.writer.drain()


# -- values ------------------------------------------------------------------------------
def lenenc_int(n: int) -> bytes:
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 1 << 24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def lenenc_str(data: bytes) -> bytes:
    return lenenc_int(len(data)) + data


class Cursor:
    """Reads values from a client payload; raises :class:`ValueError` when it runs out."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated packet")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def lenenc(self) -> int | None:
        first = self.u8()
        if first < 251:
            return first
        if first == 0xFB:
            return None
        if first == 0xFC:
            return self.u16()
        if first == 0xFD:
            return int.from_bytes(self.take(3), "little")
        if first == 0xFE:
            return int(struct.unpack("<Q", self.take(8))[0])
        raise ValueError("bad length")

    def lenenc_bytes(self) -> bytes:
        n = self.lenenc()
        return self.take(n or 0)

    def cstring(self) -> bytes:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise ValueError("unterminated string")
        out = self.data[self.pos : end]
        self.pos = end + 1
        return out

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


# -- generic responses -----------------------------------------------------------------------
def ok_packet(
    affected: int = 0,
    last_insert_id: int = 0,
    status: int = SERVER_STATUS_AUTOCOMMIT,
    warnings: int = 0,
    info: bytes = b"",
    header: int = 0x00,
) -> bytes:
    out = bytes([header]) + lenenc_int(affected) + lenenc_int(last_insert_id)
    out += struct.pack("<HH", status, warnings)
    if info:
        out += lenenc_str(info)
    return out


def eof_packet(status: int = SERVER_STATUS_AUTOCOMMIT, warnings: int = 0) -> bytes:
    return b"\xfe" + struct.pack("<HH", warnings, status)


def err_packet(code: int, sqlstate: str, message: str, *, protocol41: bool = True) -> bytes:
    out = b"\xff" + struct.pack("<H", code)
    if protocol41:
        out += b"#" + sqlstate.encode("ascii", "replace")[:5].ljust(5, b"0")
    return out + message.encode("utf-8", "replace")
