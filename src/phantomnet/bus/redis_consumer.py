"""Reading the stream: consumer-group readers (at-least-once) and live readers (lossy).

A :class:`GroupReader` yields batches in this order of priority:

1. its own pending entries (``XREADGROUP … 0``): what this consumer name read but never
   acknowledged before a restart;
2. every ``claim_idle_ms / 2``, entries pending longer than ``claim_idle_ms`` for *any*
   consumer of the group (``XAUTOCLAIM``): the work of a dead consumer;
3. new entries (``XREADGROUP … >`` with ``COUNT`` and ``BLOCK``).

Entries of kinds the group does not want, and malformed entries (copied to the dead-letter
stream first), are acknowledged at once and never reach the consumer. Redis errors while
reading are retried with backoff by :class:`RedisSubscription` (the iterator never dies of an
outage, and ``aclose`` works while another task waits in it); ``Batch.ack`` raises
:class:`BusUnavailable` when it cannot acknowledge (the entries are then delivered again).

Poison entries (a consumer fails on them, is restarted, gets them again...) are bounded by
their delivery count (``XPENDING``, raised by every history read and every ``XAUTOCLAIM``):

* an entry delivered ``isolate_after`` times or more is *suspect*: it is handed out alone
  (``batch.isolated``) and nothing else is handed out until it is acknowledged, so a bad entry
  fails alone and its neighbours get through;
* an entry delivered ``max_deliveries`` times without an ack is not delivered again: it is
  copied to the dead-letter stream with ``error`` and ``deliveries`` and acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from redis.asyncio import Redis

from phantomnet.bus.redis_wire import (
    Malformed,
    as_fields,
    dead_letter_fields,
    decode,
    entry_kind,
)
from phantomnet.bus.redis_wire import translate_errors as translate
from phantomnet.errors import BusError
from phantomnet.events import Event

if TYPE_CHECKING:
    from phantomnet.bus.redis_streams import RedisStreamsBus

log = logging.getLogger(__name__)
Entry = tuple[bytes, dict[bytes, bytes] | None]
_BACKOFF_MAX_S = 5.0
_FIRST_BACKOFF_S = 0.05


@dataclass
class RedisBatch:
    """Events of one read; ``ack`` XACKs exactly their entry ids (no-op for live readers)."""

    events: Sequence[Event]
    ids: Sequence[bytes]
    bus: RedisStreamsBus
    group: str | None
    inflight: set[bytes] = field(default_factory=set)
    acked: bool = field(default=False)
    #: a suspect entry handed out alone (see the module docstring); a consumer that gathers
    #: batches should store an isolated batch on its own rather than wait for more
    isolated: bool = field(default=False)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def ack(self) -> None:
        if self.acked or self.group is None or not self.ids:
            self._acked()
            return
        with translate("XACK"):
            await self.bus.redis.xack(self.bus.stream, self.group, *self.ids)
        self._acked()
        self.bus.stats.acked += len(self.ids)

    def _acked(self) -> None:
        self.acked = True
        self.inflight.difference_update(self.ids)
        self.done.set()


def id_key(entry_id: bytes) -> tuple[int, int]:
    """A stream id as a sortable pair (``b"1700000000000-3"`` -> ``(1700000000000, 3)``)."""
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq or 0)


def before(entry_id: bytes) -> bytes:
    """The greatest stream id smaller than ``entry_id`` (an exclusive lower bound for it)."""
    ms, seq = id_key(entry_id)
    if seq:
        return b"%d-%d" % (ms, seq - 1)
    if ms:
        return b"%d-%d" % (ms - 1, 2**64 - 1)
    return b"0-0"


class Reader(Protocol):
    async def read_once(self) -> RedisBatch | None: ...


class RedisSubscription:
    """The async iterator ``subscribe`` returns.

    Outages are waited out with backoff (iteration does not end because Redis went away).
    :meth:`aclose` may be called from another task while one is waiting in ``__anext__``:
    iteration then ends within ``block_ms``, and a batch read meanwhile is not handed out (it
    stays pending, for this consumer name after a restart or for XAUTOCLAIM).
    """

    def __init__(self, bus: RedisStreamsBus, group: str, reader: Reader) -> None:
        self.bus = bus
        self.group = group
        self._reader = reader
        self._stopped = False
        self._delay = _FIRST_BACKOFF_S
        self._wake = asyncio.Event()
        self._isolated: RedisBatch | None = None

    def __aiter__(self) -> AsyncIterator[RedisBatch]:
        return self

    async def __anext__(self) -> RedisBatch:
        await self._after_isolated()
        while not self._done():
            _raise_if_cancelling()
            try:
                batch = await self._reader.read_once()
            except BusError as exc:  # unavailable or not: never end iteration, back off
                if self._done():
                    break
                self.bus.outage_log.hit("bus read failed, retrying: %s", exc)
                await asyncio.sleep(self._delay)
                self._delay = min(self._delay * 2, _BACKOFF_MAX_S)
                continue
            self._delay = _FIRST_BACKOFF_S
            if batch is not None and not self._done():
                if batch.isolated:
                    self._isolated = batch
                return batch
        raise StopAsyncIteration

    async def _after_isolated(self) -> None:
        """Hand out nothing more until the last isolated (suspect) batch is acknowledged."""
        batch, self._isolated = self._isolated, None
        if batch is None or batch.done.is_set():
            return
        acked = asyncio.ensure_future(batch.done.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait((acked, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            acked.cancel()
            woken.cancel()

    def _done(self) -> bool:
        return self._stopped or self.bus.closed

    def stop(self) -> None:
        """End iteration (synchronous, for ``bus.unsubscribe``)."""
        self._stopped = True
        self._wake.set()
        self.bus.forget(self)

    async def aclose(self) -> None:
        """End iteration; nothing is acknowledged on the way out."""
        self.stop()


def _raise_if_cancelling() -> None:
    """redis-py can swallow a cancellation that lands inside a blocking read (it disconnects
    and the read returns nothing); a cancelled consumer must still end, not read on."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class GroupReader:
    """One consumer of one consumer group."""

    def __init__(
        self,
        bus: RedisStreamsBus,
        group: str,
        consumer: str,
        kinds: frozenset[str] | None,
        batch_size: int,
    ) -> None:
        self.bus = bus
        self.group = group
        self.consumer = consumer
        self.kinds = kinds
        self.batch_size = batch_size
        self._own_cursor: bytes | None = b"0"
        self._claim_cursor: bytes = b"0-0"
        self._next_claim = 0.0
        self._group_ready = False
        #: ids handed out by this reader and not acknowledged yet: an XAUTOCLAIM sweep that
        #: returns them (they idled while the consumer gathered more) must not deliver twice.
        self._inflight: set[bytes] = set()

    async def read_once(self) -> RedisBatch | None:
        """One read step (raises BusUnavailable); None when nothing is ready yet."""
        try:
            if not self._group_ready:
                await self.bus.ensure_group(self.group)
                self._group_ready = True
            if self._own_cursor is not None:
                return await self._read_own()
            if time.monotonic() >= self._next_claim:
                batch = await self._claim()
                if batch is not None:
                    return batch
            return await self._read_new()
        except BusError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # stream deleted under us: recreate the group
            return None

    async def _read_own(self) -> RedisBatch | None:
        """One step through this consumer's pending entries (its history), guided by XPENDING.

        XPENDING (which changes nothing) comes first, so that exactly the entries handed out
        are read (each history read raises an entry's delivery count): a run of entries up
        to the first suspect, or the suspect alone, never one of ours still in work.
        """
        assert self._own_cursor is not None
        cursor = self._own_cursor
        rows = await self._pending(cursor)
        if not rows:
            self._own_cursor = None
            return None
        skip = 0
        while skip < len(rows) and rows[skip][0] in self._inflight:
            skip += 1
        if skip:
            cursor = self._own_cursor = rows[skip - 1][0]
            if skip == len(rows):
                return None
        run: list[bytes] = []
        counts: dict[bytes, int] = {}
        for entry_id, delivered in rows[skip:]:
            if entry_id in self._inflight:
                break
            suspect = self.bus.isolate_after <= delivered + 1 <= self.bus.max_deliveries
            if suspect and run:
                break
            run.append(entry_id)
            counts[entry_id] = delivered + 1
            if suspect:
                break
        entries = await self._xreadgroup(cursor, block=None, count=len(run))
        if not entries:
            self._own_cursor = None
            return None
        self._own_cursor = entries[-1][0]
        return await self._prepare(entries, redelivered=True, counts=counts)

    async def _pending(self, after: bytes) -> list[tuple[bytes, int]]:
        """(id, times delivered) of this consumer's pending entries after ``after``."""
        bus = self.bus
        low = b"-" if after in (b"0", b"0-0") else b"(" + after
        with translate("XPENDING"):
            reply: list[dict[str, Any]] = await bus.redis.xpending_range(
                bus.stream,
                self.group,
                min=low,
                max=b"+",
                count=self.batch_size,
                consumername=self.consumer,
            )
        return [(row["message_id"], int(row["times_delivered"])) for row in reply]

    async def _claim(self) -> RedisBatch | None:
        """One step of the claim sweep; the sweep restarts every ``claim_idle_ms / 2``.

        ``XPENDING IDLE`` finds entries idle longer than ``claim_idle_ms`` (any consumer);
        ``XCLAIM … JUSTID`` takes them over without raising their delivery counts; the
        history read (:meth:`_read_own`) then hands them out, counting exactly the
        deliveries it makes.
        """
        bus = self.bus
        for _ in range(16):  # bounded: each step looks at most at COUNT entries
            low = b"-" if self._claim_cursor == b"0-0" else b"(" + self._claim_cursor
            with translate("XPENDING"):
                rows: list[dict[str, Any]] = await bus.redis.xpending_range(
                    bus.stream,
                    self.group,
                    min=low,
                    max=b"+",
                    count=self.batch_size,
                    idle=bus.claim_idle_ms,
                )
            if not rows:
                break
            self._claim_cursor = rows[-1]["message_id"]
            wanted = [r["message_id"] for r in rows if r["message_id"] not in self._inflight]
            if wanted:
                with translate("XCLAIM"):
                    reply: Any = await bus.redis.xclaim(
                        bus.stream,
                        self.group,
                        self.consumer,
                        bus.claim_idle_ms,
                        wanted,
                        justid=True,
                    )
                claimed: list[bytes] = list(reply)
                if claimed:
                    self._own_cursor = before(min(claimed, key=id_key))
                    return None
            if len(rows) < self.batch_size:
                break
        self._claim_cursor = b"0-0"
        self._next_claim = time.monotonic() + bus.claim_idle_ms / 2000
        return None

    async def _read_new(self) -> RedisBatch | None:
        entries = await self._xreadgroup(b">", block=self.bus.block_ms)
        if not entries:
            return None
        return await self._prepare(entries, redelivered=False)

    async def _xreadgroup(
        self, cursor: bytes, *, block: int | None, count: int | None = None
    ) -> list[Entry]:
        bus = self.bus
        with translate("XREADGROUP"):
            reply: Any = await bus.redis.xreadgroup(
                self.group,
                self.consumer,
                {bus.stream: cursor},
                count=count or self.batch_size,
                block=block,
            )
        if not reply:
            return []
        entries: list[Entry] = reply[0][1]
        return entries

    async def _prepare(
        self, entries: list[Entry], *, redelivered: bool, counts: dict[bytes, int] | None = None
    ) -> RedisBatch | None:
        """Decode ``entries``; ack skipped, malformed and worn-out ones now; return the rest.

        ``counts``: delivery counts including this one (history reads); an entry delivered
        more than ``max_deliveries`` times is dead-lettered, a suspect one
        (``isolate_after``, :meth:`_read_own` reads it alone) is returned as an isolated batch.
        """
        bus = self.bus
        counts = counts or {}
        events: list[Event] = []
        ids: list[bytes] = []
        done: list[bytes] = []
        parked: list[dict[bytes, bytes]] = []
        isolated = False
        for entry_id, fields in entries:
            if fields is None:  # trimmed away while pending
                done.append(entry_id)
                continue
            kind = entry_kind(fields)
            if self.kinds is not None and kind is not None and kind not in self.kinds:
                done.append(entry_id)
                continue
            deliveries = counts.get(entry_id, 1)
            if deliveries > bus.max_deliveries:
                error = f"not acknowledged after {deliveries - 1} deliveries"
                parked.append(self._park(entry_id, fields, error, deliveries=deliveries - 1))
                done.append(entry_id)
                continue
            decoded = decode(fields)
            if isinstance(decoded, Malformed):
                parked.append(self._park(entry_id, fields, decoded.error))
                done.append(entry_id)
                continue
            isolated = isolated or deliveries >= bus.isolate_after
            events.append(decoded)
            ids.append(entry_id)
        if done:
            await self._settle(done, parked)
        if not events:
            return None
        bus.stats.delivered += len(events)
        if redelivered:
            bus.stats.redelivered += len(events)
        if isolated:
            bus.stats.extra["isolated"] = bus.stats.extra.get("isolated", 0) + 1
        self._inflight.update(ids)
        return RedisBatch(events, ids, bus, self.group, self._inflight, isolated=isolated)

    def _park(
        self, entry_id: bytes, fields: dict[bytes, bytes], error: str, *, deliveries: int = 0
    ) -> dict[bytes, bytes]:
        bus = self.bus
        if deliveries:
            bus.stats.extra["dead_lettered"] = bus.stats.extra.get("dead_lettered", 0) + 1
        else:
            bus.stats.malformed += 1
        bus.malformed_log.hit(
            "%s entry %s on %s (group %s) dead-lettered: %s",
            "poison" if deliveries else "malformed",
            entry_id.decode(errors="replace"),
            bus.stream,
            self.group,
            error[:200],
        )
        return dead_letter_fields(
            fields,
            error=error,
            stream=bus.stream,
            entry_id=entry_id,
            group=self.group,
            deliveries=deliveries,
        )

    async def _settle(self, done: list[bytes], parked: list[dict[bytes, bytes]]) -> None:
        """Dead-letter ``parked`` and XACK ``done`` in one round trip (dead letters first)."""
        bus = self.bus
        with translate("dead-letter/XACK"):
            async with bus.redis.pipeline(transaction=False) as pipe:
                for fields in parked:
                    pipe.xadd(
                        bus.dead_letter_stream,
                        as_fields(fields),
                        maxlen=bus.dead_letter_maxlen,
                        approximate=True,
                    )
                pipe.xack(bus.stream, self.group, *done)
                await pipe.execute()
        bus.stats.extra["skipped"] = bus.stats.extra.get("skipped", 0) + len(done) - len(parked)


