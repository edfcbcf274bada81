"""Runs the enabled event-level detectors on the bus and publishes their detections.

Publishing and acknowledging are retried while the bus is away (``resilience.until_done``):
a Redis restart never ends the engine, and a batch is acknowledged only after its
detections are published.

The bus delivers at least once (a consumer that dies before its ack gets the batch again,
``docs/bus.md``), so the engine remembers the ids of the last ``seen_ids`` events it fed to
the detectors and skips a replay: a failed login delivered twice counts once.
"""

from __future__ import annotations

import logging
from functools import partial

from phantomnet.bus.base import EventBus
from phantomnet.detection.base import Detector
from phantomnet.detection.common import Lru
from phantomnet.events import Detection
from phantomnet.plugins import Component
from phantomnet.resilience import until_done

log = logging.getLogger(__name__)


class DetectorEngine(Component):
    """Feeds each event to the detectors that consume its kind; one failing detector is
    counted and logged (first and every 100th failure) and never stops the others."""

    name = "detectors"

    def __init__(
        self,
        bus: EventBus,
        detectors: list[Detector],
        *,
        group: str = "detectors",
        seen_ids: int = 200_000,
    ):
        self.bus = bus
        self.detectors = detectors
        self.group = group
        self.failures: dict[str, int] = {}
        self.detections = 0
        self.replays = 0
        self.seen: Lru[object, bool] = Lru(seen_ids)
        self._subscription: object | None = None

    async def start(self) -> None:
        kinds = frozenset().union(*(d.consumes for d in self.detectors))
        self._subscription = self.bus.subscribe(self.group, kinds=kinds or None)

    async def run(self) -> None:
        if not self.detectors or self._subscription is None:
            return await super().run()
        async for batch in self._subscription:  # type: ignore[attr-defined]
            found: list[Detection] = []
            for event in batch.events:
                found.extend(self.observe(event))
            if found:
                await until_done(
                    partial(self.bus.publish_many, found),
                    health=self.health,
                    what="detectors: publish",
                    log=log,
                )
                self.detections += len(found)
            await until_done(batch.ack, health=self.health, what="detectors: ack", log=log)

    async def stop(self) -> None:
        close = getattr(self._subscription, "aclose", None)
        if close is not None:
            await close()

    def observe(self, event: object) -> list[Detection]:
        out: list[Detection] = []
        kind = getattr(event, "kind", None)
        event_id = getattr(event, "event_id", None)
        if event_id is not None:
            if self.seen.peek(event_id):
                self.replays += 1
                return out
            self.seen.set(event_id, True)
        for detector in self.detectors:
            if kind not in detector.consumes:
                continue
            try:
                out.extend(detector.observe(event))  # type: ignore[arg-type]
            except Exception:  # isolate one broken detector from the rest
                n = self.failures[detector.name] = self.failures.get(detector.name, 0) + 1
                if n == 1 or n % 100 == 0:
                    log.exception("detector %s failed (%d failures)", detector.name, n)
        return out

    def describe(self) -> dict[str, object]:
        return {
            "detectors": [d.name for d in self.detectors],
            "events": self.detections,
            "failures": sum(self.failures.values()),
            "replays_skipped": self.replays,
        }
