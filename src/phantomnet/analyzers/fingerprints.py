"""JA3, JA3S, JA4 (client, BSD-3 part of JA4+) and HASSH/HASSHServer.

JA3/JA3S follow salesforce/ja3 (GREASE dropped, wire order, decimal, MD5). JA4 follows
FoxIO's ``technical_details/JA4.md``; ``alpn_mode="spec"`` applies the current spec's
non-alphanumeric rule (first/last hex nibble), ``"foxio"`` reproduces FoxIO's reference
implementation, which replaces non-ASCII ALPN characters with ``9`` (its test vectors
were produced that way). HASSH is MD5 over the KEXINIT name-lists.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from phantomnet.analyzers.ssh import KexInit
from phantomnet.analyzers.tls import GREASE, ClientHello, ServerHello

JA4_VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _dash(values: tuple[int, ...] | list[int]) -> str:
    return "-".join(str(v) for v in values if v not in GREASE)


def ja3_string(hello: ClientHello) -> str:
    return ",".join(
        (
            str(hello.version),
            _dash(hello.ciphers),
            _dash(hello.extensions),
            _dash(hello.groups),
            _dash(hello.point_formats),
        )
    )


def ja3(hello: ClientHello) -> tuple[str, str]:
    """(JA3 hash, JA3 string)."""
    text = ja3_string(hello)
    return _md5(text), text


def ja3s(hello: ServerHello) -> tuple[str, str]:
    """(JA3S hash, JA3S string)."""
    text = f"{hello.version},{hello.cipher},{_dash(hello.extensions)}"
    return _md5(text), text


def _sha12(text: str) -> str:
    if not text:
        return "000000000000"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _alpn2(alpn: tuple[bytes, ...], mode: Literal["spec", "foxio"]) -> str:
    if not alpn or not alpn[0]:
        return "00"
    value = alpn[0]
    if len(value) == 2 and int.from_bytes(value, "big") in GREASE:
        return "00"
    first, last = value[0], value[-1]
    if mode == "foxio":
        a = chr(first) if first < 0x80 else "9"
        b = chr(last) if last < 0x80 else "9"
        return a + b
    if chr(first).isalnum() and chr(last).isalnum() and first < 0x80 and last < 0x80:
        return chr(first) + chr(last)
    return f"{first:02x}"[0] + f"{last:02x}"[-1]


def ja4(
    hello: ClientHello, transport: str = "t", alpn_mode: Literal["spec", "foxio"] = "foxio"
) -> str:
    """JA4 (``a_b_c``) of a ClientHello; ``transport`` is t (TCP), q (QUIC) or d (DTLS)."""
    versions = [v for v in hello.supported_versions if v not in GREASE]
    version = max(versions) if versions else hello.version
    ciphers = [c for c in hello.ciphers if c not in GREASE]
    exts = [e for e in hello.extensions if e not in GREASE]
    sni = "d" if 0 in exts else "i"
    a = (
        f"{transport}{JA4_VERSIONS.get(version, '00')}{sni}{min(len(ciphers), 99):02d}"
        f"{min(len(exts), 99):02d}{_alpn2(hello.alpn, alpn_mode)}"
    )
    b = _sha12(",".join(f"{c:04x}" for c in sorted(ciphers)))
    rest = ",".join(f"{e:04x}" for e in sorted(e for e in exts if e not in (0x0000, 0x0010)))
    sigs = ",".join(f"{s:04x}" for s in hello.sig_algs)
    c = "000000000000" if not exts else _sha12(rest + ("_" + sigs if sigs else ""))
    return f"{a}_{b}_{c}"


def hassh(kex: KexInit, server: bool = False) -> tuple[str, str]:
    """(HASSH or HASSHServer hash, its input string)."""
    text = kex.server_string() if server else kex.client_string()
    return kex.hassh(server), text
