"""Block decisions: validate, check the allowlist, record, apply, kill flows, announce.

The database row is the desired state; the firewall follows it. A decision is applied at once
(``applied`` tells whether the firewall was verified to hold it afterwards; if not, the
reconciler retries, and every pass rewrites ``applied`` from what the firewall holds). Repeat
offenders climb the duration ladder (10 m -> 1 h -> 24 h -> 7 d by default) counted over
``offence_window_s``. Re-blocking an active target never shortens it: the expiry becomes the
later of the two (cs-firewall-bouncer#243). Every change publishes ``response.block`` or
``response.unblock``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from phantomnet.errors import BlockRefused, InvalidInput, NotFound, ResponseError
from phantomnet.events import Endpoint, Event, SensorRef, canonical_attacker_text, utcnow
from phantomnet.events.response import BlockSource, ResponseBlock, ResponseUnblock
from phantomnet.response.blockers.base import Blocker, Element
from phantomnet.response.config import ResponseConfig
from phantomnet.response.safety import Safety
from phantomnet.response.store import BlockRecord, BlockStore, NewBlock
from phantomnet.response.targets import Target, parse_target

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass
class Counters:
    blocks: int = 0
    unblocks: int = 0
    apply_failures: int = 0
    killed_flows: int = 0
    refused: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def seconds_left(expires_at: datetime, now: datetime) -> int:
    return int((expires_at - now).total_seconds())


class ResponseService:
    """The one place decisions are made; CLI, API, policy and reconciler all go through it."""

    def __init__(
        self,
        config: ResponseConfig,
        store: BlockStore,
        blocker: Blocker,
        safety: Safety,
        *,
        node: str,
        publish: Publish | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.blocker = blocker
        self.safety = safety
        self.publish = publish
        self.clock = clock
        self.sensor = SensorRef(node=node, component="response")
        self.counters = Counters()
        self._lock = asyncio.Lock()
        #: perf_counter() when the firewall last accepted a block (latency measurements)
        self.last_applied = 0.0

    def target(self, text: str) -> Target:
        """Validate ``text`` (InvalidInput / BlockRefused for a bad or too wide target)."""
        return parse_target(
            text, min_prefix_v4=self.config.min_prefix_v4, min_prefix_v6=self.config.min_prefix_v6
        )

    async def block(
        self,
        text: str,
        *,
        source: BlockSource = "manual",
        reason: str = "",
        duration_s: int | None = None,
        created_by: str | None = None,
    ) -> BlockRecord:
        """Block ``text`` (address or CIDR). ``duration_s`` None climbs the ladder.

        Raises BlockRefused (allowlisted, too wide, overlapping an active network), InvalidInput.
        """
        target = self.target(text)
        try:
            await self.safety.check(target)
        except BlockRefused:
            self.counters.refused += 1
            raise
        async with self._lock:
            existing = await self.store.get_active(target.text)
            if existing is None and not target.single:
                await self._refuse_overlap(target)
            now = self.clock()
            offence = (
                await self.store.count_since(
                    target.text, now - timedelta(seconds=self.config.offence_window_s)
                )
                + 1
            )
            if duration_s is None:
                duration_s = self.config.ladder_duration(offence)
            duration_s = min(duration_s, self.config.max_duration_s)
            # stored and shown: always safe text (a reason may quote attacker text)
            reason = canonical_attacker_text(reason or f"{source} block", 512)
            if created_by is not None:
                created_by = canonical_attacker_text(created_by, 128)
            if existing is not None:
                return await self._extend(existing, target, now, duration_s, reason)
            return await self._create(target, now, duration_s, reason, source, offence, created_by)

    async def _refuse_overlap(self, target: Target) -> None:
        for record in await self.store.list_active():
            other = self.target_or_none(record.target)
            if (
                other is not None
                and not other.single
                and other.version == target.version
                and other.network.overlaps(target.network)
            ):
                raise BlockRefused(f"{target} overlaps the active block {other}; unblock it first")

    def target_or_none(self, text: str) -> Target | None:
        """Like :meth:`target` but None for a stored target that is no longer valid."""
        try:
            return self.target(text)
        except (InvalidInput, BlockRefused):
            return None

    async def _apply(self, target: Target, timeout_s: int) -> bool:
        """Put ``target`` in the firewall; False if the firewall refused (or dry-run)."""
        if not self.blocker.enforces:
            await self.blocker.add([Element(target, timeout_s)])
            return False
        timeout_s = min(timeout_s, self.blocker.max_timeout_s)
        try:
            await self.blocker.add([Element(target, timeout_s)])
            added = time.perf_counter()  # the rule is in place from here on
            held = await self.blocker.holds(target)  # applied = what the kernel holds
        except ResponseError as exc:
            self.counters.apply_failures += 1
            log.warning(
                "block of %s recorded but not applied (reconciler will retry): %s", target, exc
            )
            return False
        if not held:
            self.counters.apply_failures += 1
            log.warning("block of %s recorded but the firewall does not hold it", target)
            return False
        self.last_applied = added
        return True

    async def _kill(self, target: Target, applied: bool) -> None:
        """Drop the target's conntrack entries (after the rule is in place, so none return)."""
        if not (applied and self.config.kill_connections):
            return
        try:
            self.counters.killed_flows += await self.blocker.kill(target)
        except ResponseError as exc:
            log.warning("could not kill the connections of %s: %s", target, exc)

    async def _create(
        self,
        target: Target,
        now: datetime,
        duration_s: int,
        reason: str,
        source: BlockSource,
        offence: int,
        created_by: str | None,
    ) -> BlockRecord:
        applied = await self._apply(target, duration_s)
        killing = asyncio.create_task(self._kill(target, applied))
        try:
            record = await self.store.insert(
                NewBlock(
                    target=target.text,
                    source=source,
                    reason=reason,
                    created_at=now,
                    expires_at=now + timedelta(seconds=duration_s),
                    offence=offence,
                    backend=self.blocker.name,
                    applied=applied,
                    created_by=created_by,
                )
            )
        finally:
            await killing  # concurrent with the database write
        await self._announce_block(record, duration_s)
        return record

    async def _extend(
        self, existing: BlockRecord, target: Target, now: datetime, duration_s: int, reason: str
    ) -> BlockRecord:
        expires = max(existing.expires_at, now + timedelta(seconds=duration_s))
        if expires == existing.expires_at and existing.applied:
            return existing  # nothing new (a burst of events about one attacker); reconciler
            # keeps the element in place
        applied = await self._apply(target, seconds_left(expires, now))
        await self._kill(target, applied)
        if expires == existing.expires_at and applied == existing.applied:
            return existing
        record = await self.store.update(
            existing.id, expires_at=expires, reason=reason, applied=applied
        )
        await self._announce_block(record, seconds_left(expires, now))
        return record

    async def unblock(self, text: str, *, reason: str = "manual") -> BlockRecord:
        """Lift the active block of exactly ``text`` (NotFound if there is none)."""
        target = self.target(text)
        async with self._lock:
            existing = await self.store.get_active(target.text)
            if existing is None:
                raise NotFound(f"{target} is not blocked")
            return await self._lift(existing, target, canonical_attacker_text(reason, 512))

    async def _lift(self, record: BlockRecord, target: Target, reason: str) -> BlockRecord:
        applied = self.blocker.enforces
        try:
            await self.blocker.remove([target])
        except ResponseError as exc:
            applied = False
            log.warning(
                "unblock of %s recorded; firewall removal failed (reconciler will retry): %s",
                target,
                exc,
            )
        done = await self.store.deactivate(record.id, at=self.clock(), reason=reason)
        self.counters.unblocks += 1
        await self._emit(
            ResponseUnblock(
                sensor=self.sensor,
                src=_endpoint(target),
                target=target.text,
                reason=reason,
                backend=self.blocker.name,
                applied=applied,
            )
        )
        return done

    async def expire_due(self, limit: int = 1000) -> list[BlockRecord]:
        """Lift every active block whose expiry has passed (reason ``expired``)."""
        out = []
        async with self._lock:
            for record in await self.store.due(self.clock(), limit):
                target = self.target_or_none(record.target)
                if target is None:
                    out.append(
                        await self.store.deactivate(record.id, at=self.clock(), reason="invalid")
                    )
                    continue
                out.append(await self._lift(record, target, "expired"))
        return out

    async def _announce_block(self, record: BlockRecord, duration_s: int) -> None:
        self.counters.blocks += 1
        target = self.target_or_none(record.target)
        await self._emit(
            ResponseBlock(
                sensor=self.sensor,
                src=_endpoint(target),
                target=record.target,
                source=record.source,
                reason=record.reason,
                duration_s=max(1, duration_s),
                expires_at=record.expires_at,
                backend=record.backend,
                applied=record.applied,
                offence=record.offence,
            )
        )

    async def _emit(self, event: Event) -> None:
        if self.publish is None:
            return
        try:
            await self.publish(event)
        except Exception as exc:  # one broken output must not undo a block already in place
            log.warning("could not publish %s: %s", event.kind, exc)


def _endpoint(target: Target | None) -> Endpoint | None:
    if target is None or not target.single:
        return None
    return Endpoint(ip=str(target.network.network_address))
