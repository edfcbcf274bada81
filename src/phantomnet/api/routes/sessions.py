"""``/api/sessions``, ``/api/sessions/{session_id}`` and its asciicast recording."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from phantomnet.api import convert, params
from phantomnet.api import schemas as s
from phantomnet.api.deps import ReadDbDep, SettingsDep, Viewer
from phantomnet.api.routes.events import Cursor, Limit, check_limit
from phantomnet.errors import NotFound
from phantomnet.storage import queries

router = APIRouter(tags=["sessions"])

SESSION_EVENTS_LIMIT = 1000
ASCIICAST = "application/x-asciicast"


@router.get("/api/sessions", response_model=s.Page[s.SessionItem], name="list")
async def list_sessions(
    _: Viewer,
    db: ReadDbDep,
    settings: SettingsDep,
    src_ip: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> s.Page[s.SessionItem]:
    """Sessions newest first (keyset on start time)."""
    limit = check_limit(limit, settings)
    rows = await queries.list_sessions(
        db,
        src_ip=params.ip_param(src_ip),
        before=params.time_uuid_cursor(cursor),
        limit=limit + 1,
    )
    items = [convert.session_item(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = params.encode_cursor(last.started_at.isoformat(), last.session_id)
    return s.Page(items=items, next_cursor=next_cursor)


@router.get("/api/sessions/{session_id}", response_model=s.SessionDetail, name="get")
async def get_session(session_id: str, _: Viewer, db: ReadDbDep) -> s.SessionDetail:
    """One session and its events in order."""
    uid = params.uuid_param(session_id, "session_id")
    row = await queries.get_session(db, session_id=uid) if uid else None
    if row is None or uid is None:
        raise NotFound(f"no session {session_id[:64]!r}")
    events = await queries.events_of_session(db, session_id=uid, limit=SESSION_EVENTS_LIMIT)
    return s.SessionDetail(
        session=convert.session_item(row), events=[convert.event_item(e) for e in events]
    )


def confined(data_dir: Path, relative: str) -> Path | None:
    """``data_dir/relative`` if it is a file inside ``data_dir`` (symlinks resolved)."""
    base = data_dir.resolve()
    try:
        path = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


@router.get(
    "/api/sessions/{session_id}/recording",
    name="recording",
    response_class=FileResponse,
    responses={200: {"content": {ASCIICAST: {}}, "description": "asciicast v2 file"}},
)
async def recording(
    session_id: str, _: Viewer, db: ReadDbDep, settings: SettingsDep
) -> FileResponse:
    """The session's terminal recording (asciicast v2), from the data directory."""
    uid = params.uuid_param(session_id, "session_id")
    row = await queries.get_session(db, session_id=uid) if uid else None
    if row is None or not row["recording"]:
        raise NotFound(f"no recording for session {session_id[:64]!r}")
    path = confined(settings.data_dir, row["recording"])
    if path is None:
        raise NotFound(f"the recording of session {session_id[:64]!r} is missing")
    return FileResponse(path, media_type=ASCIICAST, filename=f"{uid}.cast")
