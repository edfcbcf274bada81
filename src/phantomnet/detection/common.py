"""What every detector shares: the bounded LRU (with the ``due`` cooldown) and, for the
packet-level ones, the :class:`Reporter` that builds detections in the evidence format
(``packet:<n>``; event-level detections cite ``event:<event_id>``, see ``catalogue``)."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from phantomnet.detection.catalogue import BY_NAME
from phantomnet.errors import PluginError
from phantomnet.events import Detection, Endpoint, SensorRef, Severity, attacker_text

#: what ``Detection.observed`` may hold (addresses); anything else seen on the wire is dropped
_OBSERVED = re.compile(r"[0-9A-Za-z.:]+")

K = TypeVar("K")
V = TypeVar("V")
EVIDENCE_MAX = 20


def when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Lru(Generic[K, V]):
    """A dict bounded to ``limit`` keys; the least recently used key goes first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._d: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, make: Callable[[], V]) -> V:
        value = self._d.get(key)
        if value is None:
            value = make()
            self._d[key] = value
            if len(self._d) > self.limit:
                self._d.popitem(last=False)
        else:
            self._d.move_to_end(key)
        return value

    def set(self, key: K, value: V) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        if len(self._d) > self.limit:
            self._d.popitem(last=False)

    def peek(self, key: K) -> V | None:
        return self._d.get(key)

    def due(self: Lru[K, float], key: K, ts: float, cooldown: float) -> bool:
        """Whether ``key`` was last reported ``cooldown`` s or more before ``ts`` (or never);
        when it is, ``ts`` becomes its last report. One finding per key per cooldown."""
        last = self._d.get(key)
        if last is not None and ts - last < cooldown:
            return False
        self.set(key, ts)
        return True

    def pop(self, key: K) -> None:
        self._d.pop(key, None)

    def __len__(self) -> int:
        return len(self._d)


class Reporter:
    """Builds :class:`Detection` events for one rule."""

    def __init__(self, node: str, rule: str, severity: Severity) -> None:
        if rule not in BY_NAME:
            raise PluginError(f"monitor detector reports {rule!r}, not a catalogue rule")
        self.rule = rule
        self.severity = severity
        self.sensor = SensorRef(node=node, component=f"monitor.{rule}")

    def detection(
        self,
        *,
        attacker: str | None,
        target: str | None,
        target_port: int | None = None,
        first: float,
        last: float,
        count: int,
        summary: str,
        evidence: list[int] | tuple[int, ...] = (),
        protocol: str | None = None,
        severity: Severity | None = None,
        community_id: str | None = None,
        subject: str | None = None,
        observed: tuple[tuple[str, ...], ...] = (),
    ) -> Detection:
        src = Endpoint(ip=attacker) if attacker else None
        dst = Endpoint(ip=target, port=target_port) if target else None
        return Detection(
            sensor=self.sensor,
            occurred_at=when(last),
            src=src,
            dst=dst,
            community_id=community_id,
            rule=self.rule,
            severity=severity or self.severity,
            protocol=protocol,
            target=dst,
            first_seen=when(first),
            last_seen=when(last),
            count=max(count, 1),
            summary=attacker_text(summary, 512),
            evidence=tuple(f"packet:{n}" for n in list(evidence)[:EVIDENCE_MAX]),
            detector=f"monitor.{self.rule}",
            subject=attacker_text(subject, 253) if subject else None,
            observed=tuple(
                tuple(v for v in values if len(v) <= 64 and _OBSERVED.fullmatch(v))[:32]
                for values in observed[:8]
            ),
        )
