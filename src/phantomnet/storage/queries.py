"""Read-side queries for the API (keyword-only, on an explicit AsyncSession).

Lists are keyset-paginated, newest first: ``before``/``before_id`` is the key of the last row
the client has seen, so every page is an index range scan whatever the table size. Every query has a
``limit``. Rows come back as mappings of column name to value (no ORM identity map).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, or_, select, text, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
    Block,
    DetectionRow,
    EventRow,
    PacketLog,
    ScoreRow,
    SensorState,
    VerificationRow,
)

EVENT = EventRow.__table__
SESSION = AttackSession.__table__
DETECTION = DetectionRow.__table__

ATTACKER_SORTS: dict[str, Any] = {
    "last_seen": Attacker.last_seen_at,
    "event_count": Attacker.event_count,
    "max_score": Attacker.max_score,
}


@dataclass(frozen=True)
class EventFilter:
    """Filters of ``/api/events``; ``None`` means "any"."""

    kinds: Sequence[str] | None = None
    exclude_kinds: Sequence[str] | None = None
    component: str | None = None
    src_ip: str | None = None
    levels: Sequence[str] | None = None
    protocols: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    session_id: UUID | None = None

    @property
    def time_ordered(self) -> bool:
        """Whether pages of this filter are ordered by time (a time bound is set)."""
        return self.since is not None or self.until is not None

    def clauses(self) -> list[ColumnElement[bool]]:
        """One SQL condition per filter that is set."""
        c = EVENT.c
        out: list[ColumnElement[bool]] = []
        if self.kinds:
            out.append(c.kind.in_(self.kinds))
        if self.exclude_kinds:
            out.append(c.kind.not_in(self.exclude_kinds))
        if self.component is not None:
            out.append(c.component == self.component)
        if self.src_ip is not None:
            out.append(c.src_ip == self.src_ip)
        if self.levels:
            out.append(c.level.in_(self.levels))
        if self.protocols:
            out.append(c.protocol.in_(self.protocols))
        if self.since is not None:
            out.append(c.occurred_at >= self.since)
        if self.until is not None:
            out.append(c.occurred_at < self.until)
        if self.session_id is not None:
            out.append(c.session_id == self.session_id)
        return out


async def ping(session: AsyncSession) -> None:
    """Raise if the database does not answer."""
    await session.execute(select(1))


#: Envelope columns plus the payload as JSON *text* (served as is, never re-parsed).
EVENT_JSON_COLUMNS = (
    *(col for col in EVENT.c if col.name != "payload"),
    cast(EVENT.c.payload, Text).label("payload_json"),
)


@dataclass(frozen=True)
class EventKey:
    """Keyset position of the last event a client has seen (``occurred_at`` in time order)."""

    id: int
    occurred_at: datetime | None = None


async def list_events(
    session: AsyncSession, *, where: EventFilter, before: EventKey | None, limit: int
) -> Sequence[RowMapping]:
    """Events matching ``where``, newest first, after ``before``.

    Without a time filter the order is ``id`` (the primary key: the live tail). With
    ``since``/``until`` it is ``(occurred_at, id)``, so the ``(kind|src_ip, occurred_at)``
    indexes serve old windows instead of walking the primary key back from the newest row.
    Rows carry ``payload_json`` (text) instead of ``payload``: the list is the hot path and
    the API copies the stored JSON into its answer without decoding it.
    """
    c = EVENT.c
    query = select(*EVENT_JSON_COLUMNS).where(*where.clauses())
    if where.time_ordered:
        if before is not None and before.occurred_at is not None:
            query = query.where(tuple_(c.occurred_at, c.id) < tuple_(before.occurred_at, before.id))
        query = query.order_by(c.occurred_at.desc(), c.id.desc())
    else:
        if before is not None:
            query = query.where(c.id < before.id)
        query = query.order_by(c.id.desc())
    return (await session.execute(query.limit(limit))).mappings().all()


async def get_event(session: AsyncSession, *, event_id: UUID) -> RowMapping | None:
    result = await session.execute(select(EVENT).where(EVENT.c.event_id == event_id))
    return result.mappings().first()


async def events_in_order(
    session: AsyncSession, *, where: EventFilter, after: EventKey | None, limit: int
) -> Sequence[RowMapping]:
    """Events matching ``where`` oldest first by ``(occurred_at, id)``, after ``after``.

    The offline export's page: keyset on the ``(kind, occurred_at)`` / ``occurred_at``
    indexes, with ``payload_json`` as text like :func:`list_events`.
    """
    c = EVENT.c
    query = select(*EVENT_JSON_COLUMNS).where(*where.clauses())
    if after is not None and after.occurred_at is not None:
        query = query.where(tuple_(c.occurred_at, c.id) > tuple_(after.occurred_at, after.id))
    query = query.order_by(c.occurred_at, c.id).limit(limit)
    return (await session.execute(query)).mappings().all()


async def events_of_session(
    session: AsyncSession, *, session_id: UUID, limit: int
) -> Sequence[RowMapping]:
    """A session's events in the order they happened."""
    query = select(EVENT).where(EVENT.c.session_id == session_id).order_by(EVENT.c.id).limit(limit)
    return (await session.execute(query)).mappings().all()


