"""PostgreSQL v3 wire format: framing, the startup packet, backend message builders.

Pure functions and small value types; nothing here touches a socket. Every parser is total on
arbitrary bytes: it returns a value or raises :class:`WireError`, whose ``error`` is the
ErrorResponse a PostgreSQL 15 backend sends for that mistake (or ``None`` when the real
server just closes the connection without a word).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

#: Special "protocol versions" of the first packet (src/include/libpq/pqcomm.h).
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
PROTOCOL_3 = 3 << 16
#: postmaster.c: MAX_STARTUP_PACKET_LENGTH
MAX_STARTUP_PACKET = 10000

_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")
_I16 = struct.Struct("!h")


@dataclass(frozen=True)
class PgError:
    """One ErrorResponse/NoticeResponse: the fields a PostgreSQL 15 backend sends, in its order
    (S V C M D H P F L R)."""

    severity: str
    code: str
    message: str
    file: str = ""
    line: int = 0
    routine: str = ""
    detail: str = ""
    hint: str = ""
    position: int = 0

    def fields(self) -> bytes:
        out = bytearray()
        pairs: list[tuple[bytes, str]] = [
            (b"S", self.severity),
            (b"V", self.severity),
            (b"C", self.code),
            (b"M", self.message),
        ]
        if self.detail:
            pairs.append((b"D", self.detail))
        if self.hint:
            pairs.append((b"H", self.hint))
        if self.position:
            pairs.append((b"P", str(self.position)))
        if self.file:
            pairs += [(b"F", self.file), (b"L", str(self.line)), (b"R", self.routine)]
        for tag, value in pairs:
            out += tag + cstr(value)
        out += b"\0"
        return bytes(out)

    def error(self) -> bytes:
        return message(b"E", self.fields())

    def notice(self) -> bytes:
        return message(b"N", self.fields())

    def fatal(self) -> PgError:
        return PgError(
            "FATAL",
            self.code,
            self.message,
            self.file,
            self.line,
            self.routine,
            self.detail,
            self.hint,
            self.position,
        )


class WireError(Exception):
    """A message the backend rejects; ``error`` is what it answers (None: close silently)."""

    def __init__(self, error: PgError | None) -> None:
        super().__init__(error.message if error else "connection dropped")
        self.error = error


def cstr(text: str) -> bytes:
    """A NUL-terminated string (a NUL inside becomes a space: it would end the field)."""
    return text.replace("\0", " ").encode("utf-8", "surrogateescape") + b"\0"


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + _I32.pack(len(payload) + 4) + payload


# -- startup -----------------------------------------------------------------------------------


def unsupported_protocol(code: int) -> PgError:
    return PgError(
        "FATAL",
        "0A000",
        f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0 to 3.0",
        "postmaster.c",
        2220,
        "ProcessStartupPacket",
    )


def v2_fatal(text: str) -> bytes:
    """The protocol-2 error format (a bare ``E`` and a C string), for a v2 client."""
    return b"E" + f"FATAL:  {text}\n".encode() + b"\0"


@dataclass
class Startup:
    """A parsed StartupMessage."""

    version: int
    params: dict[str, str] = field(default_factory=dict)
    #: ``_pq_.*`` protocol options the server does not know (NegotiateProtocolVersion)
    unknown_options: list[str] = field(default_factory=list)


def parse_startup(version: int, body: bytes) -> Startup:
    """The name/value list after the version of a StartupMessage (``body`` excludes it), read
    the way postmaster.c reads it: names until an empty one, which must be the last byte."""
    layout = PgError(
        "FATAL", "08P01", "invalid startup packet layout: expected terminator as last byte",
        "postmaster.c", 2332, "ProcessStartupPacket",
    )  # fmt: skip
    out = Startup(version)
    pos = 0
    while pos < len(body):
        end = body.find(b"\0", pos)
        if end < 0:
            break
        key = body[pos:end].decode("utf-8", "surrogateescape")
        pos = end + 1
        if not key:
            break
        end = body.find(b"\0", pos)
        if end < 0:
            raise WireError(layout)
        value = body[pos:end].decode("utf-8", "surrogateescape")
        pos = end + 1
        if key.startswith("_pq_."):
            out.unknown_options.append(key)
        else:
            out.params[key] = value
    if pos != len(body) or not body or body[-1] != 0:
        raise WireError(layout)
    return out


def negotiate_protocol(options: list[str]) -> bytes:
    """NegotiateProtocolVersion: the newest minor version we speak (0) and unknown options."""
    body = _I32.pack(PROTOCOL_3) + _I32.pack(len(options)) + b"".join(cstr(o) for o in options)
    return message(b"v", body)


# -- backend messages --------------------------------------------------------------------------


def auth(code: int, extra: bytes = b"") -> bytes:
    return message(b"R", _I32.pack(code) + extra)


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", cstr(name) + cstr(value))


def backend_key(pid: int, secret: int) -> bytes:
    return message(b"K", _I32.pack(pid) + _U32.pack(secret & 0xFFFFFFFF))


def ready(status: str) -> bytes:
    return message(b"Z", status.encode("ascii"))


def command_complete(tag: str) -> bytes:
    return message(b"C", cstr(tag))


def row_description(fields: list[tuple[str, int, int, int, int, int, int]]) -> bytes:
    """Fields: (name, table oid, column number, type oid, type length, type modifier, format)."""
    out = bytearray(_I16.pack(len(fields)))
    for name, table, col, oid, size, mod, fmt in fields:
        out += cstr(name) + struct.pack("!ihIhih", table, col, oid, size, mod, fmt)
    return message(b"T", bytes(out))


def data_row(values: list[bytes | None]) -> bytes:
    out = bytearray(_I16.pack(len(values)))
    for value in values:
        if value is None:
            out += _I32.pack(-1)
        else:
            out += _I32.pack(len(value)) + value
    return message(b"D", bytes(out))


def parameter_description(oids: list[int]) -> bytes:
    return message(b"t", _I16.pack(len(oids)) + b"".join(_U32.pack(o) for o in oids))


def copy_out_response(columns: int) -> bytes:
    return message(b"H", b"\0" + _I16.pack(columns) + b"\0\0" * columns)


PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
EMPTY_QUERY = message(b"I")
PORTAL_SUSPENDED = message(b"s")
COPY_DONE = message(b"c")


# -- frontend message bodies -------------------------------------------------------------------

INVALID_STRING = PgError(
    "ERROR", "08P01", "invalid string in message", "pqformat.c", 595, "pq_getmsgstring"
)
INVALID_FORMAT = PgError(
    "ERROR", "08P01", "invalid message format", "pqformat.c", 640, "pq_getmsgend"
)
INSUFFICIENT = PgError(
    "ERROR", "08P01", "insufficient data left in message", "pqformat.c", 528, "pq_copymsgbytes"
)


class Body:
    """A cursor over one frontend message body; every read raises :class:`WireError` (with the
    backend's own wording) instead of running off the end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def string(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise WireError(INVALID_STRING)
        text = self.data[self.pos : end].decode("utf-8", "surrogateescape")
        self.pos = end + 1
        return text

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise WireError(INSUFFICIENT)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int16(self) -> int:
        return int(_I16.unpack(self.take(2))[0])

    def int32(self) -> int:
        return int(_I32.unpack(self.take(4))[0])

    def uint32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def end(self) -> None:
        if self.pos != len(self.data):
            raise WireError(INVALID_FORMAT)


def invalid_message_type(kind: int) -> PgError:
    return PgError(
        "FATAL",
        "08P01",
        f"invalid frontend message type {kind}",
        "postgres.c",
        446,
        "SocketBackend",
    )
