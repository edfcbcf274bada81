"""``weak_tls``: weak versions, suites and keys actually negotiated, and downgrades.

Beyond Zeek's weak-keys.zeek: SSLv2/SSLv3/TLS 1.0/TLS 1.1 (below ``min_version``), NULL,
EXPORT, anon, RC4, DES/3DES and MD5 suites, no forward secrecy (static RSA/DH key exchange),
certificate keys shorter than ``min_key_bits`` (RSA/DSA; EC below 224), SSLv2-format hellos,
and a client that offered TLS 1.3 ending up on TLS 1.1 or older. One detection per server,
port and reason set per hour.
"""

from __future__ import annotations

import re

from phantomnet.analyzers.tls import (
    VERSIONS,
    Certificate,
    ClientHello,
    ServerHello,
    cipher_name,
    version_name,
)
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import WeakTlsConfig
from phantomnet.events import Detection
from phantomnet.monitor.dispatch import Meta

WEAK_CIPHER = re.compile(r"_NULL_|NULL_WITH|_EXPORT|_anon_|_RC4_|_DES_|_3DES_|DES40|_MD5$|_RC2_")
NO_PFS = re.compile(r"^TLS_(RSA|PSK|DH|ECDH)_(WITH|EXPORT)|^TLS_(DH|ECDH)_(RSA|DSS|ECDSA)_")
RANK = {name: code for code, name in VERSIONS.items()}


class WeakTls:
    rule = "weak_tls"

    def __init__(self, config: WeakTlsConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.min_version = RANK.get(config.min_version, 0x0303)
        self.offered13: Lru[int, bool] = Lru(50_000)  # flow key -> client offered TLS 1.3
        self.sni: Lru[int, str] = Lru(50_000)  # flow key -> the ClientHello's server name
        self.reported: Lru[tuple[str, int, str], float] = Lru(50_000)

    def on_tls(self, meta: Meta, msg: ClientHello | ServerHello | Certificate) -> list[Detection]:
        if not self.cfg.enabled:
            return []
        if isinstance(msg, ClientHello):
            self.offered13.set(meta.flow_key, 0x0304 in msg.supported_versions)
            if msg.sni:
                self.sni.set(meta.flow_key, msg.sni.lower())
            if msg.sslv2:
                return self._emit(meta, ["SSLv2-format ClientHello"], server_is_src=False)
            return []
        if isinstance(msg, ServerHello):
            return self._emit(meta, self._server_reasons(meta, msg), server_is_src=True)
        bits, kind = msg.key_bits, msg.key_type
        if bits is not None and (
            (kind in ("rsa", "dsa") and bits < self.cfg.min_key_bits)
            or (kind == "ec" and bits < 224)
        ):
            return self._emit(
                meta,
                [f"{kind.upper() if kind else ''} {bits}-bit certificate key"],
                server_is_src=True,
            )
        return []

    def _server_reasons(self, meta: Meta, msg: ServerHello) -> list[str]:
        reasons = []
        version = msg.negotiated
        if version < self.min_version:
            reasons.append(f"{version_name(version)} negotiated")
        name = cipher_name(msg.cipher)
        if WEAK_CIPHER.search(name):
            reasons.append(f"weak cipher {name}")
        elif self.cfg.flag_no_forward_secrecy and version < 0x0304 and NO_PFS.search(name):
            reasons.append(f"no forward secrecy ({name})")
        if self.offered13.peek(meta.flow_key) and version <= 0x0302:
            reasons.append(f"downgrade: client offered TLS 1.3, got {version_name(version)}")
        return reasons

    def _emit(self, meta: Meta, reasons: list[str], server_is_src: bool) -> list[Detection]:
        if not reasons:
            return []
        server, port = (meta.src, meta.sport) if server_is_src else (meta.dst, meta.dport)
        client = meta.dst if server_is_src else meta.src
        if self.cfg.allowed(server):
            return []
        key = (server, port, "|".join(reasons))
        if not self.reported.due(key, meta.ts, 3600):
            return []
        return [
            self.report.detection(
                attacker=server,
                target=client,
                first=meta.ts,
                last=meta.ts,
                count=1,
                summary=f"weak TLS on {server}:{port}: " + "; ".join(reasons),
                protocol="tls",
                evidence=[meta.number],
                community_id=meta.community_id,
                # a downgrade is what multi-path verification can check (the name's page
                # through other paths); other weak-TLS findings name no subject
                subject=self.sni.peek(meta.flow_key)
                if any(r.startswith("downgrade") for r in reasons)
                else None,
            )
        ]
