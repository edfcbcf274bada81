"""In-process bus: bounded queues, fan-out to every group, shared work within a group.

The default for ``phantomnet up`` and for tests. Non-lossy groups apply back-pressure when
full (the publisher waits); lossy groups (live views) drop their oldest event instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from phantomnet.bus.base import BusStats
from phantomnet.events import Event, dump_event, parse_event


@dataclass
class MemoryBatch:
    events: Sequence[Event]
    bus: MemoryBus

    async def ack(self) -> None:
        self.bus.stats.acked += len(self.events)


class _GroupQueue:
    """One group's queue; all consumers of the group read from it."""

    def __init__(self, maxsize: int, kinds: frozenset[str] | None, lossy: bool) -> None:
        self.items: deque[Event] = deque()
        self.maxsize = maxsize
        self.kinds = kinds
        self.lossy = lossy
        self.readable = asyncio.Event()
        self.writable = asyncio.Event()
        self.writable.set()
        self.closed = False

    def wants(self, event: Event) -> bool:
        return self.kinds is None or event.kind in self.kinds


class MemorySubscription:
    """Async iterator of batches; registered with the bus as soon as it is created."""

    def __init__(self, bus: MemoryBus, group: str, queue: _GroupQueue, batch_size: int) -> None:
        self._bus = bus
        self._group = group
        self._queue = queue
        self._batch_size = batch_size

    def __aiter__(self) -> AsyncIterator[MemoryBatch]:
        return self

    async def __anext__(self) -> MemoryBatch:
        q = self._queue
        while not q.items:
            if q.closed:
                raise StopAsyncIteration
            q.readable.clear()
            await q.readable.wait()
        n = min(self._batch_size, len(q.items))
        events = [q.items.popleft() for _ in range(n)]
        q.writable.set()
        self._bus.stats.delivered += n
        return MemoryBatch(events, self._bus)

    async def aclose(self) -> None:
        self._bus.unsubscribe(self._group)


class MemoryBus:
    """Bounded in-process fan-out bus."""

    name = "memory"

    def __init__(self, *, queue_size: int = 100_000, debug_roundtrip: bool = False) -> None:
        self.stats = BusStats()
        self._queue_size = queue_size
        self._roundtrip = debug_roundtrip
        self._groups: dict[str, _GroupQueue] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for q in self._groups.values():
            q.closed = True
            q.readable.set()
            q.writable.set()

    async def healthy(self) -> bool:
        return True

    async def publish(self, event: Event) -> None:
        if self._roundtrip:
            event = parse_event(dump_event(event))
        self.stats.published += 1
        for q in list(self._groups.values()):
            if q.wants(event):
                await self._put(q, event)

    async def publish_many(self, events: Sequence[Event]) -> None:
        for event in events:
            await self.publish(event)

    async def _put(self, q: _GroupQueue, event: Event) -> None:
        while len(q.items) >= q.maxsize and not q.closed:
            if q.lossy:
                q.items.popleft()
                self.stats.dropped += 1
                break
            q.writable.clear()
            await q.writable.wait()
        q.items.append(event)
        q.readable.set()

    def subscribe(
        self,
        group: str,
        *,
        consumer: str = "c1",
        kinds: frozenset[str] | None = None,
        batch_size: int = 1000,
        lossy: bool = False,
    ) -> MemorySubscription:
        queue = self._groups.get(group)
        if queue is None:
            queue = _GroupQueue(self._queue_size, kinds, lossy)
            self._groups[group] = queue
        return MemorySubscription(self, group, queue, batch_size)

    def unsubscribe(self, group: str) -> None:
        """Forget a group (live views call this when their client leaves)."""
        queue = self._groups.pop(group, None)
        if queue is not None:
            queue.closed = True
            queue.readable.set()
