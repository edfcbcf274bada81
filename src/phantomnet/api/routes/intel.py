"""``/api/detections``, ``/api/attackers`` and the attacker profile ``/api/attackers/{ip}``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from phantomnet.api import convert, params
from phantomnet.api import schemas as s
from phantomnet.api.deps import ReadDbDep, SettingsDep, Viewer
from phantomnet.api.routes.events import Cursor, Limit, check_limit
from phantomnet.errors import NotFound
from phantomnet.storage import queries

router = APIRouter(tags=["intel"])

TIMELINE_LIMIT = 500
DETAIL_KINDS = ("auth.attempt", "command.input", "file.upload", "client.fingerprint")
DETAIL_LIMIT = 2000
RELATED_LIMIT = 100


@router.get("/api/detections", response_model=s.Page[s.DetectionItem], name="detections")
async def detections(
    _: Viewer,
    db: ReadDbDep,
    settings: SettingsDep,
    rule: Annotated[str | None, Query(description="Comma list of rule names.")] = None,
    severity: Annotated[str | None, Query(description="Comma list of severities.")] = None,
    src_ip: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> s.Page[s.DetectionItem]:
    """Detections newest first, keyset-paginated like ``/api/events``."""
    limit = check_limit(limit, settings)
    rows = await queries.list_detections(
        db,
        rules=params.comma_list(rule, "rule"),
        severities=params.comma_list(severity, "severity", allowed=params.SEVERITIES),
        src_ip=params.ip_param(src_ip),
        before_id=params.id_cursor(cursor),
        limit=limit + 1,
    )
    items = [convert.detection_item(r) for r in rows[:limit]]
    more = len(rows) > limit
    return s.Page(items=items, next_cursor=params.encode_cursor(items[-1].id) if more else None)


@router.get("/api/attackers", response_model=s.Items[s.AttackerItem], name="attackers")
async def attackers(
    _: Viewer,
    db: ReadDbDep,
    sort: Literal["last_seen", "event_count", "max_score"] = "last_seen",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> s.Items[s.AttackerItem]:
    """Attacker profiles, largest ``sort`` first."""
    rows = await queries.list_attackers(db, sort=sort, limit=limit)
    return s.Items(items=[convert.attacker_item(r) for r in rows])


@router.get("/api/attackers/{ip}", response_model=s.AttackerProfile, name="attacker")
async def attacker(ip: str, _: Viewer, db: ReadDbDep) -> s.AttackerProfile:
    """Everything known about one source address."""
    addr = params.ip_param(ip, "ip")
    assert addr is not None
    row = await queries.get_attacker(db, ip=addr)
    timeline = [
        convert.event_item(r)
        for r in await queries.events_of_source(db, src_ip=addr, kinds=None, limit=TIMELINE_LIMIT)
    ]
    if row is None and not timeline:
        raise NotFound(f"nothing is known about {addr}")
    details = await queries.events_of_source(
        db, src_ip=addr, kinds=DETAIL_KINDS, limit=DETAIL_LIMIT
    )
    by_kind: dict[str, list[s.EventItem]] = {k: [] for k in DETAIL_KINDS}
    for r in details:
        by_kind[r["kind"]].append(convert.event_item(r))
    return s.AttackerProfile(
        attacker=convert.attacker_item(row) if row is not None else _synthesised(addr, timeline),
        timeline=timeline,
        credentials=[_credential(e) for e in by_kind["auth.attempt"][:TIMELINE_LIMIT]],
        commands=[_command(e) for e in by_kind["command.input"][:TIMELINE_LIMIT]],
        uploads=[_upload(e) for e in by_kind["file.upload"][:TIMELINE_LIMIT]],
        fingerprints=_fingerprints(by_kind["client.fingerprint"]),
        sessions=[
            convert.session_item(r)
            for r in await queries.list_sessions(db, src_ip=addr, before=None, limit=RELATED_LIMIT)
        ],
        detections=[
            convert.detection_item(r)
            for r in await queries.list_detections(
                db, rules=None, severities=None, src_ip=addr, before_id=None, limit=RELATED_LIMIT
            )
        ],
        scores=[
            _score(r) for r in await queries.scores_of_source(db, src_ip=addr, limit=TIMELINE_LIMIT)
        ],
        block=await _block(db, addr),
    )


def _synthesised(ip: str, timeline: Sequence[s.EventItem]) -> s.AttackerItem:
    """A profile from the latest events when the writer has not profiled ``ip`` yet."""
    times = [e.occurred_at for e in timeline]
    return s.AttackerItem(
        ip=ip,
        first_seen=min(times),
        last_seen=max(times),
        event_count=len(timeline),
        detection_count=sum(e.kind == "detection" for e in timeline),
        max_score=max((e.score for e in timeline if e.score is not None), default=None),
        last_score=None,
        last_level=None,
        country=None,
        country_code=None,
        city=None,
        asn=None,
        latitude=None,
        longitude=None,
        protocols=sorted({e.protocol for e in timeline if e.protocol}),
    )


def _get(e: s.EventItem, key: str) -> Any:
    return e.payload.get(key)


def _credential(e: s.EventItem) -> s.Credential:
    return s.Credential(
        protocol=e.protocol or _get(e, "protocol"),
        username=_get(e, "username"),
        password=_get(e, "password"),
        method=_get(e, "method"),
        accepted=_get(e, "accepted"),
        at=e.occurred_at,
    )


def _command(e: s.EventItem) -> s.CommandItem:
    return s.CommandItem(session_id=e.session_id, command=_get(e, "command"), at=e.occurred_at)


def _upload(e: s.EventItem) -> s.UploadItem:
    return s.UploadItem(
        protocol=e.protocol or _get(e, "protocol"),
        filename=_get(e, "filename"),
        sha256=_get(e, "sha256"),
        size=_get(e, "size"),
        at=e.occurred_at,
    )


def _fingerprints(events: Sequence[s.EventItem]) -> list[s.Fingerprint]:
    counts = Counter((str(_get(e, "method")), str(_get(e, "value"))) for e in events)
    return [s.Fingerprint(method=m, value=v, count=n) for (m, v), n in counts.most_common()]


def _score(row: Mapping[Any, Any]) -> s.ScoreItem:
    at = s.utc(row["scored_at"])
    assert at is not None
    return s.ScoreItem(at=at, score=row["score"], level=row["level"], decision=row["decision"])


async def _block(db: AsyncSession, ip: str) -> s.BlockItem | None:
    """The newest block of ``ip`` (the ``block`` row records backend and applied)."""
    row = await queries.latest_block(db, target=ip)
    return None if row is None else convert.block_item(row)
