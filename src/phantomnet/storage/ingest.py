"""Write one batch of events in one transaction: ``event`` rows, then derived tables.

``insert_events`` returns the ids actually inserted (``ON CONFLICT (event_id) DO NOTHING
RETURNING event_id``), and derived updates are applied only for those, so a redelivered
batch changes nothing. PostgreSQL bulk-loads with COPY into a per-connection temporary
staging table, then ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Row locks are taken in a
stable order (session id, address) so concurrent writers of one consumer group do not
deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from phantomnet.errors import StorageError
from phantomnet.events import Event
from phantomnet.storage import rows
from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
    DeadLetter,
    DetectionRow,
    EventRow,
    Honeytoken,
    PacketLog,
    ScoreRow,
    SensorState,
    TrafficStats,
    Ts,
    VerificationRow,
)

Enrich = Callable[[str], dict[str, Any]]

EVENT: Table = EventRow.__table__  # type: ignore[assignment]
SESSION: Table = AttackSession.__table__  # type: ignore[assignment]
ATTACKER: Table = Attacker.__table__  # type: ignore[assignment]
STATUS: Table = SensorState.__table__  # type: ignore[assignment]
HONEYTOKEN: Table = Honeytoken.__table__  # type: ignore[assignment]
DEAD_LETTER: Table = DeadLetter.__table__  # type: ignore[assignment]

#: kind -> (table, row builder) for tables that get one row per event.
ROW_TABLES: dict[str, tuple[Any, Callable[[Any], dict[str, Any]]]] = {
    "detection": (DetectionRow.__table__, rows.detection_row),
    "score": (ScoreRow.__table__, rows.score_row),
    "network.packet": (PacketLog.__table__, rows.packet_row),
    "network.stats": (TrafficStats.__table__, rows.stats_row),
    "verification.result": (VerificationRow.__table__, rows.verification_row),
}

_STAGE_DDL = text(
    "CREATE TEMPORARY TABLE IF NOT EXISTS pn_event_stage ("
    " event_id uuid, kind varchar(32), occurred_at timestamptz, node varchar(128),"
    " component varchar(64), session_id uuid, src_ip varchar(45), src_port integer,"
    " dst_ip varchar(45), dst_port integer, community_id varchar(64), protocol varchar(32),"
    " level varchar(8), score double precision, payload text) ON COMMIT DELETE ROWS"
)
_COLS = ", ".join(rows.EVENT_COLUMNS)
_STAGE_MOVE = text(
    f"INSERT INTO event ({_COLS}) SELECT {_COLS.replace('payload', 'payload::jsonb')}"
    " FROM pn_event_stage ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
).columns(event_id=Uuid())


def _insert(conn: AsyncConnection) -> Callable[[Any], Any]:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


async def insert_events(conn: AsyncConnection, events: Sequence[Event]) -> set[UUID]:
    """Insert ``events`` into ``event``; return the ids that were not there before."""
    if not events:
        return set()
    records = [rows.event_record(e) for e in events]
    if conn.dialect.name == "postgresql":
        return await _copy_events(conn, records)
    return await _sqlite_events(conn, records)


_SQLITE_INSERT = (
    f"INSERT INTO event ({_COLS}) VALUES ({', '.join('?' * len(rows.EVENT_COLUMNS))})"
    " ON CONFLICT (event_id) DO NOTHING"
)
#: Bound parameters per ``IN (...)`` probe (well under SQLite's variable limit).
_SQLITE_PROBE = 500


def _sqlite_ts(value: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format (UTC wall clock, microseconds).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_params(r: tuple[Any, ...]) -> tuple[Any, ...]:
    # Same encodings as the SQLAlchemy types: Uuid as 32 hex digits, DateTime as text.
    return (r[0].hex, r[1], _sqlite_ts(r[2]), *r[3:5], r[5].hex if r[5] else None, *r[6:])


async def _sqlite_events(conn: AsyncConnection, records: list[tuple[Any, ...]]) -> set[UUID]:
    """Probe which ids exist, then ``executemany`` the rest through the driver.

    SQLite has one writer at a time; if another one slipped a row in between, the row count
    differs and the whole batch is retried (the probe then sees it)."""
    hexes = [r[0].hex for r in records]
    known: set[str] = set()
    for i in range(0, len(hexes), _SQLITE_PROBE):
        chunk = tuple(hexes[i : i + _SQLITE_PROBE])
        probe = f"SELECT event_id FROM event WHERE event_id IN ({', '.join('?' * len(chunk))})"
        known.update(row[0] for row in await conn.exec_driver_sql(probe, chunk))
    fresh = [r for r in records if r[0].hex not in known]
    if fresh:
        result = await conn.exec_driver_sql(_SQLITE_INSERT, [_sqlite_params(r) for r in fresh])
        if result.rowcount != len(fresh):
            raise StorageError("event rows appeared during the batch (another writer); retrying")
    return {r[0] for r in fresh}


async def _copy_events(conn: AsyncConnection, records: list[tuple[Any, ...]]) -> set[UUID]:
    await conn.execute(_STAGE_DDL)  # also opens the transaction COPY then joins
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        "pn_event_stage", records=records, columns=list(rows.EVENT_COLUMNS)
    )
    result = await conn.execute(_STAGE_MOVE)
    return {row[0] for row in result}


async def dead_letter(conn: AsyncConnection, values: Sequence[dict[str, Any]]) -> None:
    """Park ``values`` (:func:`rows.dead_letter_row`); an event id already parked is kept."""
    if values:
        stmt = _insert(conn)(DEAD_LETTER).on_conflict_do_nothing(index_elements=["event_id"])
        await conn.execute(stmt, list(values))


#: subject event id -> (score time, level, score) of the latest score seen for it.
SubjectScores = dict[UUID, tuple[datetime, str, float]]


async def apply_derived(
    conn: AsyncConnection,
    events: Sequence[Event],
    enrich: Enrich | None = None,
    unscored: SubjectScores | None = None,
) -> tuple[set[UUID], SubjectScores]:
    """Update every derived table for ``events`` (events just inserted, never replays).

    ``unscored`` are scores whose subject event was not stored yet (it may be committing
    in a concurrent transaction or another process); they are tried again here. Returns the
    subjects that got their score and the scores still waiting for their subject.
    """
    await _row_tables(conn, events)
    await _verifications(conn, events)
    await _sessions(conn, rows.session_deltas(events))
    await _attackers(conn, rows.attacker_deltas(events), enrich)
    result = await _subject_scores(conn, events, unscored or {})
    await _statuses(conn, events)
    await _honeytokens(conn, events)
    return result


async def _row_tables(conn: AsyncConnection, events: Sequence[Event]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        entry = ROW_TABLES.get(event.kind)
        if entry is not None:
            grouped[event.kind].append(entry[1](event))
    ins = _insert(conn)
    for kind, values in grouped.items():
        table = ROW_TABLES[kind][0]
        await conn.execute(ins(table).on_conflict_do_nothing(index_elements=["event_id"]), values)


DETECTION: Table = DetectionRow.__table__  # type: ignore[assignment]
VERIFICATION: Table = VerificationRow.__table__  # type: ignore[assignment]


async def _mark(conn: AsyncConnection, marks: dict[UUID, dict[str, Any]]) -> None:
    stmt = (
        update(DETECTION)
        .where(DETECTION.c.event_id == bindparam("sid"))
        .values(verified=bindparam("v"), verification_details=bindparam("d"))
    )
    params = [
        {"sid": k, "v": m["verified"], "d": m["verification_details"]}
        for k, m in sorted(marks.items(), key=lambda kv: str(kv[0]))
    ]
    if params:
        await conn.execute(stmt, params)


async def _verifications(conn: AsyncConnection, events: Sequence[Event]) -> None:
    """Mark each verified detection (``verified``, ``verification_details``), whichever of
    the two arrives first: a result marks its stored detection, a new detection takes the
    latest result already stored for it. The latest result (by time) wins."""
    marks: dict[UUID, tuple[datetime, dict[str, Any]]] = {}
    for e in events:
        if e.kind == "verification.result" and e.subject_event_id is not None:
            prev = marks.get(e.subject_event_id)
            if prev is None or e.occurred_at >= prev[0]:
                marks[e.subject_event_id] = (e.occurred_at, rows.verification_mark(e))
    fresh = [e.event_id for e in events if e.kind == "detection" and e.event_id not in marks]
    for i in range(0, len(fresh), _SQLITE_PROBE):
        chunk = fresh[i : i + _SQLITE_PROBE]
        query = (
            select(VERIFICATION)
            .where(VERIFICATION.c.subject_event_id.in_(chunk))
            .order_by(VERIFICATION.c.checked_at, VERIFICATION.c.id)
        )
        for row in (await conn.execute(query)).mappings():
            marks[row["subject_event_id"]] = (row["checked_at"], rows.stored_mark(row))
    await _mark(conn, {k: v[1] for k, v in marks.items()})


def _earlier(col: Any, new: Any) -> Any:
    return case((new < col, new), else_=col)


_SESSION_ADD = ("auth_attempts", "commands")
_SESSION_NEWER = ("username", "client_version", "ended_at", "end_reason", "recording")


async def _sessions(conn: AsyncConnection, deltas: list[rows.SessionDelta]) -> None:
    """One upsert whose update part is additive, so concurrent writers commute."""
    if not deltas:
        return
    ins = _insert(conn)(SESSION)
    new, old = ins.excluded, SESSION.c
    set_: dict[str, Any] = {k: old[k] + new[k] for k in _SESSION_ADD}
    set_.update({k: func.coalesce(new[k], old[k]) for k in _SESSION_NEWER})
    set_.update(
        started_at=_earlier(old.started_at, new.started_at),
        src_port=func.coalesce(old.src_port, new.src_port),
        dst_port=func.coalesce(old.dst_port, new.dst_port),
        authenticated=old.authenticated | new.authenticated,
    )
    stmt = ins.on_conflict_do_update(index_elements=["session_id"], set_=set_)
    await conn.execute(stmt, [vars(d) for d in deltas])


async def _known_attackers(conn: AsyncConnection, ips: list[str]) -> dict[str, dict[str, Any]]:
    query = select(
        ATTACKER.c.ip, ATTACKER.c.first_seen_at, ATTACKER.c.last_seen_at, ATTACKER.c.protocols
    ).where(ATTACKER.c.ip.in_(ips))
    return {row.ip: dict(row._mapping) for row in await conn.execute(query)}


def _attacker_upsert(conn: AsyncConnection) -> Any:
    """Insert new addresses; merge into known ones additively (concurrent writers commute)."""
    ins = _insert(conn)(ATTACKER)
    new, old = ins.excluded, ATTACKER.c
    protocols: Any = new.protocols  # SQLite: one writer, merged in Python from the read row
    if conn.dialect.name == "postgresql":
        protocols = text(
            "(SELECT coalesce(jsonb_agg(DISTINCT p ORDER BY p), '[]'::jsonb) FROM"
            " jsonb_array_elements(attacker.protocols || excluded.protocols) AS p)"
        )
    set_ = {
        "first_seen_at": _earlier(old.first_seen_at, new.first_seen_at),
        "last_seen_at": case((new.last_seen_at > old.last_seen_at, new.last_seen_at),
                             else_=old.last_seen_at),
        "event_count": old.event_count + new.event_count,
        "detection_count": old.detection_count + new.detection_count,
        "protocols": protocols,
        "last_score": func.coalesce(new.last_score, old.last_score),
        "last_level": func.coalesce(new.last_level, old.last_level),
        "max_score": case((or_(old.max_score.is_(None), new.max_score > old.max_score),
                           new.max_score), else_=old.max_score),
    }  # fmt: skip
    return ins.on_conflict_do_update(index_elements=["ip"], set_=set_)


async def _attackers(
    conn: AsyncConnection, deltas: list[rows.AttackerDelta], enrich: Enrich | None
) -> None:
    """Upsert one row per address; geo columns from ``enrich`` only when first seen."""
    if not deltas:
        return
    known = await _known_attackers(conn, [d.ip for d in deltas])
    values = []
    for d in deltas:
        row = known.get(d.ip)
        if row is not None:
            values.append(rows.attacker_increment(row, d))
        elif d.creates:
            values.append(rows.new_attacker(d, enrich(d.ip) if enrich else {}))
    if values:
        await conn.execute(_attacker_upsert(conn), values)


_PG_SUBJECT_SCORES = text(
    "UPDATE event SET level = v.lvl, score = v.val FROM (SELECT"
    " unnest(CAST(:ids AS uuid[])) AS sid, unnest(CAST(:lvls AS varchar[])) AS lvl,"
    " unnest(CAST(:vals AS float8[])) AS val) AS v WHERE event.event_id = v.sid"
    " RETURNING event.event_id"
).columns(event_id=Uuid())


async def _subject_scores(
    conn: AsyncConnection, events: Sequence[Event], unscored: SubjectScores
) -> tuple[set[UUID], SubjectScores]:
    """Copy each score's level and value onto its subject event (latest score wins)."""
    latest = dict(unscored)
    for e in events:
        if e.kind == "score" and e.subject_event_id is not None:
            prev = latest.get(e.subject_event_id)
            if prev is None or e.occurred_at >= prev[0]:
                latest[e.subject_event_id] = (e.occurred_at, e.level, e.score)
    if not latest:
        return set(), {}
    items = sorted(latest.items(), key=lambda kv: str(kv[0]))
    if conn.dialect.name == "postgresql":
        ids, lvls, vals = [k for k, _ in items], [v[1] for _, v in items], [v[2] for _, v in items]
        result = await conn.execute(_PG_SUBJECT_SCORES, {"ids": ids, "lvls": lvls, "vals": vals})
        found = {row[0] for row in result}
    else:
        found = await _existing_ids(conn, [k for k, _ in items])
        stmt = (
            update(EVENT)
            .where(EVENT.c.event_id == bindparam("sid"))
            .values(level=bindparam("lvl"), score=bindparam("val"))
        )
        params = [{"sid": k, "lvl": v[1], "val": v[2]} for k, v in items if k in found]
        if params:
            await conn.execute(stmt, params)
    return found, {k: v for k, v in latest.items() if k not in found}


