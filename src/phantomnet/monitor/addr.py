"""Conversions between the decoder's (high, low) 128-bit address columns and text/bytes."""

from __future__ import annotations

import socket
import struct
from functools import lru_cache

V4_PREFIX = 0xFFFF00000000


def is_v4(hi: int, lo: int) -> bool:
    """True for an IPv4 address stored IPv4-mapped."""
    return hi == 0 and (lo >> 32) == 0xFFFF


@lru_cache(maxsize=65536)
def ip_text(hi: int, lo: int) -> str:
    """Canonical text (IPv4 dotted quad for IPv4-mapped values)."""
    if is_v4(hi, lo):
        return socket.inet_ntoa(struct.pack("!I", lo & 0xFFFFFFFF))
    return socket.inet_ntop(socket.AF_INET6, struct.pack("!QQ", hi, lo))


def ip_bytes(hi: int, lo: int) -> bytes:
    """Network-order bytes: 4 for IPv4, 16 for IPv6."""
    if is_v4(hi, lo):
        return struct.pack("!I", lo & 0xFFFFFFFF)
    return struct.pack("!QQ", hi, lo)


def ip_parts(text: str) -> tuple[int, int]:
    """Parse text into the (high, low) form (raises ``ValueError`` on bad text)."""
    if ":" in text:
        raw = socket.inet_pton(socket.AF_INET6, text)
        hi, lo = struct.unpack("!QQ", raw)
        return int(hi), int(lo)
    return 0, V4_PREFIX | struct.unpack("!I", socket.inet_aton(text))[0]
