"""``port_scan``: Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, 2004).

Each source's first attempt to every distinct (host, port) is a Bernoulli trial: success
(SYN-ACK, UDP reply) or failure (RST, ICMP unreachable, no answer within
``attempt_timeout_s``, or a FIN/NULL/Xmas probe, which no real client sends). The
log-likelihood ratio of "scanner" (success rate ``theta1``) vs "benign" (``theta0``) walks up
on failures and down on successes; crossing ``log(DR/FPR)`` flags the source (4 failures with
the defaults), and the walk is floored at ``log((1-DR)/(1-FPR))`` so a long benign history
cannot hide a later scan for more than a few extra probes. Horizontal (many hosts) and
vertical (many ports) scans are both distinct (host, port) pairs; the summary says which.

State is bounded: at most ``max_sources`` sources (LRU) and 4096 remembered pairs each,
and a source gets state only once it fails (successes alone keep it at the floor).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import numpy.typing as npt

from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import PortScanConfig
from phantomnet.events import Detection
from phantomnet.monitor.addr import ip_text
from phantomnet.monitor.flowevents import endpoints
from phantomnet.monitor.flows import ATTEMPT_NAMES, SUCCESS, FlowTable

MAX_PAIRS = 4096
KIND_LABEL = {"syn": "SYN/connect", "fin": "FIN", "null": "NULL", "xmas": "Xmas", "udp": "UDP"}


class _Source:
    __slots__ = (
        "dsts",
        "evidence",
        "failures",
        "first",
        "kinds",
        "last",
        "llr",
        "pairs",
        "ports",
        "reported",
        "reported_at",
        "successes",
    )

    def __init__(self) -> None:
        self.llr = 0.0
        self.pairs: set[tuple[int, int, int]] = set()
        self.dsts: set[tuple[int, int]] = set()
        self.ports: set[int] = set()
        self.failures = 0
        self.successes = 0
        self.first = 0.0
        self.last = 0.0
        self.kinds: Counter[str] = Counter()
        self.evidence: list[int] = []
        self.reported = 0
        self.reported_at = -math.inf


class PortScan:
    rule = "port_scan"

    def __init__(self, config: PortScanConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.up = math.log((1 - config.theta1) / (1 - config.theta0))
        self.down = math.log(config.theta1 / config.theta0)
        self.upper = math.log(config.detection_rate / config.false_positive_rate)
        self.lower = math.log((1 - config.detection_rate) / (1 - config.false_positive_rate))
        self.sources: Lru[tuple[int, int], _Source] = Lru(config.max_sources)

    def on_outcomes(self, table: FlowTable, slots: npt.NDArray[np.int64]) -> list[Detection]:
        """Feed resolved connection attempts; return detections that fired."""
        found: list[Detection] = []
        if not self.cfg.enabled:
            return found
        for slot in slots.tolist():
            hit = self._one(table, slot)
            if hit is not None:
                found.append(hit)
        return found

    def _one(self, t: FlowTable, slot: int) -> Detection | None:
        (o_hi, o_lo, _), (r_hi, r_lo, r_port) = endpoints(t, slot)
        known = self.sources.peek((o_hi, o_lo))
        if known is None and int(t.outcome[slot]) == SUCCESS:
            return None  # an unknown source that succeeds stays at the benign floor: no state
        src = known if known is not None else self.sources.get((o_hi, o_lo), _Source)
        pair = (r_hi, r_lo, r_port)
        if pair in src.pairs:
            return None
        if len(src.pairs) < MAX_PAIRS:
            src.pairs.add(pair)
            src.dsts.add((r_hi, r_lo))
            src.ports.add(r_port)
        ts = float(t.first_ts[slot])
        src.first = src.first or ts
        src.last = max(src.last, float(t.last_ts[slot]))
        if int(t.outcome[slot]) == SUCCESS:
            src.successes += 1
            src.llr = max(src.llr + self.down, self.lower)
            return None
        src.failures += 1
        src.kinds[ATTEMPT_NAMES[int(t.attempt[slot])]] += 1
        src.llr = max(src.llr + self.up, self.lower)
        if len(src.evidence) < 20:
            src.evidence.append(int(t.first_number[slot]))
        if src.llr < self.upper or src.failures < self.cfg.min_failures:
            return None
        return self._maybe_report(src, o_hi, o_lo, slot, t)

    def _maybe_report(
        self, src: _Source, hi: int, lo: int, slot: int, t: FlowTable
    ) -> Detection | None:
        attacker = ip_text(hi, lo)
        if self.cfg.allowed(attacker):
            return None
        fresh = src.last - src.reported_at >= self.cfg.realert_s
        grown = src.failures >= 10 * max(src.reported, 1)
        if not (fresh or grown):
            return None
        src.reported = src.failures
        src.reported_at = src.last
        kind = KIND_LABEL.get(src.kinds.most_common(1)[0][0], "TCP")
        vertical = len(src.dsts) == 1
        shape = "vertical" if vertical else ("horizontal" if len(src.ports) == 1 else "mixed")
        target = ip_text(*next(iter(src.dsts))) if vertical else None
        port = next(iter(src.ports)) if len(src.ports) == 1 else None
        summary = (
            f"{kind} {shape} scan: {src.failures} failed of {src.failures + src.successes} "
            f"probes to {len(src.dsts)} host(s), {len(src.ports)} port(s)"
        )
        return self.report.detection(
            attacker=attacker,
            target=target,
            target_port=port if vertical else None,
            first=src.first,
            last=src.last,
            count=src.failures,
            summary=summary,
            evidence=src.evidence,
            protocol="udp" if kind == "UDP" else "tcp",
        )
