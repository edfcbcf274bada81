"""``/api/events``: keyset-paginated, filtered event list; ``/api/events/{event_id}``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from phantomnet.api import params
from phantomnet.api.convert import event_item, event_page_json
from phantomnet.api.deps import ReadDbDep, SettingsDep, StateDep, Viewer
from phantomnet.api.schemas import EventItem, Facets, Page
from phantomnet.errors import InvalidInput, NotFound
from phantomnet.storage import queries

router = APIRouter(tags=["events"])

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (max 1000).")]
Cursor = Annotated[
    str | None,
    Query(max_length=params.MAX_CURSOR_CHARS, description="`next_cursor` of the previous page."),
]


def check_limit(limit: int, settings: SettingsDep) -> int:
    """Refuse a limit above the configured ``api.page_limit_max``."""
    if limit > settings.api.page_limit_max:
        raise InvalidInput(f"limit: at most {settings.api.page_limit_max}")
    return limit


@router.get("/api/events", response_model=Page[EventItem], name="list")
async def list_events(
    _: Viewer,
    db: ReadDbDep,
    settings: SettingsDep,
    kind: Annotated[str | None, Query(description="Comma list of event kinds.")] = None,
    exclude_kind: Annotated[
        str | None, Query(description="Comma list of event kinds to leave out.")
    ] = None,
    sensor: Annotated[str | None, Query(max_length=64, description="Component name.")] = None,
    src_ip: Annotated[str | None, Query(max_length=64)] = None,
    level: Annotated[str | None, Query(description="Comma list of LOW,MEDIUM,HIGH.")] = None,
    protocol: Annotated[str | None, Query(description="Comma list of protocols.")] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601, inclusive.")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601, exclusive.")] = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    """Events newest first; pass ``next_cursor`` back as ``cursor`` for older ones.

    Order: by id (arrival) without a time bound, by occurred_at with ``since``/``until``.

    The body is built directly from the stored JSON (the hot path of the dashboard); its
    shape is ``Page[EventItem]`` as documented.
    """
    lo, hi = params.time_range(since, until)
    where = queries.EventFilter(
        kinds=params.comma_list(kind, "kind", allowed=params.event_kinds()),
        exclude_kinds=params.comma_list(exclude_kind, "exclude_kind", allowed=params.event_kinds()),
        component=sensor or None,
        src_ip=params.ip_param(src_ip),
        levels=params.comma_list(level, "level", allowed=params.LEVELS, upper=True),
        protocols=params.comma_list(protocol, "protocol", max_len=32),
        since=lo,
        until=hi,
        session_id=params.uuid_param(session_id, "session_id"),
    )
    limit = check_limit(limit, settings)
    before = params.event_cursor(cursor, time_ordered=where.time_ordered)
    rows = await queries.list_events(db, where=where, before=before, limit=limit + 1)
    page = rows[:limit]
    cursor = None
    if len(rows) > limit:
        last = page[-1]
        cursor = params.event_cursor_after(
            last["id"], last["occurred_at"], time_ordered=where.time_ordered
        )
    return Response(event_page_json(page, cursor), media_type="application/json")


@router.get("/api/events/{event_id}", response_model=EventItem, name="get")
async def get_event(event_id: str, _: Viewer, db: ReadDbDep) -> EventItem:
    """One event by its ``event_id`` (UUID)."""
    uid = params.uuid_param(event_id, "event_id")
    row = await queries.get_event(db, event_id=uid) if uid else None
    if row is None:
        raise NotFound(f"no event {event_id[:64]!r}")
    return event_item(row)


#: Facets are recomputed at most this often.
FACETS_TTL_S = 30.0


@router.get("/api/facets", response_model=Facets, name="facets")
async def facets(_: Viewer, db: ReadDbDep, state: StateDep) -> Facets:
    """The stored values of the filterable columns (cached 30 s)."""
    hit = state.cache.get("facets")
    if hit is not None and hit[0] > time.monotonic():
        cached: Facets = hit[1]
        return cached
    known = params.event_kinds()
    kinds = await queries.distinct_values(db, table="event", column="kind")
    result = Facets(
        kinds=[k for k in kinds if k in known],
        protocols=await queries.counted_protocols(
            db, await queries.distinct_values(db, table="event", column="protocol")
        ),
        sensors=await queries.distinct_values(db, table="event", column="component"),
        rules=await queries.distinct_values(db, table="detection", column="rule"),
        severities=await queries.distinct_values(db, table="detection", column="severity"),
    )
    state.cache["facets"] = (time.monotonic() + FACETS_TTL_S, result)
    return result
