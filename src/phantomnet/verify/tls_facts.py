"""What a TLS connection showed: the leaf's SPKI SHA-256 and the chain's subjects/issuers.

The chain is the one the peer sent (``get_unverified_chain``, public from Python 3.13, a
private method of ``_ssl._SSLSocket`` since 3.10); without it only the leaf is reported.
Works on any :class:`ssl.SSLObject`/:class:`ssl.SSLSocket`: direct connections, HTTP
``CONNECT`` tunnels and SOCKS5 (httpcore upgrades the tunnel's stream with ``start_tls``).
"""

from __future__ import annotations

import hashlib
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from phantomnet.errors import VerifyPathError
from phantomnet.verify.answers import CertLink


def spki_sha256(cert: x509.Certificate) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo (what HPKP and ``pin-sha256`` pin)."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def _chain_der(sslobj: ssl.SSLObject | ssl.SSLSocket) -> list[bytes]:
    inner: Any = getattr(sslobj, "_sslobj", sslobj)
    getter = getattr(inner, "get_unverified_chain", None)
    if getter is None:
        return []
    return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in getter() or ()]  # type: ignore[attr-defined]


def peer_facts(sslobj: ssl.SSLObject | ssl.SSLSocket | None) -> tuple[str, tuple[CertLink, ...]]:
    """``(leaf SPKI SHA-256, chain)`` of a connected TLS object."""
    if sslobj is None:
        raise VerifyPathError("no TLS object on the connection")
    leaf_der = sslobj.getpeercert(binary_form=True)
    if not leaf_der:
        raise VerifyPathError("the peer sent no certificate")
    leaf = x509.load_der_x509_certificate(leaf_der)
    ders = _chain_der(sslobj) or [leaf_der]
    chain = tuple(
        CertLink(subject=c.subject.rfc4514_string(), issuer=c.issuer.rfc4514_string())
        for c in (x509.load_der_x509_certificate(d) for d in ders)
    )
    return spki_sha256(leaf), chain


def tls_context(
    *, verify: bool, ca_file: str | None, alpn: list[str] | None = None
) -> ssl.SSLContext:
    """A client context: the system roots, or only ``ca_file`` when given; ``verify=False``
    observes any certificate (the ``tls`` path reports what it saw, it does not trust it)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx
