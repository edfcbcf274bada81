"""TLS handshake messages: ClientHello, ServerHello and the (TLS <= 1.2) Certificate.

Input is the start of one direction of a TCP stream (records may span segments; the
caller reassembles). Handshake messages may span records; parsing stops at the first
non-handshake record (ChangeCipherSpec, alert, application data) since everything after it
is encrypted. SSLv2-compatible ClientHellos are recognised too.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from phantomnet.analyzers.base import Anomaly, Cursor, Short
from phantomnet.analyzers.x509 import public_key

GREASE = frozenset(0x0A0A + 0x1010 * i for i in range(16))
VERSIONS = {
    0x0002: "SSL 2.0",
    0x0300: "SSL 3.0",
    0x0301: "TLS 1.0",
    0x0302: "TLS 1.1",
    0x0303: "TLS 1.2",
    0x0304: "TLS 1.3",
}
MAX_HANDSHAKE = 1 << 17
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
MAX_ITEMS = 1024


@lru_cache(maxsize=1)
def cipher_names() -> dict[int, str]:
    """IANA names of cipher suites (from Wireshark's table, shipped as package data)."""
    text = resources.files("phantomnet.analyzers").joinpath("tls_ciphers.tsv").read_text()
    table: dict[int, str] = {}
    for line in text.splitlines():
        code, _, name = line.partition("\t")
        if name:
            table[int(code, 16)] = name
    return table


def cipher_name(code: int) -> str:
    return cipher_names().get(code, f"0x{code:04X}")


def version_name(code: int) -> str:
    return VERSIONS.get(code, f"0x{code:04x}")


@dataclass(frozen=True, slots=True)
class ClientHello:
    version: int
    ciphers: tuple[int, ...]
    extensions: tuple[int, ...]
    groups: tuple[int, ...] = ()
    point_formats: tuple[int, ...] = ()
    sig_algs: tuple[int, ...] = ()
    supported_versions: tuple[int, ...] = ()
    sni: str | None = None
    alpn: tuple[bytes, ...] = ()
    sslv2: bool = False


@dataclass(frozen=True, slots=True)
class ServerHello:
    version: int
    cipher: int
    extensions: tuple[int, ...]
    selected_version: int | None = None
    alpn: tuple[bytes, ...] = ()
    retry: bool = False  # a HelloRetryRequest (TLS 1.3): another ServerHello follows

    @property
    def negotiated(self) -> int:
        return self.selected_version or self.version


@dataclass(frozen=True, slots=True)
class Certificate:
    key_type: str | None
    key_bits: int | None
    chain_length: int
    #: SHA-256 of the leaf certificate's DER (what a certificate change is judged on)
    leaf_sha256: str | None = None


@dataclass(slots=True)
class TlsResult:
    """Messages found in the data so far; ``more`` when a message is cut off."""

    messages: list[ClientHello | ServerHello | Certificate] = field(default_factory=list)
    more: bool = False
    done: bool = False
    anomaly: Anomaly | None = None


def looks_like_tls(payload: bytes) -> bool:
    """A handshake record header (or an SSLv2 ClientHello)."""
    if len(payload) >= 3 and payload[0] == 0x16 and payload[1] == 3 and payload[2] <= 4:
        return True
    return len(payload) >= 3 and payload[0] & 0x80 != 0 and payload[2] == 1


def parse_tls(data: bytes) -> TlsResult:
    """Parse handshake messages from the start of one stream direction (never raises)."""
    result = TlsResult()
    if data[:1] != b"\x16":
        if looks_like_tls(data):
            hello = _sslv2_hello(data)
            if hello is not None:
                result.messages.append(hello)
            result.done = True
        return result
    handshake = bytearray()
    pos = 0
    after_ccs = False
    while pos + 5 <= len(data):
        ctype, length = data[pos], int.from_bytes(data[pos + 3 : pos + 5], "big")
        if pos + 5 + length > len(data) and ctype in (0x14, 0x16):
            result.more = True
            break
        body = data[pos + 5 : pos + 5 + length]
        if ctype == 0x14:  # ChangeCipherSpec: TLS 1.3 middlebox mode may send a 2nd hello
            after_ccs = True
        elif ctype != 0x16 or (after_ccs and not _plain_hello(body)):
            result.done = True
            break
        else:
            handshake += body
        pos += 5 + length
        if len(handshake) > MAX_HANDSHAKE:
            result.done = True
            break
    else:
        result.more = pos < len(data)
    _handshakes(bytes(handshake), result)
    return result


def parse_client_hello(handshake: bytes) -> ClientHello | None:
    """A ClientHello from a handshake message (type, 3-byte length, body), e.g. from QUIC
    CRYPTO frames; None if incomplete or malformed."""
    if len(handshake) < 4 or handshake[0] != 1:
        return None
    length = int.from_bytes(handshake[1:4], "big")
    if len(handshake) < 4 + length:
        return None
    try:
        return _client_hello(handshake[4 : 4 + length])
    except Short:
        return None


def _plain_hello(body: bytes) -> bool:
    """After a CCS only a Client/ServerHello filling its record exactly is plaintext (HRR)."""
    return (
        len(body) >= 4 and body[0] in (1, 2) and int.from_bytes(body[1:4], "big") == len(body) - 4
    )


def _handshakes(data: bytes, result: TlsResult) -> None:
    pos = 0
    while pos + 4 <= len(data):
        mtype = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if pos + 4 + length > len(data):
            result.more = True
            return
        body = data[pos + 4 : pos + 4 + length]
        pos += 4 + length
        try:
            msg = _PARSERS[mtype](body) if mtype in _PARSERS else None
        except Short:
            result.anomaly = Anomaly("tls", "malformed_handshake", f"type={mtype}")
            result.done = True
            return
        if msg is not None:
            result.messages.append(msg)
        if isinstance(msg, ServerHello) and msg.negotiated == 0x0304 and not msg.retry:
            result.done = True  # the rest of a TLS 1.3 server flight is encrypted
    result.more = result.more or pos < len(data)


def _u16_list(cur: Cursor, nbytes: int) -> tuple[int, ...]:
    raw = cur.take(nbytes)
    count = min(len(raw) // 2, MAX_ITEMS)
    return struct.unpack_from(f"!{count}H", raw)


def _extensions(cur: Cursor) -> list[tuple[int, bytes]]:
    exts: list[tuple[int, bytes]] = []
    if cur.remaining() < 2:
        return exts
    inner = cur.sub(cur.u16())
    data, pos, end = inner.data, inner.pos, inner.end
    while pos + 4 <= end and len(exts) < MAX_ITEMS:
        etype = (data[pos] << 8) | data[pos + 1]
        size = (data[pos + 2] << 8) | data[pos + 3]
        if pos + 4 + size > end:
            raise Short
        exts.append((etype, data[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return exts


def _alpn(raw: bytes) -> tuple[bytes, ...]:
    cur = Cursor(raw)
    inner = cur.sub(cur.u16())
    out: list[bytes] = []
    while inner.remaining() > 0 and len(out) < 64:
        out.append(inner.take(inner.u8()))
    return tuple(out)


def _sni(raw: bytes) -> str | None:
    cur = Cursor(raw)
    inner = cur.sub(cur.u16())
    while inner.remaining() >= 3:
        kind = inner.u8()
        name = inner.take(inner.u16())
        if kind == 0:
            return name.decode("ascii", "backslashreplace")
    return None


def _client_hello(body: bytes) -> ClientHello:
    cur = Cursor(body)
    version = cur.u16()
    cur.take(32)
    cur.take(cur.u8())
    ciphers = _u16_list(cur, cur.u16())
    cur.take(cur.u8())
    fields: dict[str, object] = {}
    ext_types = []
    for etype, raw in _extensions(cur):
        ext_types.append(etype)
        _client_ext(etype, raw, fields)
    return ClientHello(version=version, ciphers=ciphers, extensions=tuple(ext_types), **fields)  # type: ignore[arg-type]


def _client_ext(etype: int, raw: bytes, fields: dict[str, object]) -> None:
    cur = Cursor(raw)
    if etype == 0:
        fields["sni"] = _sni(raw)
    elif etype == 10:
        fields["groups"] = _u16_list(cur, cur.u16())
    elif etype == 11:
        fields["point_formats"] = tuple(cur.take(cur.u8()))
    elif etype == 13:
        fields["sig_algs"] = _u16_list(cur, cur.u16())
    elif etype == 16:
        fields["alpn"] = _alpn(raw)
    elif etype == 43:
        fields["supported_versions"] = _u16_list(cur, cur.u8())


def _server_hello(body: bytes) -> ServerHello:
    cur = Cursor(body)
    version = cur.u16()
    retry = cur.take(32) == HRR_RANDOM
    cur.take(cur.u8())
    cipher = cur.u16()
    cur.u8()
    selected = None
    alpn: tuple[bytes, ...] = ()
    ext_types = []
    for etype, raw in _extensions(cur):
        ext_types.append(etype)
        if etype == 43 and len(raw) >= 2:
            selected = int.from_bytes(raw[:2], "big")
        elif etype == 16:
            alpn = _alpn(raw)
    return ServerHello(version, cipher, tuple(ext_types), selected, alpn, retry)


def _certificate(body: bytes) -> Certificate:
    cur = Cursor(body)
    chain = cur.sub(cur.u24())
    first: bytes | None = None
    count = 0
    while chain.remaining() >= 3:
        der = chain.take(chain.u24())
        count += 1
        if first is None:
            first = der
    key_type, bits = public_key(first) if first else (None, None)
    leaf = hashlib.sha256(first).hexdigest() if first else None
    return Certificate(key_type, bits, count, leaf)


def _sslv2_hello(data: bytes) -> ClientHello | None:
    try:
        cur = Cursor(data)
        length = cur.u16() & 0x7FFF
        body = Cursor(data, 2, 2 + length)
        if body.u8() != 1:
            return None
        version = body.u16()
        spec_len, sid_len, chal_len = body.u16(), body.u16(), body.u16()
        specs = body.take(spec_len)
        body.take(sid_len + chal_len)
    except Short:
        return None
    ciphers = tuple(int.from_bytes(specs[i : i + 3], "big") for i in range(0, len(specs) - 2, 3))
    return ClientHello(version=version, ciphers=ciphers, extensions=(), sslv2=True)


_PARSERS: dict[int, Callable[[bytes], ClientHello | ServerHello | Certificate]] = {
    1: _client_hello,
    2: _server_hello,
    11: _certificate,
}