async def events_of_source(
    session: AsyncSession, *, src_ip: str, kinds: Sequence[str] | None, limit: int
) -> Sequence[RowMapping]:
    """Latest events from ``src_ip`` (optionally only some kinds), newest first."""
    query = select(EVENT).where(EVENT.c.src_ip == src_ip)
    if kinds:
        query = query.where(EVENT.c.kind.in_(kinds))
    query = query.order_by(EVENT.c.id.desc()).limit(limit)
    return (await session.execute(query)).mappings().all()


async def latest_of_kind(session: AsyncSession, *, kind: str, limit: int) -> Sequence[RowMapping]:
    """Latest events of one kind by time (uses the (kind, occurred_at) index)."""
    query = (
        select(EVENT)
        .where(EVENT.c.kind == kind)
        .order_by(EVENT.c.occurred_at.desc(), EVENT.c.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()


# --- stats ---------------------------------------------------------------------------------


def _hour(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


#: Kinds left out of statistics: component heartbeats are not activity.
NOT_COUNTED = ("sensor.status",)


async def count_events(session: AsyncSession) -> int:
    """Stored events, heartbeats excepted."""
    query = select(func.count()).select_from(EVENT).where(EVENT.c.kind.not_in(NOT_COUNTED))
    return int(await session.scalar(query) or 0)


async def window_breakdown(session: AsyncSession, *, since: datetime) -> Sequence[Any]:
    """Rows of (hour, kind, protocol, level, n) for events at or after ``since``.

    Heartbeats (:data:`NOT_COUNTED`) are left out.
    """
    hour = _hour(session, EVENT.c.occurred_at).label("hour")
    query = (
        select(hour, EVENT.c.kind, EVENT.c.protocol, EVENT.c.level, func.count().label("n"))
        .where(EVENT.c.occurred_at >= since, EVENT.c.kind.not_in(NOT_COUNTED))
        .group_by(hour, EVENT.c.kind, EVENT.c.protocol, EVENT.c.level)
    )
    return (await session.execute(query)).all()


async def score_histogram(session: AsyncSession, *, since: datetime) -> dict[int, int]:
    """Counts of scored events per bucket ``min(score // 10, 9)``."""
    bucket = case((EVENT.c.score >= 90, 9), else_=func.floor(EVENT.c.score / 10)).label("b")
    query = (
        select(bucket, func.count())
        .where(EVENT.c.occurred_at >= since, EVENT.c.score.is_not(None))
        .group_by(bucket)
    )
    return {int(b): int(n) for b, n in (await session.execute(query)).all()}


async def count_sources(session: AsyncSession, *, since: datetime) -> int:
    """Distinct non-null sources since ``since`` (DISTINCT subquery: a hash, not a sort)."""
    sources = (
        select(EVENT.c.src_ip)
        .where(EVENT.c.occurred_at >= since, EVENT.c.src_ip.is_not(None))
        .distinct()
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(sources)) or 0)


async def count_attackers(session: AsyncSession, *, since: datetime) -> int:
    """Rows of ``attacker`` (what the Attackers page lists) last seen at or after ``since``.

    Not the distinct ``src_ip`` of all events: flows, plain packets and scores carry source
    addresses too, and those are not attackers (see ``storage.rows``).
    """
    query = select(func.count()).select_from(Attacker).where(Attacker.last_seen_at >= since)
    return int(await session.scalar(query) or 0)


async def count_active_blocks(session: AsyncSession, *, applied: bool) -> int:
    """Active blocks the firewall took (``applied``) or only recorded (dry run, failed)."""
    query = (
        select(func.count())
        .select_from(Block)
        .where(Block.active.is_(True), Block.applied.is_(applied))
    )
    return int(await session.scalar(query) or 0)


#: The (table, column) pairs :func:`distinct_values` may read (names go into SQL text).
DISTINCT_COLUMNS = frozenset(
    {("event", "kind"), ("event", "protocol"), ("event", "component"), ("detection", "rule"),
     ("detection", "severity")}
)  # fmt: skip


async def distinct_values(
    session: AsyncSession, *, table: str, column: str, limit: int = 200
) -> list[str]:
    """The distinct non-null values of an indexed column, smallest first, at most ``limit``.

    A loose index scan (recursive ``MIN(col) WHERE col > previous``): one index probe per
    distinct value on PostgreSQL and SQLite alike, instead of reading every row.
    """
    if (table, column) not in DISTINCT_COLUMNS:
        raise ValueError(f"not a facet column: {table}.{column}")
    sql = text(
        f"WITH RECURSIVE v(x, n) AS ("
        f" SELECT (SELECT MIN({column}) FROM {table}), 1"
        f" UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x), n + 1"
        f" FROM v WHERE v.x IS NOT NULL AND n < :limit"
        f") SELECT x FROM v WHERE x IS NOT NULL"
    )
    return [str(x) for (x,) in (await session.execute(sql, {"limit": limit})).all()]


async def counted_protocols(session: AsyncSession, candidates: Sequence[str]) -> list[str]:
    """The ``candidates`` some event other than a heartbeat carries (a heartbeat's protocol
    column is its component's name, which is not a protocol anyone filters on)."""
    out = []
    for value in candidates:
        probe = select(EVENT.c.id).where(
            EVENT.c.protocol == value, EVENT.c.kind.not_in(NOT_COUNTED)
        )
        if await session.scalar(probe.limit(1)) is not None:
            out.append(value)
    return out


# --- sensors and traffic -------------------------------------------------------------------


async def sensor_states(session: AsyncSession, *, limit: int = 1000) -> Sequence[RowMapping]:
    query = select(SensorState.__table__).order_by(SensorState.node, SensorState.component)
    return (await session.execute(query.limit(limit))).mappings().all()


async def recent_packets(session: AsyncSession, *, limit: int) -> Sequence[RowMapping]:
    query = select(PacketLog.__table__).order_by(PacketLog.id.desc()).limit(limit)
    return (await session.execute(query)).mappings().all()


# --- detections, attackers, sessions, scores, blocks -----------------------------------------


async def list_detections(
    session: AsyncSession,
    *,
    rules: Sequence[str] | None,
    severities: Sequence[str] | None,
    src_ip: str | None,
    before_id: int | None,
    limit: int,
) -> Sequence[RowMapping]:
    c = DETECTION.c
    query = select(DETECTION)
    if rules:
        query = query.where(c.rule.in_(rules))
    if severities:
        query = query.where(c.severity.in_(severities))
    if src_ip:
        query = query.where(c.src_ip == src_ip)
    if before_id is not None:
        query = query.where(c.id < before_id)
    return (await session.execute(query.order_by(c.id.desc()).limit(limit))).mappings().all()


async def list_verifications(
    session: AsyncSession,
    *,
    outcomes: Sequence[str] | None,
    subject_event_id: UUID | None,
    before_id: int | None,
    limit: int,
) -> Sequence[RowMapping]:
    """``verification_result`` rows newest first, keyset on id."""
    table = VerificationRow.__table__
    c = table.c
    query = select(table)
    if outcomes:
        query = query.where(c.outcome.in_(outcomes))
    if subject_event_id is not None:
        query = query.where(c.subject_event_id == subject_event_id)
    if before_id is not None:
        query = query.where(c.id < before_id)
    return (await session.execute(query.order_by(c.id.desc()).limit(limit))).mappings().all()


async def list_attackers(session: AsyncSession, *, sort: str, limit: int) -> Sequence[RowMapping]:
    """Attackers by ``sort`` (a key of :data:`ATTACKER_SORTS`), largest first."""
    column = ATTACKER_SORTS[sort]
    query = (
        select(Attacker.__table__).order_by(column.desc().nulls_last(), Attacker.ip).limit(limit)
    )
    return (await session.execute(query)).mappings().all()


async def get_attacker(session: AsyncSession, *, ip: str) -> RowMapping | None:
    query = select(Attacker.__table__).where(Attacker.ip == ip)
    return (await session.execute(query)).mappings().first()


async def list_sessions(
    session: AsyncSession,
    *,
    src_ip: str | None,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> Sequence[RowMapping]:
    """Sessions newest first, keyset on (started_at, session_id)."""
    c = SESSION.c
    query = select(SESSION)
    if src_ip:
        query = query.where(c.src_ip == src_ip)
    if before is not None:
        started, sid = before
        query = query.where(
            or_(c.started_at < started, and_(c.started_at == started, c.session_id < sid))
        )
    query = query.order_by(c.started_at.desc(), c.session_id.desc()).limit(limit)
    return (await session.execute(query)).mappings().all()


async def get_session(session: AsyncSession, *, session_id: UUID) -> RowMapping | None:
    query = select(SESSION).where(SESSION.c.session_id == session_id)
    return (await session.execute(query)).mappings().first()


async def scores_of_source(
    session: AsyncSession, *, src_ip: str, limit: int
) -> Sequence[RowMapping]:
    query = (
        select(ScoreRow.__table__)
        .where(ScoreRow.src_ip == src_ip)
        .order_by(ScoreRow.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()


async def latest_block(session: AsyncSession, *, target: str) -> RowMapping | None:
    """The newest block row for ``target`` (active or not)."""
    query = select(Block.__table__).where(Block.target == target).order_by(Block.id.desc()).limit(1)
    return (await session.execute(query)).mappings().first()
