"""Redis Streams bus: one stream, consumer groups, at-least-once delivery, disk spool.

* Publish: ``XADD <stream> MAXLEN ~ <maxlen> * v 1 kind <kind> data <event JSON>``;
  ``publish_many`` sends one pipeline.
* Groups (``subscribe(group, …)``): created on first use with ``MKSTREAM`` at
  ``new_group_start`` (default ``"0"``: a new group, e.g. storage, also gets what was
  published before it existed and is still in the stream). Entries stay pending until the
  consumer's ``batch.ack()`` (``XACK``); entries of a dead consumer are taken over with
  ``XAUTOCLAIM`` once idle for ``claim_idle_ms``. See :mod:`phantomnet.bus.redis_consumer`.
* Lossy subscriptions (live views): ``XREAD`` from the end of the stream, no group, no ack.
* Malformed entries are counted, logged (first, then every ``malformed_log_every``-th),
  copied to ``dead_letter_stream`` with the error and acknowledged.
* Poison entries (delivered again and again, never acknowledged: the consumer fails on
  them) are handed out alone from their ``isolate_after``-th delivery and dead-lettered with
  their delivery count after ``max_deliveries`` (``[bus] max_deliveries``, default 5).
* Outages: with a ``spool`` (sensor hosts), ``publish`` never fails because Redis is down:
  events go to the append-only disk spool and are replayed, in order, when Redis answers
  again (also after a restart of the process). Once spooling, every publish goes through the
  spool until it is empty, so order is kept. Without a spool, ``publish`` raises
  :class:`BusUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from phantomnet.bus.base import BusStats
from phantomnet.bus.redis_consumer import GroupReader, LiveReader, RedisSubscription
from phantomnet.bus.redis_wire import EveryN, as_fields, encode, encode_json, translate_errors
from phantomnet.bus.spool import DiskSpool
from phantomnet.errors import BusError, BusUnavailable
from phantomnet.events import Event, dump_event
from phantomnet.settings import BusSettings

log = logging.getLogger(__name__)
_REPLAY_CHUNK = 500
_RETRY_MAX_S = 5.0


class RedisStreamsBus:
    """The EventBus on Redis Streams (see the module docstring for the guarantees)."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        stream: str = "phantomnet:events",
        dead_letter_stream: str = "phantomnet:dead-letter",
        maxlen: int = 1_000_000,
        dead_letter_maxlen: int = 100_000,
        block_ms: int = 500,
        claim_idle_ms: int = 30_000,
        new_group_start: str = "0",
        spool: DiskSpool | None = None,
        malformed_log_every: int = 1000,
        consumer_prefix: str = "",
        max_deliveries: int = 5,
        isolate_after: int = 3,
    ) -> None:
        if not url:
            raise BusError("the Redis bus needs a URL (bus.url = 'redis://…')")
        if max_deliveries < 1 or isolate_after < 2:
            raise BusError("max_deliveries must be >= 1 and isolate_after >= 2")
        self.max_deliveries = max_deliveries
        self.isolate_after = isolate_after
        self.stats = BusStats()
        self.stream = stream
        self.dead_letter_stream = dead_letter_stream
        self.maxlen = maxlen
        self.dead_letter_maxlen = dead_letter_maxlen
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.new_group_start = new_group_start
        self.consumer_prefix = consumer_prefix
        self.closed = False
        self.malformed_log = EveryN(log, malformed_log_every)
        self.outage_log = EveryN(log, 100)
        self.redis: Redis = Redis.from_url(
            url,
            decode_responses=False,
            socket_connect_timeout=5,
            socket_timeout=block_ms / 1000 + 10,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1),
        )
        self._spool = spool
        self._spooling = False
        self._replayer: asyncio.Task[None] | None = None
        self._subscriptions: dict[str, set[RedisSubscription]] = {}

    @classmethod
    def from_settings(
        cls, cfg: BusSettings, *, node: str = "", spool_dir: Path | None = None
    ) -> RedisStreamsBus:
        """Build from the ``[bus]`` section; ``cfg.spool_dir`` wins over ``spool_dir``.

        ``node`` prefixes consumer names (``<node>:<consumer>``) so that consumers of one group
        on different hosts never share a name. No spool when neither directory is given.
        """
        spool = None
        directory = cfg.spool_dir or spool_dir
        if directory is not None:
            spool = DiskSpool(directory, max_bytes=cfg.spool_max_bytes)
        return cls(
            cfg.url,
            stream=cfg.stream,
            dead_letter_stream=cfg.dead_letter_stream,
            maxlen=cfg.maxlen,
            block_ms=cfg.block_ms,
            claim_idle_ms=cfg.claim_idle_ms,
            new_group_start=cfg.new_group_start,
            spool=spool,
            consumer_prefix=node,
            max_deliveries=cfg.max_deliveries,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Ping Redis; with a spool, an unreachable Redis is waited for in the background."""
        self.closed = False
        if self._spool is not None:
            self._spool.open()
            if self._spool.pending():
                self._begin_spooling()
        try:
            with translate_errors("PING"):
                await self.redis.ping()
        except BusUnavailable as exc:
            if self._spool is None:
                raise
            log.warning(
                "Redis unreachable at start, spooling to %s: %s", self._spool.directory, exc
            )
            self._begin_spooling()

    async def close(self) -> None:
        """Stop replaying and reading; pending entries stay pending, the spool stays on disk."""
        self.closed = True
        if self._replayer is not None:
            self._replayer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replayer
            self._replayer = None
        if self._spool is not None:
            self._spool.close()
        await self.redis.aclose()

    async def healthy(self) -> bool:
        """Whether Redis answers a PING now."""
        try:
            with translate_errors("PING"):
                return bool(await self.redis.ping())
        except BusError:
            return False

    async def backlog(self) -> dict[str, dict[str, int | None]]:
        """``{group: {"pending": n, "lag": n | None}}`` from one ``XINFO GROUPS``.

        ``pending``: delivered, not acknowledged; ``lag``: not delivered yet (Redis 7; None
        when Redis cannot tell). Raises :class:`BusUnavailable` when Redis is away.
        """
        try:
            with translate_errors("XINFO GROUPS"):
                groups = await self.redis.xinfo_groups(self.stream)
        except BusError as exc:
            if "no such key" in str(exc).lower():
                return {}
            raise
        out: dict[str, dict[str, int | None]] = {}
        for info in groups:
            name = info["name"]
            key = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
            lag = info.get("lag")
            out[key] = {"pending": int(info["pending"]), "lag": None if lag is None else int(lag)}
        return out

    # -- publishing --------------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        await self.publish_many((event,))

    async def publish_many(self, events: Sequence[Event]) -> None:
        """XADD ``events`` in one pipeline, or spool them if Redis is down (or still replaying)."""
        if not events:
            return
        if self._spooling:
            self._spool_events(events)
            return
        try:
            await self._xadd([encode(e) for e in events])
        except BusUnavailable:
            if self._spool is None or self.closed:
                raise
            self._begin_spooling()
            self._spool_events(events)
            return
        self.stats.published += len(events)

    async def _xadd(self, entries: list[dict[bytes, bytes]]) -> None:
        with translate_errors("XADD"):
            if len(entries) == 1:
                await self.redis.xadd(
                    self.stream, as_fields(entries[0]), maxlen=self.maxlen, approximate=True
                )
                return
            async with self.redis.pipeline(transaction=False) as pipe:
                for fields in entries:
                    pipe.xadd(self.stream, as_fields(fields), maxlen=self.maxlen, approximate=True)
                await pipe.execute()

    # -- spool -------------------------------------------------------------------------------

    def _begin_spooling(self) -> None:
        if not self._spooling:
            log.warning("bus: Redis unavailable, spooling events to disk")
        self._spooling = True
        if self._replayer is None or self._replayer.done():
            self._replayer = asyncio.get_running_loop().create_task(
                self._replay_loop(), name="bus-spool-replay"
            )

    def _spool_events(self, events: Sequence[Event]) -> None:
        assert self._spool is not None
        accepted = self._spool.append([dump_event(e) for e in events])
        self._bump("spooled", accepted)
        if accepted < len(events):
            self.stats.dropped += len(events) - accepted
            self.outage_log.hit("spool full (%d bytes): events dropped", self._spool.max_bytes)

    async def _replay_loop(self) -> None:
        """Wait for Redis, then send the spool in order; stop spooling once it is empty."""
        delay = 0.05
        while not self.closed:
            try:
                await self._drain_spool()
                return
            except BusUnavailable:
                pass
            except Exception as exc:  # never let the replayer die: the spool would only grow
                self.outage_log.hit("bus: spool replay failed, retrying: %s: %s",
                                    type(exc).__name__, exc)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX_S)

    async def _drain_spool(self) -> None:
        assert self._spool is not None
        replayed = 0
        while True:
            chunk = self._spool.read(_REPLAY_CHUNK)
            if chunk is None:
                self._spooling = False  # no await since read(): nothing can slip in between
                if replayed:
                    log.warning("bus: Redis is back, %d spooled events replayed", replayed)
                return
            entries = [f for f in map(self._entry_from_line, chunk.lines) if f is not None]
            if entries:
                await self._xadd(entries)
            self._spool.commit(chunk)
            replayed += len(entries)
            self.stats.published += len(entries)
            self._bump("replayed", len(entries))

    def _entry_from_line(self, line: bytes) -> dict[bytes, bytes] | None:
        """Wrap a spooled event line; a torn or foreign line is counted and skipped."""
        try:
            kind = json.loads(line)["kind"]
            if not isinstance(kind, str):
                raise TypeError("kind is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            self.stats.malformed += 1
            self.malformed_log.hit("bad line in the spool skipped: %s", exc)
            return None
        return encode_json(kind, line)

    def _bump(self, key: str, n: int) -> None:
        self.stats.extra[key] = self.stats.extra.get(key, 0) + n

    @property
    def spooling(self) -> bool:
        """Whether publishes currently go to the disk spool."""
        return self._spooling

    # -- consuming ---------------------------------------------------------------------------

    async def ensure_group(self, group: str) -> None:
        """Create ``group`` (and the stream) at ``new_group_start`` unless it exists."""
        try:
            with translate_errors("XGROUP CREATE"):
                await self.redis.xgroup_create(
                    self.stream, group, id=self.new_group_start, mkstream=True
                )
        except BusError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def subscribe(
        self,
        group: str,
        *,
        consumer: str = "c1",
        kinds: frozenset[str] | None = None,
        batch_size: int = 1000,
        lossy: bool = False,
    ) -> RedisSubscription:
        """Batches for ``group`` (at-least-once) or, if ``lossy``, a live tail without a group.

        ``consumer`` (prefixed with ``consumer_prefix:``, the node name, when set) must be
        unique within the group across processes; a restarted consumer with the same name
        first gets back what it had read and not acknowledged.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        reader: LiveReader | GroupReader
        if lossy:
            reader = LiveReader(self, kinds, batch_size)
        else:
            name = f"{self.consumer_prefix}:{consumer}" if self.consumer_prefix else consumer
            reader = GroupReader(self, group, name, kinds, batch_size)
        sub = RedisSubscription(self, group, reader)
        self._subscriptions.setdefault(group, set()).add(sub)
        return sub

    def unsubscribe(self, group: str) -> None:
        """End this process's subscriptions of ``group`` (live views whose client left).

        The consumer group itself stays in Redis with its pending entries: deleting it would
        lose what other processes have not acknowledged.
        """
        for sub in list(self._subscriptions.get(group, ())):
            sub.stop()

    def forget(self, sub: RedisSubscription) -> None:
        """A subscription ended (called by the subscription itself)."""
        subs = self._subscriptions.get(sub.group)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscriptions[sub.group]
