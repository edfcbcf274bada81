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

from sqlalchemy import String, Table, Uuid, and_, bindparam, case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from phantomnet.events import Event
from phantomnet.storage import rows
from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
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
    cols = rows.EVENT_COLUMNS
    stmt = (
        sqlite_insert(EVENT)
        .values(payload=bindparam("payload_text", type_=String()))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(EVENT.c.event_id)
    )
    params = [
        {("payload_text" if c == "payload" else c): v for c, v in zip(cols, r, strict=True)}
        for r in records
    ]
    result = await conn.execute(stmt, params)
    return {row[0] for row in result}


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


async def apply_derived(
    conn: AsyncConnection, events: Sequence[Event], enrich: Enrich | None = None
) -> None:
    """Update every derived table for ``events`` (events just inserted, never replays)."""
    await _row_tables(conn, events)
    await _sessions(conn, rows.session_deltas(events))
    await _attackers(conn, rows.attacker_deltas(events), enrich)
    await _subject_scores(conn, events)
    await _statuses(conn, events)
    await _honeytokens(conn, events)


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


def _earlier(col: Any, param: str) -> Any:
    p = bindparam(param, type_=Ts)
    return case((p < col, p), else_=col)


async def _sessions(conn: AsyncConnection, deltas: list[rows.SessionDelta]) -> None:
    if not deltas:
        return
    base = [
        {
            "session_id": d.session_id, "component": d.component, "protocol": d.protocol,
            "node": d.node, "src_ip": d.src_ip, "src_port": d.src_port,
            "dst_port": d.dst_port, "started_at": d.started_at, "authenticated": False,
            "auth_attempts": 0, "commands": 0,
        }
        for d in deltas
    ]  # fmt: skip
    ins = _insert(conn)(SESSION).on_conflict_do_nothing(index_elements=["session_id"])
    await conn.execute(ins, base)
    c = SESSION.c
    stmt = (
        update(SESSION)
        .where(c.session_id == bindparam("sid"))
        .values(
            started_at=_earlier(c.started_at, "start"),
            src_port=func.coalesce(bindparam("sport"), c.src_port),
            dst_port=func.coalesce(bindparam("dport"), c.dst_port),
            auth_attempts=c.auth_attempts + bindparam("attempts"),
            commands=c.commands + bindparam("cmds"),
            authenticated=c.authenticated | bindparam("auth"),
            username=func.coalesce(bindparam("user"), c.username),
            client_version=func.coalesce(bindparam("cv"), c.client_version),
            ended_at=func.coalesce(bindparam("ended", type_=Ts), c.ended_at),
            end_reason=func.coalesce(bindparam("reason"), c.end_reason),
            recording=func.coalesce(bindparam("rec"), c.recording),
        )
    )
    params = [
        {
            "sid": d.session_id, "start": d.started_at, "sport": d.src_port,
            "dport": d.dst_port, "attempts": d.auth_attempts, "cmds": d.commands,
            "auth": d.authenticated, "user": d.username, "cv": d.client_version,
            "ended": d.ended_at, "reason": d.end_reason, "rec": d.recording,
        }
        for d in deltas
    ]  # fmt: skip
    await conn.execute(stmt, params)


async def _locked_attackers(conn: AsyncConnection, ips: list[str]) -> dict[str, dict[str, Any]]:
    if not ips:
        return {}
    query = select(ATTACKER).where(ATTACKER.c.ip.in_(ips)).order_by(ATTACKER.c.ip)
    result = await conn.execute(query.with_for_update())
    return {row.ip: dict(row._mapping) for row in result}


async def _attackers(
    conn: AsyncConnection, deltas: list[rows.AttackerDelta], enrich: Enrich | None
) -> None:
    if not deltas:
        return
    existing = await _locked_attackers(conn, [d.ip for d in deltas])
    fresh = [d for d in deltas if d.ip not in existing and d.creates]
    if fresh:
        new_rows = [rows.new_attacker(d, enrich(d.ip) if enrich else {}) for d in fresh]
        stmt = _insert(conn)(ATTACKER).on_conflict_do_nothing(index_elements=["ip"])
        inserted = await conn.execute(stmt.returning(ATTACKER.c.ip), new_rows)
        done = {row[0] for row in inserted}
        # Another writer created some of them meanwhile: merge into theirs instead.
        raced = [d.ip for d in fresh if d.ip not in done]
        existing.update(await _locked_attackers(conn, raced))
    merged = [rows.merge_attacker(existing[d.ip], d) for d in deltas if d.ip in existing]
    if not merged:
        return
    cols = ("first_seen_at", "last_seen_at", "event_count", "detection_count", "protocols",
            "last_score", "last_level", "max_score")  # fmt: skip
    stmt = (
        update(ATTACKER)
        .where(ATTACKER.c.ip == bindparam("b_ip"))
        .values({c: bindparam(f"b_{c}") for c in cols})
    )
    await conn.execute(stmt, [{f"b_{k}": row[k] for k in ("ip", *cols)} for row in merged])


async def _subject_scores(conn: AsyncConnection, events: Sequence[Event]) -> None:
    latest: dict[UUID, tuple[datetime, str, float]] = {}
    for e in events:
        if e.kind == "score" and e.subject_event_id is not None:
            prev = latest.get(e.subject_event_id)
            if prev is None or e.occurred_at >= prev[0]:
                latest[e.subject_event_id] = (e.occurred_at, e.level, e.score)
    if not latest:
        return
    stmt = (
        update(EVENT)
        .where(EVENT.c.event_id == bindparam("sid"))
        .values(level=bindparam("lvl"), score=bindparam("val"))
    )
    params = [{"sid": k, "lvl": v[1], "val": v[2]} for k, v in sorted(latest.items(), key=str)]
    await conn.execute(stmt, params)


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
