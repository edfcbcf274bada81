"""One sink as a bus consumer: its own group (``sink-<name>``), its own cursor.

Delivery is at least once. A batch is acknowledged only after its wanted events were sent;
a failed send is retried with backoff (:class:`~phantomnet.resilience.Backoff`) on the same
events, without acknowledging, while ``health`` shows the failing streak (since, last error)
on /health and /metrics. A stopped sink leaves its batch un-acked: the bus delivers it again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

from phantomnet.bus.base import Batch, EventBus
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.resilience import Backoff, until_done
from phantomnet.sinks.base import Sink

log = logging.getLogger(__name__)


class SinkComponent(Component):
    """Feeds one :class:`Sink` from its own bus group (see the module docstring)."""

    name = "sink"

    def __init__(self, sink: Sink, bus: EventBus, *, node: str = "node") -> None:
        self.sink, self.bus = sink, bus
        self.group = f"sink-{sink.name}"
        self.consumer = f"{node}:{self.group}"
        self.delivered = self.skipped = self.pending = self.attempts = 0
        self._sub: AsyncIterator[Batch] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        ensure_group = getattr(self.bus, "ensure_group", None)
        if ensure_group is not None:
            await ensure_group(self.group)
        sub = self.bus.subscribe(
            self.group,
            consumer=self.consumer,
            kinds=frozenset(self.sink.config.kinds),
            batch_size=self.sink.config.batch_size,
        )
        self._sub = aiter(sub)

    async def run(self) -> None:
        if self._sub is None:
            await self.start()
        assert self._sub is not None
        async for batch in self._sub:
            wanted = [e for e in batch.events if self.sink.config.wants(e)]
            self.skipped += len(batch.events) - len(wanted)
            if wanted and not await self._deliver(wanted):
                return  # stopping: the batch stays un-acked, the bus delivers it again
            await until_done(batch.ack, health=self.health, what=f"{self.group}: ack", log=log)

    async def _deliver(self, events: Sequence[Event]) -> bool:
        """Send until it works (True) or the component stops (False)."""
        cfg = self.sink.config
        delays = Backoff(first_s=cfg.retry_first_s, max_s=cfg.retry_max_s)
        self.pending = len(events)
        failed = False
        while True:
            self.attempts += 1
            try:
                await self.sink.send(events)
            except Exception as exc:  # the target is another system: any failure is retried
                failed = True
                if self.health.failing(f"{self.group}: send", exc):
                    log.warning("%s failed, retrying with backoff: %s", self.group, exc)
                await self.sink.close()
                if self._stopping:
                    return False
                await delays.sleep()
                continue
            break
        if failed:
            log.warning("%s works again (%d failures so far)", self.group, self.health.failures)
            self.health.recovered()
        self.delivered += len(events)
        self.pending = 0
        return True

    async def stop(self) -> None:
        self._stopping = True
        close = getattr(self._sub, "aclose", None)
        self._sub = None
        if close is not None:
            await close()
        await self.sink.close()

    def describe(self) -> dict[str, object]:
        h = self.health
        return {
            "sink": self.sink.name,
            "target": self.sink.target(),
            "delivered": self.delivered,
            "skipped": self.skipped,
            "pending": self.pending,
            "failing_since": h.failing_since.isoformat() if h.failing_since else None,
            "last_error": h.last_error,
        }


def sink_component(sink: Sink, bus: EventBus, node: str) -> SinkComponent:
    """A component named ``sink-<name>`` (status lines and the supervisor use the name)."""
    cls = type(f"SinkComponent_{sink.name}", (SinkComponent,), {"name": f"sink-{sink.name}"})
    comp = cls(sink, bus, node=node)
    assert isinstance(comp, SinkComponent)
    return comp
