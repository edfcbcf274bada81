"""The persona's TLS certificate, as Debian's ``ssl-cert`` package makes it ("snakeoil").

One self-signed RSA-2048 certificate per install, CN and subjectAltName = the persona's host
name, ten years of validity, generated on first use and kept in the data directory (never
shipped), so HTTPS and SMTP STARTTLS present the same certificate, as one real host would.
"""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def ensure_certificate(
    directory: Path, hostname: str, issued_at: float | None = None
) -> tuple[Path, Path]:
    """Return (cert, key) PEM paths for ``hostname``, creating them once.

    ``issued_at`` (epoch seconds) is when ``ssl-cert`` ran on the persona, i.e. its install
    day: a certificate born at the honeypot's first start would be a tell."""
    directory.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in hostname if c.isalnum() or c in ".-") or "localhost"
    cert_path, key_path = directory / f"{safe}.pem", directory / f"{safe}.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if issued_at is not None:
        now = dt.datetime.fromtimestamp(int(issued_at), dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side context like a stock Debian 12 daemon (TLS 1.2+, OpenSSL defaults)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # Debian's ssl.conf (SSLCipherSuite HIGH:!aNULL, SSLHonorCipherOrder off); Postfix's
    # "medium" grade is the same set on OpenSSL 3. Python's own list would be a tell.
    ctx.set_ciphers("HIGH:!aNULL")
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.load_cert_chain(cert, key)
    return ctx
