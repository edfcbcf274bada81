"""MariaDB's ``client_ed25519`` authentication (the ``auth_ed25519`` server plugin).

For an account ``IDENTIFIED VIA ed25519`` the server answers the handshake response with an
AuthSwitchRequest to ``client_ed25519`` carrying a 32-byte random scramble (no trailing NUL),
and the client signs it: a 64-byte Ed25519 signature under the key MariaDB derives from the
password (the secret scalar is the clamped first half of ``SHA512(password)``, the password
of any length standing in for RFC 8032's 32-byte seed). The password never crosses the wire,
but a signature is checkable against the public key of every password the door could know,
exactly as the native token is; the public key takes one fixed-base scalar multiplication
(pure Python here, a few milliseconds, cached per password), the check itself is
``cryptography``'s Ed25519 verification.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PLUGIN = "client_ed25519"
SCRAMBLE_LEN = 32
SIGNATURE_LEN = 64
MAX_KEYS = 4096

_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202
_BY = 46316835694926478169428394003475163141307993866256225615783033603165251855960
_Point = tuple[int, int, int, int]  # extended coordinates X, Y, Z, T
_BASE: _Point = (_BX, _BY, 1, _BX * _BY % _P)
_KEYS: dict[str, Ed25519PublicKey] = {}


def new_scramble() -> bytes:
    """32 random bytes, any value (MariaDB's ed25519 scramble is not printable-only)."""
    return os.urandom(SCRAMBLE_LEN)


def switch_request(scramble: bytes) -> bytes:
    """AuthSwitchRequest to ``client_ed25519``: 0xFE, the plugin name, the bare scramble."""
    return b"\xfe" + PLUGIN.encode() + b"\x00" + scramble


def _add(a: _Point, b: _Point) -> _Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % _P
    pb = (y1 + x1) * (y2 + x2) % _P
    pc = 2 * t1 * t2 * _D % _P
    pd = 2 * z1 * z2 % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def public_key(password: str) -> bytes:
    """The 32-byte public key MariaDB stores for ``password`` (``ed25519_password()``)."""
    az = bytearray(hashlib.sha512(password.encode("utf-8", "surrogateescape")).digest()[:32])
    az[0] &= 248
    az[31] = (az[31] & 63) | 64
    scalar = int.from_bytes(az, "little")
    acc: _Point = (0, 1, 1, 0)
    addend = _BASE
    while scalar:
        if scalar & 1:
            acc = _add(acc, addend)
        addend = _add(addend, addend)
        scalar >>= 1
    zinv = pow(acc[2], _P - 2, _P)
    x, y = acc[0] * zinv % _P, acc[1] * zinv % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _key(password: str) -> Ed25519PublicKey:
    got = _KEYS.get(password)
    if got is None:
        got = Ed25519PublicKey.from_public_bytes(public_key(password))
        if len(_KEYS) >= MAX_KEYS:
            _KEYS.clear()
        _KEYS[password] = got
    return got


def recover_password(signature: bytes, scramble: bytes, candidates: list[str]) -> str | None:
    """The candidate whose key made ``signature`` over ``scramble``, if any."""
    if len(signature) != SIGNATURE_LEN:
        return None
    for pw in candidates:
        try:
            _key(pw).verify(signature, scramble)
        except InvalidSignature:
            continue
        return pw
    return None