class LiveReader:
    """A lossy reader without a group (``XREAD`` from the end of the stream at start)."""

    def __init__(self, bus: RedisStreamsBus, kinds: frozenset[str] | None, batch_size: int):
        self.bus = bus
        self.kinds = kinds
        self.batch_size = batch_size
        self._last: bytes | None = None  # resolved to the stream's newest id on first read

    async def read_once(self) -> RedisBatch | None:
        """One ``XREAD`` (raises BusUnavailable); None when nothing new arrived."""
        bus = self.bus
        if self._last is None:
            self._last = await self._tail(bus.redis)
        with translate("XREAD"):
            reply: Any = await bus.redis.xread(
                {bus.stream: self._last}, count=self.batch_size, block=bus.block_ms
            )
        if not reply:
            return None
        entries: list[Entry] = reply[0][1]
        self._last = entries[-1][0]
        events = self._decode(entries)
        if not events:
            return None
        bus.stats.delivered += len(events)
        return RedisBatch(events, (), bus, None)

    async def _tail(self, redis: Redis) -> bytes:
        with translate("XREVRANGE"):
            newest: Any = await redis.xrevrange(self.bus.stream, count=1)
        return newest[0][0] if newest else b"0-0"

    def _decode(self, entries: list[Entry]) -> list[Event]:
        events: list[Event] = []
        for _entry_id, fields in entries:
            if fields is None:
                continue
            kind = entry_kind(fields)
            if self.kinds is not None and kind not in self.kinds:
                continue
            decoded = decode(fields)
            if isinstance(decoded, Malformed):
                extra = self.bus.stats.extra
                extra["live_malformed"] = extra.get("live_malformed", 0) + 1
                continue
            events.append(decoded)
        return events
