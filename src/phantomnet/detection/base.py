"""Detector plug-in base, its context, and bounded sliding-window counters.

A detector sees events (``consumes``) and returns :class:`Detection` events; it never does
I/O, so it can be tested by feeding lists of events. The engine (``detection/engine.py``)
runs the enabled ones on the bus. Packet-level detectors (``detection/packet/``) run in the
monitor's hot path. Both share :class:`~phantomnet.detection.config.DetectorConfig`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import Field

from phantomnet.detection.catalogue import BY_NAME
from phantomnet.detection.config import DetectorConfig
from phantomnet.errors import PluginError
from phantomnet.events import Detection, Endpoint, Event, SensorRef, Severity


class WindowCounter:
    """Per-key timestamps inside a sliding window, bounded to ``max_keys`` keys (LRU)."""

    def __init__(self, window: timedelta, max_keys: int = 100_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._data: OrderedDict[str, deque[datetime]] = OrderedDict()

    def add(self, key: str, at: datetime) -> int:
        """Record one hit at ``at``; return how many hits ``key`` has inside the window."""
        hits = self._data.get(key)
        if hits is None:
            hits = deque()
            self._data[key] = hits
            if len(self._data) > self.max_keys:
                self._data.popitem(last=False)
        else:
            self._data.move_to_end(key)
        hits.append(at)
        horizon = at - self.window
        while hits and hits[0] < horizon:
            hits.popleft()
        return len(hits)

    def first(self, key: str) -> datetime | None:
        hits = self._data.get(key)
        return hits[0] if hits else None

    def reset(self, key: str) -> None:
        self._data.pop(key, None)


class Detector:
    """Base of event-level detectors registered under ``phantomnet.detectors``."""

    name: ClassVar[str] = "detector"
    Config: ClassVar[type[DetectorConfig]] = DetectorConfig
    consumes: ClassVar[frozenset[str]] = frozenset()
    #: The catalogue rules this detector reports (checked when it is built).
    reports: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: DetectorConfig, node: str) -> None:
        unknown = [r for r in self.reports if r not in BY_NAME]
        if unknown:
            raise PluginError(f"detector {self.name}: rules not in the catalogue: {unknown}")
        self.config = config
        self.sensor = SensorRef(node=node, component=f"detector.{self.name}")

    def observe(self, event: Event) -> list[Detection]:
        """Look at one event; return findings (usually none)."""
        raise NotImplementedError

    def detection(
        self,
        *,
        rule: str,
        src: Endpoint | None,
        target: Endpoint | None,
        first_seen: datetime,
        last_seen: datetime,
        count: int,
        summary: str,
        evidence: tuple[str, ...] = (),
        protocol: str | None = None,
        severity: Severity | None = None,
    ) -> Detection:
        if rule not in self.reports:
            raise PluginError(f"detector {self.name} reported {rule!r}, not one of its rules")
        return Detection(
            sensor=self.sensor,
            src=src,
            dst=target,
            rule=rule,
            severity=severity or self.config.severity,
            protocol=protocol,
            target=target,
            first_seen=first_seen,
            last_seen=last_seen,
            count=count,
            summary=summary,
            evidence=evidence,
            detector=self.name,
        )


class RecentEvidence:
    """The last few event ids per key, to cite as evidence."""

    def __init__(self, keep: int = 20, max_keys: int = 100_000) -> None:
        self.keep = keep
        self.max_keys = max_keys
        self._data: OrderedDict[str, deque[str]] = OrderedDict()

    def add(self, key: str, ref: str) -> tuple[str, ...]:
        refs = self._data.get(key)
        if refs is None:
            refs = deque(maxlen=self.keep)
            self._data[key] = refs
            if len(self._data) > self.max_keys:
                self._data.popitem(last=False)
        refs.append(ref)
        return tuple(refs)


__all__ = ["Detector", "DetectorConfig", "Field", "RecentEvidence", "WindowCounter"]