async def _existing_ids(conn: AsyncConnection, ids: list[UUID]) -> set[UUID]:
    found: set[UUID] = set()
    for i in range(0, len(ids), _SQLITE_PROBE):
        query = select(EVENT.c.event_id).where(EVENT.c.event_id.in_(ids[i : i + _SQLITE_PROBE]))
        found.update(row[0] for row in await conn.execute(query))
    return found


async def _statuses(conn: AsyncConnection, events: Sequence[Event]) -> None:
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if e.kind == "sensor.status":
            row = rows.status_row(e)
            key = (row["node"], row["component"])
            if key not in newest or row["last_seen_at"] >= newest[key]["last_seen_at"]:
                newest[key] = row
    if not newest:
        return
    ins = _insert(conn)(STATUS)
    keep = ("state", "listen", "connections", "events", "detail", "last_seen_at")
    stmt = ins.on_conflict_do_update(
        index_elements=["node", "component"],
        set_={k: ins.excluded[k] for k in keep},
        where=STATUS.c.last_seen_at <= ins.excluded.last_seen_at,
    )
    await conn.execute(stmt, [newest[k] for k in sorted(newest)])


async def _honeytokens(conn: AsyncConnection, events: Sequence[Event]) -> None:
    hits: dict[str, tuple[int, datetime]] = {}
    for e in events:
        if e.kind == "honeytoken.triggered":
            n, last = hits.get(e.token_id, (0, rows.utc(e.occurred_at)))
            hits[e.token_id] = (n + 1, max(last, rows.utc(e.occurred_at)))
    if not hits:
        return
    c = HONEYTOKEN.c
    stmt = (
        update(HONEYTOKEN)
        .where(c.token_id == bindparam("tid"))
        .values(
            triggered_count=c.triggered_count + bindparam("n"),
            last_triggered_at=case(
                (and_(c.last_triggered_at.is_not(None), c.last_triggered_at > bindparam("at")),
                 c.last_triggered_at),
                else_=bindparam("at", type_=Ts),
            ),
        )
    )  # fmt: skip
    params = [{"tid": k, "n": v[0], "at": v[1]} for k, v in sorted(hits.items())]
    await conn.execute(stmt, params)
