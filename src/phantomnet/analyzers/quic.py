"""QUIC Initial packets (RFC 9000/9001, v2 RFC 9369, draft-29): remove the Initial
protection and return the CRYPTO frames, where the TLS ClientHello travels.

Initial keys derive from the client's first Destination Connection ID only (public by
design), so any observer can read the ClientHello: that is how Wireshark and FoxIO compute
JA3/JA4 for QUIC. Pure and total: malformed or undecryptable input gives ``None``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

V1, V2, DRAFT29 = 0x00000001, 0x6B3343CF, 0xFF00001D
SALTS = {
    V1: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
    V2: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
    DRAFT29: bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899"),
}
MAX_FRAMES = 256


@dataclass(frozen=True, slots=True)
class Initial:
    dcid: bytes
    crypto: tuple[tuple[int, bytes], ...]  # (offset, data) CRYPTO frames
    size: int  # bytes of the datagram this packet used (coalesced packets follow)


def _expand_label(secret: bytes, label: str, length: int) -> bytes:
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    return hmac.new(secret, info + b"\x01", hashlib.sha256).digest()[:length]


def _keys(version: int, dcid: bytes, server: bool) -> tuple[bytes, bytes, bytes]:
    initial = hmac.new(SALTS[version], dcid, hashlib.sha256).digest()
    secret = _expand_label(initial, "server in" if server else "client in", 32)
    prefix = "quicv2 " if version == V2 else "quic "
    return (
        _expand_label(secret, prefix + "key", 16),
        _expand_label(secret, prefix + "iv", 12),
        _expand_label(secret, prefix + "hp", 16),
    )


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise IndexError
    first = data[pos]
    size = 1 << (first >> 6)
    if pos + size > len(data):
        raise IndexError
    value = first & 0x3F
    for b in data[pos + 1 : pos + size]:
        value = (value << 8) | b
    return value, pos + size


def is_initial(data: bytes) -> bool:
    if len(data) < 7 or data[0] & 0xC0 != 0xC0:
        return False
    version = int.from_bytes(data[1:5], "big")
    if version not in SALTS:
        return False
    kind = (data[0] >> 4) & 3
    return kind == (1 if version == V2 else 0)


def parse_initial(data: bytes, server: bool = False, dcid: bytes | None = None) -> Initial | None:
    """Decrypt one Initial packet at the start of ``data``; ``dcid`` = the client's first."""
    try:
        return _parse(data, server, dcid)
    except (IndexError, ValueError, InvalidTag):
        return None


def _parse(data: bytes, server: bool, dcid: bytes | None) -> Initial | None:
    if not is_initial(data):
        return None
    version = int.from_bytes(data[1:5], "big")
    pos = 5
    own = data[pos + 1 : pos + 1 + data[pos]]
    pos += 1 + data[pos]
    pos += 1 + data[pos]  # source connection id
    token_len, pos = _varint(data, pos)
    pos += token_len
    length, pn_off = _varint(data, pos)
    end = pn_off + length
    if end > len(data) or length < 20:
        return None
    key, iv, hp = _keys(version, dcid if dcid is not None else own, server)
    sample = data[pn_off + 4 : pn_off + 20]
    encryptor = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    first = data[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 3) + 1
    pn = bytes(b ^ m for b, m in zip(data[pn_off : pn_off + pn_len], mask[1:], strict=False))
    header = bytes([first]) + data[1:pn_off] + pn
    nonce = bytes(
        a ^ b for a, b in zip(iv, int.from_bytes(pn, "big").to_bytes(12, "big"), strict=True)
    )
    plain = AESGCM(key).decrypt(nonce, data[pn_off + pn_len : end], header)
    return Initial(own if dcid is None else dcid, _crypto_frames(plain), end)


def _crypto_frames(plain: bytes) -> tuple[tuple[int, bytes], ...]:
    frames: list[tuple[int, bytes]] = []
    pos = 0
    for _ in range(MAX_FRAMES):
        while pos < len(plain) and plain[pos] == 0:  # PADDING runs (not counted as frames)
            pos += 1
        if pos >= len(plain):
            break
        kind, pos = _varint(plain, pos)
        if kind == 0x01:  # PING
            continue
        if kind in (0x02, 0x03):  # ACK
            _largest, pos = _varint(plain, pos)
            _delay, pos = _varint(plain, pos)
            ranges, pos = _varint(plain, pos)
            _first, pos = _varint(plain, pos)
            for _r in range(2 * ranges + (3 if kind == 0x03 else 0)):
                _v, pos = _varint(plain, pos)
            continue
        if kind != 0x06:  # anything else ends what an Initial may carry for us
            break
        offset, pos = _varint(plain, pos)
        size, pos = _varint(plain, pos)
        frames.append((offset, plain[pos : pos + size]))
        pos += size
    return tuple(frames)
