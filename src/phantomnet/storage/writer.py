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
import os
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import BusError
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.storage import rows
from phantomnet.storage.db import DB_ERRORS, is_data_error, ping
from phantomnet.storage.ingest import (
    Enrich,
    SubjectScores,
    apply_derived,
    dead_letter,
    insert_events,
)

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 5.0
#: Scores waiting for their subject event: kept this long / at most this many.
UNSCORED_TTL_S = 300.0
UNSCORED_MAX = 10_000
#: Bus batches buffered between the reader task and the writer (back-pressure beyond).
READ_AHEAD = 4


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
        workers: int | None = None,
        consumer: str | None = None,
    ) -> None:
        """``workers``: concurrent transactions (default 2 on PostgreSQL, 1 on SQLite,
        which has a single writer anyway); batches are independent, derived updates commute.
        ``consumer``: this process's name in the group, unique across processes (default
        ``<host>-<pid>``; pass a stable one to get back one's own pending entries on restart).
        """
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.bus, self.engine, self.group, self.enrich = bus, engine, group, enrich
        self.batch_size, self.flush_interval_s = batch_size, flush_interval_s
        self.state = "starting"
        self.stored = self.duplicates = self.batches = self.retries = self.dead_lettered = 0
        self.last_error: str | None = None
        self._sub: AsyncIterator[Batch] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._running: asyncio.Event | None = None  # set once run() has returned
        self._ended = False
        self._unscored: dict[UUID, tuple[float, tuple[datetime, str, float]]] = {}
        if workers is None:
            workers = 2 if engine.dialect.name == "postgresql" else 1
        self.workers = workers
        self._queue: asyncio.Queue[Batch | None] = asyncio.Queue(READ_AHEAD + workers)

    async def start(self) -> None:
        """Subscribe now so that every event published from here on is delivered to us.

        Buses whose groups are created lazily (Redis Streams: on first read) expose
        ``ensure_group``; it is called here so the group exists before ``start`` returns.
        """
        # a restart (the supervisor: stop, start, run) begins with fresh input state
        self._ended = False
        self._queue = asyncio.Queue(READ_AHEAD + self.workers)
        ensure_group = getattr(self.bus, "ensure_group", None)
        if ensure_group is not None:
            await ensure_group(self.group)
        sub = self.bus.subscribe(self.group, consumer=self.consumer, batch_size=self.batch_size)
        self._sub = aiter(sub)
        self.state = "up"

    async def run(self) -> None:
        """Store batches until cancelled or the subscription ends."""
        if self._sub is None:
            await self.start()
        self._running = asyncio.Event()
        # A failing subscription (bus error) fails run(); uncommitted batches stay un-acked.
        try:
            async with asyncio.TaskGroup() as tg:
                self._reader = tg.create_task(self._read(), name="storage-reader")
                for i in range(self.workers):
                    tg.create_task(self._work(), name=f"storage-writer-{i}")
        finally:
            self._running.set()

    async def _work(self) -> None:
        while True:
            pending = await self._gather()
            if pending[0] is not None:
                await self._store(pending)
            if pending[-1] is None or (self._ended and self._queue.empty()):
                self._ended = True
                self._wake()
                return

    def _wake(self) -> None:
        """Unblock workers waiting on the queue once the input has ended."""
        for _ in range(self.workers):
            with contextlib.suppress(asyncio.QueueFull):  # full: nobody is waiting
                self._queue.put_nowait(None)

    async def stop(self) -> None:
        """Stop reading, store what was received, close the subscription; return when done.

        A bus whose subscription can ``drain`` (the memory bus) first delivers everything
        still queued for the group: the producers stopped before us, so this is the last of
        it and nothing queued is lost. Otherwise (Redis) reading stops now and what was not
        read stays pending in the bus. ``stop`` returns once ``run()`` has committed and
        acknowledged every batch it holds; if the database is down it keeps retrying until
        the caller's deadline cancels it (unacknowledged batches stay with the bus).
        """
        self.state = "stopping"
        drain = getattr(self._sub, "drain", None)
        if self._reader is not None and not self._reader.done():
            if drain is not None:
                drain()
                await asyncio.gather(self._reader, return_exceptions=True)
            else:
                self._reader.cancel()
                await asyncio.gather(self._reader, return_exceptions=True)
        self._ended = True
        self._wake()
        if self._running is not None:
            await self._running.wait()
        self.state = "stopped"
        close = getattr(self._sub, "aclose", None)
        if close is not None:
            await close()

    def describe(self) -> dict[str, object]:
        return {
            "state": self.state, "detail": self.last_error if self.state == "degraded" else "",
            "group": self.group, "stored": self.stored,
            "duplicates": self.duplicates, "batches": self.batches, "retries": self.retries,
            "dead_lettered": self.dead_lettered,
            "last_error": self.last_error, "workers": self.workers,
            "buffered_batches": self._queue.qsize(), "scores_waiting": len(self._unscored),
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
        self.batches += 1
        for batch in batches:
            try:
                await batch.ack()
            except BusError as exc:  # stored already: a redelivery is only a duplicate
                self.last_error = f"ack failed: {exc}"[:300]
                log.warning("storage writer: %s", self.last_error)

    async def _write_until_done(self, events: list[Event]) -> None:
        """Store ``events``, parking the ones that cannot be stored; retry while the
        database is unavailable (never acknowledge, never drop)."""
        delay = FIRST_BACKOFF_S
        while True:
            parked: list[tuple[Event, str]] = []
            try:
                inserted = await self._write_isolating(events, parked)
                if parked:
                    await self._dead_letter(parked)
            except Exception as exc:
                if not await self._unavailable(exc):
                    raise
                self._failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            if self.state == "degraded":
                log.warning("storage writer recovered after %d retries", self.retries)
                self.state = "up"
                self.health.recovered()
            self.stored += inserted
            self.dead_lettered += len(parked)
            self.duplicates += len(events) - inserted - len(parked)
            return

    async def _write_isolating(self, events: list[Event], parked: list[tuple[Event, str]]) -> int:
        """Write ``events``; when the data is refused, bisect and park the bad ones.

        A batch refused for its *content* (a value that does not convert, a row the database
        rejects) is split in halves, each written in its own transaction, down to the single
        events that fail: those go to ``parked`` with the reason, every other one is stored.
        Unavailability (down, disk full, locked) propagates to the retry loop.
        """
        if not events:
            return 0
        try:
            return await self.write(events)
        except Exception as exc:
            if await self._unavailable(exc):
                raise
            if len(events) == 1:
                parked.append((events[0], _reason(exc)))
                log.warning(
                    "storage writer: parking %s event %s: %s",
                    events[0].kind, events[0].event_id, parked[-1][1],
                )  # fmt: skip
                return 0
        mid = len(events) // 2
        first = await self._write_isolating(events[:mid], parked)
        return first + await self._write_isolating(events[mid:], parked)

    async def _unavailable(self, exc: Exception) -> bool:
        """Whether ``exc`` means "database not usable now" (retry) rather than "bad data"."""
        if is_data_error(exc):
            return False
        if isinstance(exc, DB_ERRORS):
            return True
        # Unknown: bad data if the database answers, unavailable if it does not.
        return not await ping(self.engine)

    async def _dead_letter(self, parked: list[tuple[Event, str]]) -> None:
        now = datetime.now(UTC)
        values = [rows.dead_letter_row(e, reason, now) for e, reason in parked]
        async with self.engine.begin() as conn:
            await dead_letter(conn, values)

    def _failed(self, exc: BaseException) -> None:
        first = self.state != "degraded"
        if self.state != "stopped":
            self.state = "degraded"
        self.retries += 1
        self.health.failing("database", exc)
        self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if first:
            log.warning("storage writer: database failed, retrying: %s", self.last_error)

    async def write(self, events: list[Event]) -> int:
        """Store ``events`` in one transaction; return how many were new (no retry here)."""
        carried = {k: v for k, (_, v) in self._unscored.items()}
        async with self.engine.begin() as conn:
            new_ids = await insert_events(conn, events)
            fresh = [e for e in events if e.event_id in new_ids]
            scored, waiting = await apply_derived(conn, fresh, self.enrich, carried)
        self._remember_unscored(scored, waiting)
        return len(new_ids)

    def _remember_unscored(self, scored: set[UUID], waiting: SubjectScores) -> None:
        """After a commit: forget delivered scores, keep (bounded, for a while) the rest."""
        now = time.monotonic()
        for key in scored:
            self._unscored.pop(key, None)
        for key, value in waiting.items():
            self._unscored[key] = (self._unscored.get(key, (now, value))[0], value)
        expired = [k for k, (t, _) in self._unscored.items() if now - t > UNSCORED_TTL_S]
        overflow = max(0, len(self._unscored) - len(expired) - UNSCORED_MAX)
        for key in expired + list(self._unscored)[:overflow]:  # oldest first
            self._unscored.pop(key, None)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
