"""Just enough DER to read a certificate's public-key type and size (never raises)."""

from __future__ import annotations

from phantomnet.analyzers.base import Cursor, Short

RSA = bytes.fromhex("2a864886f70d010101")
DSA = bytes.fromhex("2a8648ce380401")
EC = bytes.fromhex("2a8648ce3d0201")
ED25519 = bytes.fromhex("2b6570")
ED448 = bytes.fromhex("2b6571")
CURVES = {
    bytes.fromhex("2a8648ce3d030107"): 256,  # P-256
    bytes.fromhex("2b81040022"): 384,  # P-384
    bytes.fromhex("2b81040023"): 521,  # P-521
    bytes.fromhex("2b8104000a"): 256,  # secp256k1
}


def _tlv(cur: Cursor) -> tuple[int, Cursor]:
    tag = cur.u8()
    first = cur.u8()
    if first & 0x80:
        n = first & 0x7F
        if n == 0 or n > 4:
            raise Short
        length = int.from_bytes(cur.take(n), "big")
    else:
        length = first
    return tag, cur.sub(length)


def _int_bits(raw: bytes) -> int:
    return int.from_bytes(raw.lstrip(b"\x00"), "big").bit_length()


def public_key(der: bytes) -> tuple[str | None, int | None]:
    """(key type, key bits) of a DER certificate; (None, None) when unreadable."""
    try:
        _, cert = _tlv(Cursor(der))
        _, tbs = _tlv(cert)
        tag, _ = _tlv(tbs)
        if tag == 0xA0:  # explicit version: the serial follows
            _tlv(tbs)
        for _ in range(4):  # signature, issuer, validity, subject
            _tlv(tbs)
        _, spki = _tlv(tbs)
        _, alg = _tlv(spki)
        _, oid = _tlv(alg)
        algo = oid.take(oid.remaining())
        params = _tlv(alg)[1] if alg.remaining() else None
        _, bits = _tlv(spki)
        return _key(algo, params, bits)
    except Short:
        return None, None


def _key(algo: bytes, params: Cursor | None, bits: Cursor) -> tuple[str | None, int | None]:
    bits.u8()  # unused-bits byte of the BIT STRING
    if algo == RSA:
        _, seq = _tlv(bits)
        _, modulus = _tlv(seq)
        return "rsa", _int_bits(modulus.take(modulus.remaining()))
    if algo == EC:
        curve = params.take(params.remaining()) if params else b""
        return "ec", CURVES.get(curve, (bits.remaining() - 1) * 4)
    if algo == DSA:
        if params is None:
            return "dsa", None
        _, p = _tlv(params)
        return "dsa", _int_bits(p.take(p.remaining()))
    if algo == ED25519:
        return "ed25519", 256
    if algo == ED448:
        return "ed448", 456
    return None, None
