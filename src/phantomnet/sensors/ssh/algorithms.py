"""Algorithm lists in the persona's exact wire order, and the post-quantum key exchange.

OpenSSH 9.2 offers ``sntrup761x25519-sha512@openssh.com``. asyncssh implements the hybrid
exchange but needs liboqs for Streamlined NTRU Prime; when that is missing we plug in the
SNTRUP761 KEM from PyPI's ``pqcrypto`` through asyncssh's own ``register_kex_alg`` (same
hybrid construction, so a real OpenSSH client completes it). We advertise only what the server
can complete: a persona algorithm asyncssh cannot do is dropped (and reported by
:func:`unsupported`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import asyncssh
from asyncssh.encryption import get_encryption_algs
from asyncssh.kex import get_kex_algs, register_kex_alg
from asyncssh.mac import get_mac_algs

from phantomnet.deception.persona import SshSpec

SNTRUP_NAMES = (b"sntrup761x25519-sha512", b"sntrup761x25519-sha512@openssh.com")


class PqcryptoSntrup761:
    """asyncssh's PQ-key protocol implemented with ``pqcrypto.kem.sntrup_761``."""

    pubkey_bytes = 1158
    privkey_bytes = 1763
    ciphertext_bytes = 1039
    secret_bytes = 32

    def __init__(self, alg_name: bytes) -> None:
        from pqcrypto.kem import sntrup_761

        self._kem: Any = sntrup_761
        self._pub, self._priv = sntrup_761.keygen()

    def get_public(self) -> bytes:
        return bytes(self._pub)

    def encaps(self, peer_public: bytes) -> tuple[bytes, bytes]:
        """Returns (shared secret, ciphertext) as asyncssh expects."""
        if len(peer_public) != self.pubkey_bytes:
            raise ValueError("Invalid public key")
        ciphertext, secret = self._kem.encaps(peer_public)
        return bytes(secret), bytes(ciphertext)

    def decaps(self, ciphertext: bytes) -> bytes:
        if len(ciphertext) != self.ciphertext_bytes:
            raise ValueError("Invalid ciphertext")
        return bytes(self._kem.decaps(self._priv, ciphertext))


def ensure_sntrup() -> bool:
    """Register SNTRUP761 hybrids with asyncssh if it lacks them; True when available."""
    have = set(get_kex_algs())
    if all(name in have for name in SNTRUP_NAMES):
        return True
    try:
        from asyncssh.crypto import Curve25519DH
        from asyncssh.kex_dh import _KexHybridECDH
        from pqcrypto.kem import sntrup_761  # noqa: F401
    except ImportError:
        return False
    for name in SNTRUP_NAMES:
        if name not in have:
            register_kex_alg(
                name,
                _KexHybridECDH,
                hashlib.sha512,
                (PqcryptoSntrup761, b"sntrup761", Curve25519DH),
                False,
            )
    return True


def _filter(wanted: tuple[str, ...], available: list[bytes]) -> list[str]:
    have = {a.decode() for a in available}
    return [a for a in wanted if a in have]


def server_algorithms(spec: SshSpec) -> dict[str, list[str]]:
    """kex/encryption/mac/compression lists for asyncssh options, persona order kept."""
    ensure_sntrup()
    return {
        "kex_algs": _filter(spec.kex, get_kex_algs()),
        "encryption_algs": _filter(spec.ciphers, get_encryption_algs()),
        "mac_algs": _filter(spec.macs, get_mac_algs()),
        "compression_algs": [c for c in spec.compression if c in ("none", "zlib@openssh.com")],
    }


def unsupported(spec: SshSpec) -> list[str]:
    """Persona algorithms this server cannot complete (so it does not advertise them)."""
    algs = server_algorithms(spec)
    missing = [a for a in spec.kex if a not in algs["kex_algs"]]
    missing += [a for a in spec.ciphers if a not in algs["encryption_algs"]]
    missing += [a for a in spec.macs if a not in algs["mac_algs"]]
    return missing


def host_key_algorithms(spec: SshSpec, keys: list[asyncssh.SSHKey]) -> list[bytes]:
    """The persona's host-key algorithm list restricted to the keys we hold."""
    offered: set[bytes] = set()
    for key in keys:
        offered.update(key.sig_algorithms)
    return [a.encode() for a in spec.host_key_algs if a.encode() in offered]
