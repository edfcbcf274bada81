"""The interactive doors' event outbox: bounded, ordered, published in batches by one task.

Protocol callbacks (asyncssh's, the Telnet conversation's) post events without awaiting;
one task publishes them in order. A full outbox drops and counts instead of blocking a
session.
"""

from __future__ import annotations

import asyncio
import contextlib

from phantomnet.bus.base import EventBus
from phantomnet.events import Event, EventBase

#: the most events one ``publish_many`` call carries
BATCH = 500


class Outbox:
    def __init__(self, bus: EventBus, capacity: int) -> None:
        self.bus = bus
        self.queue: asyncio.Queue[EventBase] = asyncio.Queue(capacity)
        self.dropped = 0

    def post(self, event: EventBase | None) -> None:
        """Queue an event for publication in order (never blocks; drops and counts)."""
        if event is None:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    async def run(self) -> None:
        """Publish what is posted, in order, until cancelled."""
        while True:
            event = await self.queue.get()
            batch: list[Event] = [event]  # type: ignore[list-item]
            while not self.queue.empty() and len(batch) < BATCH:
                batch.append(self.queue.get_nowait())  # type: ignore[arg-type]
            try:
                await self.bus.publish_many(batch)
            finally:
                for _ in batch:
                    self.queue.task_done()

    async def flush(self, timeout_s: float) -> None:
        """Wait, at most ``timeout_s``, until everything posted so far is published."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.queue.join()
