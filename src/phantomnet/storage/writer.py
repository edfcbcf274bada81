"""The storage writer: bus batches → database, at least once in, exactly once stored.

It subscribes in ``start()`` (nothing published after start is missed), gathers bus batches
until ``batch_size`` events or ``flush_interval_s`` have passed, writes them in one
transaction (:mod:`phantomnet.storage.ingest`) and acknowledges the bus batches only after
the commit. When the database fails it keeps the events, retries with exponential backoff
(capped at :data:`MAX_BACKOFF_S`) and reports ``degraded``; it never acknowledges or drops
what it has not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.bus.base import Batch, EventBus
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.storage import rows
from phantomnet.storage.ingest import Enrich, apply_derived, insert_events

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 5.0
#: Bus batches buffered between the reader task and the writer (back-pressure beyond).
READ_AHEAD = 4
#: Failures that mean "the database is not usable right now": retry, never drop.
DB_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)


class StorageWriter(Component):
    """Consumes every event of ``group`` and stores it (see the module docstring)."""

    name = "storage"

    def __init__(
        self,
        bus: EventBus,
        engine: AsyncEngine,
        *,
        batch_size: int = 2000,
        flush_interval_s: float = 0.2,
        group: str = "storage",
        enrich: Enrich | None = None,
    ) -> None:
        self.bus, self.engine, self.group, self.enrich = bus, engine, group, enrich
        self.batch_size, self.flush_interval_s = batch_size, flush_interval_s
        self.state = "starting"
        self.stored = self.duplicates = self.batches = self.retries = 0
        self.last_error: str | None = None
        self._sub: AsyncIterator[Batch] | None = None
        self._queue: asyncio.Queue[Batch | None] = asyncio.Queue(READ_AHEAD)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe now so that every event published from here on is delivered to us."""
        self._sub = aiter(self.bus.subscribe(self.group, batch_size=self.batch_size))
        self.state = "up"

    async def run(self) -> None:
        """Store batches until cancelled or the subscription ends."""
        if self._sub is None:
            await self.start()
        self._reader = asyncio.create_task(self._read(), name="storage-reader")
        try:
            while True:
                pending = await self._gather()
                if pending[0] is None:
                    return
                await self._store(pending)
                if pending[-1] is None:
                    return
        finally:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def stop(self) -> None:
        """Close the subscription; unacknowledged batches stay with the bus."""
        self.state = "stopped"
        close = getattr(self._sub, "aclose", None)
        if close is not None:
            await close()

    def describe(self) -> dict[str, object]:
        return {
            "state": self.state, "group": self.group, "stored": self.stored,
            "duplicates": self.duplicates, "batches": self.batches, "retries": self.retries,
            "last_error": self.last_error,
        }  # fmt: skip

    async def _read(self) -> None:
        assert self._sub is not None
        async for batch in self._sub:
            await self._queue.put(batch)
        await self._queue.put(None)

    async def _gather(self) -> list[Batch | None]:
        """Bus batches up to ``batch_size`` events or the flush interval (``None`` = end)."""
        first = await self._queue.get()
        pending: list[Batch | None] = [first]
        if first is None:
            return pending
        count = len(first.events)
        deadline = time.monotonic() + self.flush_interval_s
        while count < self.batch_size:
            try:
                nxt = await asyncio.wait_for(self._queue.get(), deadline - time.monotonic())
            except TimeoutError:
                break
            pending.append(nxt)
            if nxt is None:
                break
            count += len(nxt.events)
        return pending

    async def _store(self, pending: list[Batch | None]) -> None:
        batches = [b for b in pending if b is not None]
        events = rows.unique_events(e for b in batches for e in b.events)
        await self._write_until_done(events)
        for batch in batches:
            await batch.ack()
        self.batches += 1

    async def _write_until_done(self, events: list[Event]) -> None:
        delay = FIRST_BACKOFF_S
        while True:
            try:
                inserted = await self.write(events)
            except DB_ERRORS as exc:
                self._failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            if self.state == "degraded":
                log.warning("storage writer recovered after %d retries", self.retries)
            self.state = "up"
            self.stored += inserted
            self.duplicates += len(events) - inserted
            return

    def _failed(self, exc: BaseException) -> None:
        first = self.state != "degraded"
        self.state, self.retries = "degraded", self.retries + 1
        self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if first:
            log.warning("storage writer: database failed, retrying: %s", self.last_error)

    async def write(self, events: list[Event]) -> int:
        """Store ``events`` in one transaction; return how many were new (no retry here)."""
        async with self.engine.begin() as conn:
            new_ids = await insert_events(conn, events)
            fresh = [e for e in events if e.event_id in new_ids]
            await apply_derived(conn, fresh, self.enrich)
        return len(new_ids)
