"""``http_sqli``, ``http_traversal``, ``http_cmd_injection``, ``http_xxe`` on requests seen
on the wire.

The pattern logic is :func:`phantomnet.analyzers.web.classify` (shared with the
HTTP honeypot). Requests to this node's own HTTP doors (``request_doors``) are skipped:
the door publishes each one as ``http.request`` and the event-level ``http_attacks`` rule
judges it, so a request seen on both paths gives one detection, not two. Per (client,
server, rule) the first match is reported at once and later
ones when the count reaches 10, 100, 1000... so sqlmap's thousands of probes give a handful
of detections with growing counts.
"""

from __future__ import annotations

from collections import deque

from phantomnet.analyzers.http import HttpMessage
from phantomnet.analyzers.web import classify
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import DetectorsConfig, WebAttackConfig
from phantomnet.events import Detection, normalise_ip
from phantomnet.monitor.dispatch import Meta

RULES = ("http_sqli", "http_traversal", "http_cmd_injection", "http_xxe")
ANY_HOST = frozenset({"", "0.0.0.0", "::"})


class _Count:
    __slots__ = ("count", "evidence", "first", "next_report")

    def __init__(self, ts: float) -> None:
        self.count = 0
        self.first = ts
        self.next_report = 1
        self.evidence: deque[int] = deque(maxlen=20)


class WebAttacks:
    """Runs the four rules (each with its own config section)."""

    rule = "http_attacks"

    def __init__(self, config: DetectorsConfig, node: str) -> None:
        self.cfgs: dict[str, WebAttackConfig] = {r: getattr(config, r) for r in RULES}
        self.reports = {r: Reporter(node, r, c.severity) for r, c in self.cfgs.items()}
        self.counts: Lru[tuple[str, str, int, str], _Count] = Lru(100_000)
        self.any_host_ports = {p for h, p in config.request_doors if h in ANY_HOST}
        self.doors = {(normalise_ip(h), p) for h, p in config.request_doors if h not in ANY_HOST}

    def is_own_door(self, dst: str, port: int) -> bool:
        """A request to one of this node's HTTP doors (judged from its events instead)."""
        return port in self.any_host_ports or (normalise_ip(dst), port) in self.doors

    def on_http(self, meta: Meta, msg: HttpMessage) -> list[Detection]:
        if msg.is_response or msg.method is None:
            return []
        if (self.any_host_ports or self.doors) and self.is_own_door(meta.dst, meta.dport):
            return []
        found = []
        for finding in classify(msg.method, msg.path, msg.query, msg.body):
            cfg = self.cfgs[finding.rule]
            if not cfg.enabled or cfg.allowed(meta.src):
                continue
            state = self.counts.get(
                (meta.src, meta.dst, meta.dport, finding.rule), lambda: _Count(meta.ts)
            )
            state.count += 1
            state.evidence.append(meta.number)
            if state.count < state.next_report:
                continue
            state.next_report *= 10
            found.append(
                self.reports[finding.rule].detection(
                    attacker=meta.src,
                    target=meta.dst,
                    target_port=meta.dport,
                    first=state.first,
                    last=meta.ts,
                    count=state.count,
                    protocol="http",
                    evidence=list(state.evidence),
                    community_id=meta.community_id,
                    summary=f"{finding.rule} ({finding.pattern} in {finding.location}): "
                    f"{msg.method} {finding.excerpt}",
                )
            )
        return found
