"""One sink as a bus consumer: its own group (``sink-<name>``), its own cursor.

Delivery is at least once. A batch is acknowledged only after its wanted events were sent;
a failed send is retried with backoff (:class:`~phantomnet.resilience.Backoff`) on the same
events, without acknowledging, while ``health`` shows the failing streak (since, last error)
on /health and /metrics. A stopped sink leaves its batch un-acked: the bus delivers it again.

An alerting sink (``sink.alerting``) reads on while its alert policy holds events in dedupe
windows and digests: each batch is acknowledged only once every message covering its wanted
events was sent (so a pending digest keeps its batches un-acked), and the component wakes up
when the policy has something due without a new event (docs/sinks.md, Alerting).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from phantomnet.bus.base import Batch, EventBus
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.resilience import Backoff, until_done
from phantomnet.sinks.alerting import AlertPolicy, Message
from phantomnet.sinks.base import Sink

log = logging.getLogger(__name__)


@dataclass
class _Held:
    batch: Batch
    left: int


class SinkComponent(Component):
    """Feeds one :class:`Sink` from its own bus group (see the module docstring)."""

    name = "sink"

    def __init__(
        self,
        sink: Sink,
        bus: EventBus,
        *,
        node: str = "node",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink, self.bus = sink, bus
        self.group = f"sink-{sink.name}"
        self.consumer = f"{node}:{self.group}"
        self.delivered = self.skipped = self.pending = self.attempts = 0
        self._sub: AsyncIterator[Batch] | None = None
        self._stopping = False
        self.clock = clock
        alert = sink.alerting
        self.policy = AlertPolicy(alert, clock=clock) if alert is not None else None
        #: alerting: ticket -> [batch, its wanted events whose messages are not sent yet]
        self._held: dict[int, _Held] = {}
        self._tickets = 0

    async def start(self) -> None:
        self._stopping = False
        ensure_group = getattr(self.bus, "ensure_group", None)
        if ensure_group is not None:
            await ensure_group(self.group)
        kinds = set(self.sink.config.kinds)
        if self.policy is not None:
            kinds.add("response.block")  # what PhantomNet did, for the alert text
        sub = self.bus.subscribe(
            self.group,
            consumer=self.consumer,
            kinds=frozenset(kinds),
            batch_size=self.sink.config.batch_size,
        )
        self._sub = aiter(sub)

    async def run(self) -> None:
        if self._sub is None:
            await self.start()
        assert self._sub is not None
        if self.policy is not None:
            await self._run_alerts(self.policy, self._sub)
            return
        async for batch in self._sub:
            wanted = [e for e in batch.events if self.sink.config.wants(e)]
            self.skipped += len(batch.events) - len(wanted)
            if wanted and not await self._deliver(wanted):
                return  # stopping: the batch stays un-acked, the bus delivers it again
            await until_done(batch.ack, health=self.health, what=f"{self.group}: ack", log=log)

    async def _run_alerts(self, policy: AlertPolicy, sub: AsyncIterator[Batch]) -> None:
        """Read batches into the policy; send what it has due; ack what was covered."""
        reading: asyncio.Future[Batch] | None = None
        try:
            while True:
                for message in policy.due():
                    if not await self._send_message(message):
                        return  # stopping: held batches stay un-acked
                if reading is None:
                    reading = asyncio.ensure_future(anext(sub))
                due = policy.next_due()
                timeout = None if due is None else max(0.0, due - self.clock())
                done, _ = await asyncio.wait({reading}, timeout=timeout)
                if reading not in done:
                    continue
                got, reading = reading, None
                try:
                    batch = got.result()
                except StopAsyncIteration:
                    return
                await self._take(policy, batch)
        finally:
            if reading is not None:
                reading.cancel()

    async def _take(self, policy: AlertPolicy, batch: Batch) -> None:
        wanted = []
        for event in batch.events:
            policy.observe(event)
            if self.sink.config.wants(event):
                wanted.append(event)
        self.skipped += len(batch.events) - len(wanted)
        if not wanted:
            await until_done(batch.ack, health=self.health, what=f"{self.group}: ack", log=log)
            return
        self._tickets += 1
        self._held[self._tickets] = _Held(batch, len(wanted))
        self.pending += len(wanted)
        for event in wanted:
            policy.offer(event, self._tickets)

    async def _send_message(self, message: Message) -> bool:
        if not await self._attempt(lambda: self.sink.send_alert(message)):
            return False
        self.delivered += message.events
        await self._release(message.tickets)
        return True

    async def _release(self, tickets: Counter[int]) -> None:
        """Count sent events off their batches; ack the batches that are complete."""
        for ticket, n in tickets.items():
            held = self._held.get(ticket)
            if held is None:
                continue
            held.left -= n
            self.pending -= n
            if held.left <= 0:
                del self._held[ticket]
                ack = held.batch.ack
                await until_done(ack, health=self.health, what=f"{self.group}: ack", log=log)

    async def _deliver(self, events: Sequence[Event]) -> bool:
        """Send until it works (True) or the component stops (False)."""
        self.pending = len(events)
        if not await self._attempt(lambda: self.sink.send(events)):
            return False
        self.delivered += len(events)
        self.pending = 0
        return True

    async def _attempt(self, send: Callable[[], Awaitable[None]]) -> bool:
        """Call ``send`` until it works (True) or the component stops (False)."""
        cfg = self.sink.config
        delays = Backoff(first_s=cfg.retry_first_s, max_s=cfg.retry_max_s)
        failed = False
        while True:
            self.attempts += 1
            try:
                await send()
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
            **self._alert_counters(),
            "failing_since": h.failing_since.isoformat() if h.failing_since else None,
            "last_error": h.last_error,
            # the heartbeat's fields: the dashboard's status list shows them
            "events": self.delivered,
            "detail": self._detail(),
        }

    def _detail(self) -> str:
        h = self.health
        where = self.sink.target()
        if h.failing_since is None:
            return f"to {where}" if where else ""
        since = h.failing_since.isoformat(timespec="seconds")
        return f"since {since} ({h.last_error or 'error'}) to {where}"

    def _alert_counters(self) -> dict[str, object]:
        p = self.policy
        if p is None:
            return {}
        return {
            "alerts": p.alerts,
            "digests": p.digests,
            "deduped": p.deduped,
            "throttled": p.throttled,
            "held_batches": len(self._held),
        }


def sink_component(sink: Sink, bus: EventBus, node: str) -> SinkComponent:
    """A component named ``sink-<name>`` (status lines and the supervisor use the name)."""
    cls = type(f"SinkComponent_{sink.name}", (SinkComponent,), {"name": f"sink-{sink.name}"})
    comp = cls(sink, bus, node=node)
    assert isinstance(comp, SinkComponent)
    return comp
