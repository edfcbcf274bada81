"""``/api/stats``, ``/api/honeypots/status`` and ``/api/traffic``: the dashboard's overview."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from phantomnet.api import convert
from phantomnet.api.deps import ApiState, ReadDbDep, StateDep, Viewer
from phantomnet.api.schemas import (
    Bucket,
    ComponentStatus,
    Items,
    Stats,
    TimelinePoint,
    TrafficItem,
    utc,
)
from phantomnet.storage import queries

router = APIRouter(tags=["overview"])

#: Stats are recomputed at most this often (they scan the window).
STATS_TTL_S = 5.0
#: Components publish a heartbeat this often (runtime.heartbeat); up = seen within 3 of them.
HEARTBEAT_INTERVAL_S = 10.0
DOWN_STATES = frozenset({"down", "stopping"})


@router.get("/api/stats", response_model=Stats, name="stats")
async def stats(
    _: Viewer,
    db: ReadDbDep,
    state: StateDep,
    hours: Annotated[int, Query(ge=1, le=720, description="Window in hours.")] = 24,
) -> Stats:
    """Totals, breakdowns and an hourly timeline over the last ``hours`` (cached 5 s)."""
    key = f"stats:{hours}"
    hit = state.cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        cached: Stats = hit[1]
        return cached
    now = datetime.now(UTC)
    since = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    rows = await queries.window_breakdown(db, since=since)
    result = _stats_from(rows, since=since, now=now)
    result.events_total = await queries.count_events(db)
    result.attackers_window = await queries.count_attackers(db, since=since)
    result.blocked_active = await queries.count_active_blocks(db, applied=True)
    result.blocked_unapplied = await queries.count_active_blocks(db, applied=False)
    histogram = await queries.score_histogram(db, since=since)
    result.score_histogram = [Bucket(bucket=b, count=histogram.get(b, 0)) for b in range(10)]
    state.cache[key] = (time.monotonic() + STATS_TTL_S, result)
    return result


def _hour_of(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    out = utc(value)
    assert out is not None
    return out


def _stats_from(rows: Sequence[Any], *, since: datetime, now: datetime) -> Stats:
    by_kind: Counter[str] = Counter()
    by_protocol: Counter[str] = Counter()
    levels: Counter[str] = Counter({"LOW": 0, "MEDIUM": 0, "HIGH": 0})
    events: Counter[datetime] = Counter()
    detections: Counter[datetime] = Counter()
    for hour, kind, protocol, level, n in rows:
        ts = _hour_of(hour)
        by_kind[kind] += n
        events[ts] += n
        if protocol:
            by_protocol[protocol] += n
        if level in levels:
            levels[level] += n
        if kind == "detection":
            detections[ts] += n
    hours = int((now - since).total_seconds() // 3600) + 1
    timeline = [
        TimelinePoint(ts=ts, events=events[ts], detections=detections[ts])
        for ts in (since + timedelta(hours=i) for i in range(hours))
    ]
    return Stats(
        events_total=0,
        events_window=sum(events.values()),
        attackers_window=0,
        detections_window=sum(detections.values()),
        blocked_active=0,
        blocked_unapplied=0,
        by_protocol=dict(by_protocol),
        by_kind=dict(by_kind),
        levels=dict(levels),
        score_histogram=[],
        timeline=timeline,
    )


@router.get("/api/honeypots/status", response_model=Items[ComponentStatus], name="status")
async def honeypots_status(_: Viewer, db: ReadDbDep, state: StateDep) -> Items[ComponentStatus]:
    """Every component seen by heartbeat (table ``sensor_status``) or running in-process."""
    now = datetime.now(UTC)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in await queries.sensor_states(db):
        entry = dict(row)
        entry["last_seen"] = row["last_seen_at"]
        merged[(row["node"], row["component"])] = entry
    for live in _live(state, now):
        key = (live["node"], live["component"])
        merged[key] = {**merged.get(key, {}), **live}
    items = [_component(entry, now) for _, entry in sorted(merged.items())]
    return Items(items=items)


def _live(state: ApiState, now: datetime) -> list[dict[str, Any]]:
    if state.status is None:
        return []
    out = []
    for raw in state.status():
        if not raw.get("component"):
            continue
        entry = {k: v for k, v in raw.items() if v is not None}
        entry.setdefault("node", state.settings.node)
        entry.setdefault("state", "up")
        entry["last_seen"] = now
        out.append(entry)
    return out


def _component(entry: Mapping[Any, Any], now: datetime) -> ComponentStatus:
    last_seen = utc(entry.get("last_seen"))
    fresh = last_seen is not None and (now - last_seen).total_seconds() <= 3 * HEARTBEAT_INTERVAL_S
    state = str(entry.get("state", "unknown"))
    return ComponentStatus(
        node=str(entry["node"]),
        component=str(entry["component"]),
        state=state,
        up=fresh and state not in DOWN_STATES,
        listen=None if entry.get("listen") is None else str(entry["listen"]),
        connections=_count(entry.get("connections")),
        events=_count(entry.get("events")),
        last_seen=last_seen,
        detail=str(entry.get("detail") or ""),
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


@router.get("/api/traffic", response_model=Items[TrafficItem], name="traffic")
async def traffic(
    _: Viewer, db: ReadDbDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> Items[TrafficItem]:
    """Recent ``packet_logs`` rows and ``network.flow`` events, newest first."""
    packets = [convert.packet_item(r) for r in await queries.recent_packets(db, limit=limit)]
    flows = [
        convert.flow_item(r)
        for r in await queries.latest_of_kind(db, kind="network.flow", limit=limit)
    ]
    merged = sorted(packets + flows, key=lambda i: i.timestamp, reverse=True)
    return Items(items=merged[:limit])
