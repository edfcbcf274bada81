"""Write-ahead journal for the memory bus: what a door published survives a SIGKILL.

``[bus] journal = true`` (memory backend): :class:`JournaledMemoryBus` appends every event to
a local file under ``<data_dir>/journal`` *before* ``publish`` returns, so an event a door
counted as published (and answered its client for) is on disk. The storage group's
acknowledgement (the writer has committed) releases it; a segment whose events are all
committed is deleted. At start the journal is read back and every event of a segment not
wholly released is delivered again to the storage group: that includes the released events
sharing a segment with unreleased ones (the writer is idempotent on ``event_id``: replayed
twice, stored once).

Layout in ``directory`` (``0700``): ``seg-000000000001.jsonl``, … one JSON event per line,
written with ``O_APPEND``. Group commit: concurrent publishers wait on one ``write`` +
``fsync`` for all the lines queued since the previous one (``fsync = false`` keeps the
``write`` only: survives the process being killed, not the machine losing power).

Bounded: once the segments take ``max_bytes``, publishers wait until the writer commits
(back-pressure, as a full memory queue does); nothing is dropped. If the journal cannot be
written (its disk is full), events are still delivered (the plain memory-bus guarantee),
counted in ``stats.extra["journal_errors"]``, and ``healthy()`` is false until a write works.
Only the storage group is replayed: detectors and scoring see live events only. Events are
journaled only while the storage group exists (a process without a writer has nothing to
replay them to). One process per directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from pydantic import ValidationError

from phantomnet.bus.memory import MemoryBus, MemorySubscription
from phantomnet.errors import BusError
from phantomnet.events import Event, dump_event, parse_event

log = logging.getLogger(__name__)

_PREFIX = "seg-"
_SUFFIX = ".jsonl"
#: The group whose commits release journaled events (and which gets the replay).
STORAGE_GROUP = "storage"


class Journal:
    """Append-only, fsync'd in groups, released per event id, deleted per segment."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        segment_bytes: int = 8 * 1024 * 1024,
        fsync: bool = True,
    ) -> None:
        if max_bytes < 1 or segment_bytes < 1:
            raise ValueError("max_bytes and segment_bytes must be positive")
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = min(segment_bytes, max_bytes)
        self.fsync = fsync
        self.sizes: dict[int, int] = {}  # segment -> bytes on disk
        self._left: dict[int, int] = {}  # segment -> events not released yet
        self._segment_of: dict[UUID, int] = {}
        self._cur = 0
        self._fd: int | None = None
        self._queued: list[tuple[bytes, Sequence[Event], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._freed = asyncio.Event()
        self.replayed = self.malformed = self.syncs = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> list[Event]:
        """Read the segments left by the previous process; return the unreleased events.

        A torn last line (killed mid-write) or any line that does not parse is skipped and
        counted in ``malformed``. New events go to a fresh segment.
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        found: list[Event] = []
        for seg in sorted(self._existing()):
            path = self._path(seg)
            self.sizes[seg] = path.stat().st_size
            self._left[seg] = 0
            for line in path.read_bytes().splitlines():
                try:
                    event = parse_event(line)
                except (ValidationError, ValueError):
                    self.malformed += 1
                    continue
                if event.event_id not in self._segment_of:
                    self._segment_of[event.event_id] = seg
                    self._left[seg] += 1
                    found.append(event)
            if self._left[seg] == 0:
                self._remove(seg)
        self._cur = max(self._existing(), default=0) + 1
        self.replayed = len(found)
        return found

    async def close(self) -> None:
        """Wait for queued appends, then close; an all-released journal leaves no file."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._close_fd()
        for seg in [s for s, n in self._left.items() if n == 0]:
            self._remove(seg)

    @property
    def size(self) -> int:
        """Bytes the segments take on disk."""
        return sum(self.sizes.values())

    @property
    def pending(self) -> int:
        """Events journaled and not released yet."""
        return len(self._segment_of)

    # -- writing -----------------------------------------------------------------------------

    async def append(self, events: Sequence[Event]) -> None:
        """Return once ``events`` are written (and fsync'd): group commit with concurrent
        callers. Raises :class:`BusError` if the file cannot be written."""
        if not events:
            return
        try:
            data = b"".join(dump_event(e) + b"\n" for e in events)
        except (ValueError, TypeError) as exc:
            raise BusError(f"journal: event does not serialise: {exc}") from exc
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((data, events, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="journal-flush")
        await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queued:
            group, self._queued = self._queued, []
            data = b"".join(d for d, _, _ in group)
            try:
                await self._room(len(data))
                fd = self._write(data)  # page cache: fast; survives the process dying
                if self.fsync:
                    await asyncio.to_thread(os.fsync, fd)  # survives the machine dying
            except (OSError, BusError) as exc:
                for _, _, future in group:
                    if not future.done():
                        future.set_exception(BusError(f"journal: {exc}"))
                continue
            self.syncs += 1
            for _, events, future in group:
                for event in events:
                    if event.event_id not in self._segment_of:
                        self._segment_of[event.event_id] = self._cur
                        self._left[self._cur] = self._left.get(self._cur, 0) + 1
                if not future.done():
                    future.set_result(None)

    async def _room(self, needed: int) -> None:
        """Rotate when the segment is full; wait while the journal is at ``max_bytes``."""
        while True:
            if self._left.get(self._cur, 0) == 0 and self.sizes.get(self._cur):
                self._remove(self._cur)  # everything in it released: start it again
            if self.sizes.get(self._cur, 0) + needed > self.segment_bytes and self.sizes.get(
                self._cur
            ):
                self._close_fd()
                self._cur += 1
            if self.size + needed <= self.max_bytes or not self.sizes:
                return
            self._freed.clear()
            await self._freed.wait()

    def _write(self, data: bytes) -> int:
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            self._fd = os.open(self._path(self._cur), flags, 0o600)
            self.sizes.setdefault(self._cur, 0)
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError:
            os.ftruncate(self._fd, self.sizes[self._cur])  # no torn line glued to the next
            raise
        self.sizes[self._cur] += len(data)
        return self._fd

    # -- releasing ---------------------------------------------------------------------------

    def release(self, events: Sequence[Event]) -> None:
        """``events`` are committed downstream: forget them, delete segments left empty."""
        for event in events:
            seg = self._segment_of.pop(event.event_id, None)
            if seg is None:
                continue
            self._left[seg] -= 1
            if self._left[seg] == 0 and (seg != self._cur or not self._writing()):
                self._remove(seg)  # the current one only while no write is in flight
                self._freed.set()

    # -- helpers -----------------------------------------------------------------------------

    def _writing(self) -> bool:
        return self._flusher is not None and not self._flusher.done()

    def _existing(self) -> list[int]:
        out = []
        for path in self.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            number = path.name[len(_PREFIX) : -len(_SUFFIX)]
            if number.isdigit():
                out.append(int(number))
        return out

    def _path(self, seg: int) -> Path:
        return self.directory / f"{_PREFIX}{seg:012d}{_SUFFIX}"

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _remove(self, seg: int) -> None:
        if seg == self._cur:
            self._close_fd()
        self._path(seg).unlink(missing_ok=True)
        self.sizes.pop(seg, None)
        self._left.pop(seg, None)


class JournaledMemoryBus(MemoryBus):
    """The memory bus with a write-ahead :class:`Journal` (see the module docstring)."""

    name = "memory"

    def __init__(
        self,
        directory: Path,
        *,
        queue_size: int = 100_000,
        debug_roundtrip: bool = False,
        max_bytes: int = 256 * 1024 * 1024,
        fsync: bool = True,
        group: str = STORAGE_GROUP,
    ) -> None:
        super().__init__(queue_size=queue_size, debug_roundtrip=debug_roundtrip)
        self.journal = Journal(directory, max_bytes=max_bytes, fsync=fsync)
        self.group = group
        self._replay: list[Event] | None = None
        #: The last journal write failure, until a write succeeds again.
        self.journal_error: str | None = None

    async def start(self) -> None:
        await super().start()
        if self._replay is None:
            self._replay = await asyncio.to_thread(self.journal.open)
            if self._replay:
                log.warning("bus journal: replaying %d events", len(self._replay))
            self.stats.extra["journal_replayed"] = len(self._replay)

    async def close(self) -> None:
        await super().close()
        await self.journal.close()

    async def publish(self, event: Event) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Journal ``events`` (returns once they are on disk), then hand them to the groups."""
        if self._closed:
            self.stats.dropped += len(events)
            return
        if self.group in self._groups:  # nobody would ever release them otherwise
            await self._journal(events)
        for event in events:
            await super().publish(event)
        self.stats.extra["journal_bytes"] = self.journal.size
        self.stats.extra["journal_pending"] = self.journal.pending

    async def _journal(self, events: Sequence[Event]) -> None:
        """Journal ``events``; if the journal cannot be written (its disk is full), deliver
        them anyway (memory-bus guarantee only), count them and report the bus unhealthy."""
        try:
            await self.journal.append(events)
        except BusError as exc:
            extra = self.stats.extra
            extra["journal_errors"] = extra.get("journal_errors", 0) + len(events)
            if self.journal_error is None:
                log.warning("bus journal: cannot write, events are not journaled: %s", exc)
            self.journal_error = str(exc)[:300]
            return
        if self.journal_error is not None:
            log.warning("bus journal: writing again")
            self.journal_error = None

    async def healthy(self) -> bool:
        return await super().healthy() and self.journal_error is None

    def subscribe(
        self,
        group: str,
        *,
        consumer: str = "c1",
        kinds: frozenset[str] | None = None,
        batch_size: int = 1000,
        lossy: bool = False,
    ) -> MemorySubscription:
        """As :meth:`MemoryBus.subscribe`; the storage group also gets the replay (once) and
        its acknowledgements release journaled events."""
        sub = super().subscribe(
            group, consumer=consumer, kinds=kinds, batch_size=batch_size, lossy=lossy
        )
        if group == self.group and not lossy:
            queue = self._groups[group]
            queue.on_ack = self.journal.release
            if self._replay:
                queue.items.extend(self._replay)
                queue.readable.set()
                self._replay = []
        return sub
