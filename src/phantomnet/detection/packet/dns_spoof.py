"""``dns_spoof``: forged DNS answers racing the real resolver.

Two signals (OONI dns_injection / Zeek unmatched replies):

* two responses to one query (client, client port, txid, name) within ``window_s`` whose
  A/AAAA answer sets do not overlap (round-robin CDNs overlap; a forged answer does not);
* a response from a server the client did not ask (same txid and name, other resolver).

Only queries we saw are judged, so a capture that starts mid-conversation stays quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from phantomnet.analyzers.dns import DnsMessage
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import DnsSpoofConfig
from phantomnet.events import Detection
from phantomnet.monitor.dispatch import Meta

ADDRESS_TYPES = ("A", "AAAA")


@dataclass(slots=True)
class _Query:
    ts: float
    servers: set[str]
    answers: list[tuple[str, frozenset[str], float, int]] = field(default_factory=list)
    reported: bool = False


class DnsSpoof:
    rule = "dns_spoof"

    def __init__(self, config: DnsSpoofConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.queries: Lru[tuple[str, int, int, str], _Query] = Lru(config.max_pending)

    def on_dns(self, meta: Meta, msg: DnsMessage) -> list[Detection]:
        if not self.cfg.enabled or msg.opcode != 0 or not msg.qname:
            return []
        if not msg.is_response:
            query = self.queries.get(
                (meta.src, meta.sport, msg.txid, msg.qname.lower()), lambda: _Query(meta.ts, set())
            )
            query.servers.add(meta.dst)
            return []
        found = self.queries.peek((meta.dst, meta.dport, msg.txid, msg.qname.lower()))
        if found is None or meta.ts - found.ts > self.cfg.window_s:
            return []
        query = found
        data = frozenset(a.data for a in msg.answers if a.rtype in ADDRESS_TYPES)
        query.answers.append((meta.src, data, meta.ts, meta.number))
        if query.reported:
            return []
        if meta.src not in query.servers:
            return self._emit(
                meta,
                msg,
                query,
                f"answer from {meta.src}, which was not asked "
                f"(asked: {', '.join(sorted(query.servers))})",
                meta.src,
            )
        for src, other, _ts, _n in query.answers[:-1]:
            if data and other and not (data & other):
                return self._emit(
                    meta,
                    msg,
                    query,
                    f"conflicting answers for {msg.qname}: "
                    f"{', '.join(sorted(other))} vs {', '.join(sorted(data))}",
                    None if src == meta.src else meta.src,
                )
        return []

    def _emit(
        self, meta: Meta, msg: DnsMessage, query: _Query, detail: str, attacker: str | None
    ) -> list[Detection]:
        if self.cfg.allowed(meta.dst) or self.cfg.allowed(attacker):
            return []
        query.reported = True
        return [
            self.report.detection(
                attacker=attacker,
                target=meta.dst,
                target_port=meta.dport,
                first=query.ts,
                last=meta.ts,
                count=len(query.answers),
                protocol="dns",
                summary=f"DNS spoofing suspected (txid {msg.txid}): {detail}",
                evidence=[n for *_rest, n in query.answers],
                community_id=meta.community_id,
                subject=msg.qname.lower().rstrip("."),
                observed=tuple(tuple(sorted(data)) for _src, data, *_ in query.answers),
            )
        ]
