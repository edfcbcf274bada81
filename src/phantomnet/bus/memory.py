"""In-process bus: bounded queues, fan-out to every group, shared work within a group.

The default for ``phantomnet up`` and for tests.

* **Fan-out**: every group gets its own bounded queue and sees every event (of its kinds)
  published *after* the group's first ``subscribe`` call; nothing is kept for groups that do
  not exist yet (unlike Redis, an in-process bus has no history).
* **Shared work**: consumers of one group read from the same queue, each event goes to one.
* **Back-pressure**: a full non-lossy group makes ``publish`` wait until a consumer takes
  events; a full lossy group (live views) drops its oldest event (``stats.dropped``).
* **Redelivery**: a batch that was not acknowledged when its consumer closes its
  subscription (``aclose``) goes back to the front of its group's queue, so another (or the
  next) consumer of the group gets it. A non-lossy group outlives its consumers; a lossy one
  is forgotten with its last consumer. Events of a crashed *process* are lost: that is what
  Redis is for.
* **Drain**: ``subscription.drain()`` ends a subscription once its group's queue is empty
  (a stopping writer takes everything still queued; see :mod:`phantomnet.storage.writer`).
* **Close**: ``close`` wakes everyone; consumers drain what is queued, then stop; publishing
  to a closed bus drops the event (``stats.dropped``), as nothing can consume it any more.
* ``debug_roundtrip`` sends every event through JSON (and checks it comes back equal) so the
  memory and Redis implementations cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from phantomnet.bus.base import BusStats
from phantomnet.errors import BusError
from phantomnet.events import Event, dump_event, parse_event


@dataclass
class MemoryBatch:
    """A batch taken from one group's queue; ``ack`` is idempotent."""

    events: Sequence[Event]
    bus: MemoryBus
    on_ack: Callable[[Sequence[Event]], None] | None = None
    acked: bool = field(default=False)

    async def ack(self) -> None:
        if not self.acked:
            self.acked = True
            self.bus.stats.acked += len(self.events)
            if self.on_ack is not None:
                self.on_ack(self.events)


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
        self.consumers = 0
        #: Called with every acknowledged batch (the journal releases what was committed).
        self.on_ack: Callable[[Sequence[Event]], None] | None = None

    def wants(self, event: Event) -> bool:
        return self.kinds is None or event.kind in self.kinds

    def close(self) -> None:
        self.closed = True
        self.readable.set()
        self.writable.set()


class MemorySubscription:
    """Async iterator of batches; registered with the bus as soon as it is created."""

    def __init__(self, bus: MemoryBus, group: str, queue: _GroupQueue, batch_size: int) -> None:
        self._bus = bus
        self._group = group
        self._queue = queue
        self._batch_size = batch_size
        self._last: MemoryBatch | None = None
        self._closed = False
        self._draining = False

    def __aiter__(self) -> AsyncIterator[MemoryBatch]:
        return self

    async def __anext__(self) -> MemoryBatch:
        q = self._queue
        while not q.items:
            if q.closed or self._closed or self._draining:
                raise StopAsyncIteration
            q.readable.clear()
            await q.readable.wait()
        if self._closed:
            raise StopAsyncIteration
        n = min(self._batch_size, len(q.items))
        events = [q.items.popleft() for _ in range(n)]
        if q.items:
            q.readable.set()  # let the group's other consumers take the rest
        q.writable.set()
        self._bus.stats.delivered += n
        self._last = MemoryBatch(events, self._bus, q.on_ack)
        return self._last

    def drain(self) -> None:
        """End once the group's queue is empty: the last consumer of a stopping process
        (the producers have stopped) takes everything still queued, then stops."""
        self._draining = True
        self._queue.readable.set()

    async def aclose(self) -> None:
        """Leave the group: an unacknowledged last batch is handed back to the group."""
        if self._closed:
            return
        self._closed = True
        last, self._last = self._last, None
        if last is not None and not last.acked and not self._queue.lossy:
            self._queue.items.extendleft(reversed(last.events))
            self._bus.stats.redelivered += len(last.events)
        self._queue.readable.set()  # wake a pending __anext__ of this subscription
        self._bus.leave(self._group, self._queue)


class MemoryBus:
    """Bounded in-process fan-out bus."""

    name = "memory"

    def __init__(self, *, queue_size: int = 100_000, debug_roundtrip: bool = False) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be >= 1")
        self.stats = BusStats()
        self._queue_size = queue_size
        self._roundtrip = debug_roundtrip
        self._groups: dict[str, _GroupQueue] = {}
        self._closed = False

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        for q in self._groups.values():
            q.close()

    async def healthy(self) -> bool:
        return not self._closed

    async def publish(self, event: Event) -> None:
        """Hand ``event`` to every group that wants it (waits while a non-lossy group is full)."""
        if self._closed:
            self.stats.dropped += 1
            return
        if self._roundtrip:
            event = _roundtrip(event)
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
        if q.closed:
            self.stats.dropped += 1
            return
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
        """Join ``group`` (created on first use with these ``kinds`` and ``lossy``).

        Raises :class:`BusError` when a later consumer asks the same group for other kinds
        or another lossiness: a group has one definition.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        queue = self._groups.get(group)
        if queue is None:
            queue = _GroupQueue(self._queue_size, kinds, lossy)
            if self._closed:
                queue.close()
            self._groups[group] = queue
        elif queue.kinds != kinds or queue.lossy != lossy:
            raise BusError(f"group {group!r} already exists with other kinds or lossiness")
        queue.consumers += 1
        return MemorySubscription(self, group, queue, batch_size)

    def leave(self, group: str, queue: _GroupQueue) -> None:
        """One consumer left ``group``.

        A lossy group (live view) is forgotten with its last consumer. A non-lossy group stays
        and keeps queueing, as a Redis consumer group does, so a restarted consumer loses
        nothing (and publishers wait once it is full: call :meth:`unsubscribe` to drop it).
        """
        queue.consumers -= 1
        if queue.consumers <= 0 and queue.lossy and self._groups.get(group) is queue:
            del self._groups[group]
            queue.close()

    def unsubscribe(self, group: str) -> None:
        """Forget a group and end every subscription of it (a live view whose client left)."""
        queue = self._groups.pop(group, None)
        if queue is not None:
            queue.close()


def _roundtrip(event: Event) -> Event:
    again = parse_event(dump_event(event))
    if again != event:
        raise BusError(f"{event.kind} event {event.event_id} changes through JSON")
    return again
