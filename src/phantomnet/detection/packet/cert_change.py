"""``cert_change``: a server shows another leaf certificate than the one seen before.

Perspectives/Convergence's local half: per server (address, port and the ClientHello's server
name) the last leaf certificate's SHA-256 is remembered; another one is reported, once per
(server, old, new). A man in the middle with its own certificate authority looks exactly like
this, and so does a legitimate renewal or a load balancer with two certificates: the
detection names the server (``subject``: the name, when the client sent one), and the
automatic multi-path verification asks the independent paths which key they see.

What it cannot see: TLS 1.3 encrypts the Certificate message (only TLS 1.2 and older are
judged); the first certificate of a server is the reference, so a change is only seen by a
monitor that saw the server before; the memory is ``max_servers`` servers (LRU).
"""

from __future__ import annotations

from phantomnet.analyzers.tls import Certificate, ClientHello, ServerHello
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import CertChangeConfig
from phantomnet.events import Detection
from phantomnet.monitor.dispatch import Meta


class CertChange:
    rule = "cert_change"

    def __init__(self, config: CertChangeConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.sni: Lru[int, str] = Lru(50_000)  # flow key -> the ClientHello's server name
        self.seen: Lru[tuple[str, int, str], str] = Lru(config.max_servers)
        self.reported: Lru[tuple[str, int, str, str, str], bool] = Lru(config.max_servers)

    def on_tls(self, meta: Meta, msg: ClientHello | ServerHello | Certificate) -> list[Detection]:
        if not self.cfg.enabled:
            return []
        if isinstance(msg, ClientHello):
            if msg.sni:
                self.sni.set(meta.flow_key, msg.sni.lower())
            return []
        if not isinstance(msg, Certificate) or msg.leaf_sha256 is None:
            return []
        server, port = meta.src, meta.sport
        if self.cfg.allowed(server):
            return []
        name = self.sni.peek(meta.flow_key) or ""
        key = (server, port, name)
        before = self.seen.peek(key)
        self.seen.set(key, msg.leaf_sha256)
        if before is None or before == msg.leaf_sha256:
            return []
        once = (server, port, name, before, msg.leaf_sha256)
        if self.reported.peek(once):
            return []
        self.reported.set(once, True)
        where = f"{name} ({server}:{port})" if name else f"{server}:{port}"
        return [
            self.report.detection(
                attacker=None,
                target=meta.dst,
                first=meta.ts,
                last=meta.ts,
                count=1,
                summary=(
                    f"certificate of {where} changed: {before[:16]}… -> {msg.leaf_sha256[:16]}…"
                ),
                protocol="tls",
                evidence=[meta.number],
                community_id=meta.community_id,
                subject=name or None,
            )
        ]
