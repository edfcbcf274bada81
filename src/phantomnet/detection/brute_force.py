"""``brute_force``: a source fails authentication too often within a window.

Counts failed ``auth.attempt`` events per (source, protocol), so hydra's several passwords
per SSH connection all count (Zeek's detect-bruteforcing counts connections and misses them).
Fires when the count reaches ``threshold`` and again each further ``threshold`` failures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from phantomnet.detection.base import Detector, RecentEvidence, WindowCounter
from phantomnet.detection.config import BruteForceConfig, DetectorConfig
from phantomnet.events import AuthAttempt, Detection, Event


class BruteForce(Detector):
    name: ClassVar[str] = "brute_force"
    Config: ClassVar[type[DetectorConfig]] = BruteForceConfig
    consumes: ClassVar[frozenset[str]] = frozenset({"auth.attempt"})
    reports: ClassVar[tuple[str, ...]] = ("brute_force",)

    def __init__(self, config: DetectorConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, BruteForceConfig)
        self.cfg = config
        self.failures = WindowCounter(timedelta(seconds=config.window_s))
        self.evidence = RecentEvidence()

    def observe(self, event: Event) -> list[Detection]:
        if not isinstance(event, AuthAttempt) or event.accepted or event.src is None:
            return []
        if self.cfg.allowed(event.src.ip):
            return []
        key = f"{event.src.ip}|{event.protocol}"
        count = self.failures.add(key, event.occurred_at)
        refs = self.evidence.add(key, f"event:{event.event_id}")
        if count % self.cfg.threshold:
            return []
        first = self.failures.first(key) or event.occurred_at
        return [
            self.detection(
                rule="brute_force",
                protocol=event.protocol,
                src=event.src,
                target=event.dst,
                first_seen=first,
                last_seen=event.occurred_at,
                count=count,
                summary=f"{count} failed {event.protocol} logins in {self.cfg.window_s:g}s",
                evidence=refs,
            )
        ]


__all__ = ["BruteForce", "BruteForceConfig"]
