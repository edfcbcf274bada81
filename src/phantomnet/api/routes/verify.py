"""Multi-path verification: ask now, see the paths' health, list stored results.

* ``POST /api/v1/verify`` body ``{url, num_paths, timeout}`` (the seed's; ``url`` may be a
  bare NAME) -> the combined verdict; admin (it sends traffic from every path). The result is
  published as ``verification.result`` (the storage writer stores it).
* ``GET /api/v1/verify/paths`` -> each path's health, last latency and last error.
* ``GET /api/v1/verify/results`` -> ``verification_result`` rows, newest first, keyset.

Bad input (unknown domain: 404; IDN, too long, credentials in the URL, other schemes: 422)
is a problem response. No verifier configured (``[[verify.paths]]``): 503.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from phantomnet.api import params
from phantomnet.api.deps import Admin, ReadDbDep, SettingsDep, StateDep, VerifierDep, Viewer
from phantomnet.api.routes.events import Cursor, Limit, check_limit
from phantomnet.api.schemas import Items, Model, Page, utc
from phantomnet.storage import queries
from phantomnet.verify.verifier import report_event

router = APIRouter(tags=["verify"])

Outcome = Literal["confirmed", "refuted", "inconclusive"]
Confidence = Literal["HIGH", "MEDIUM", "LOW"]


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="http(s) URL or host name")
    num_paths: int | None = Field(default=None, ge=2, le=64, description="paths per kind")
    timeout: float | None = Field(default=None, gt=0, le=300, description="seconds per question")


class VerifyOut(Model):
    url: str
    attack_detected: bool
    confidence: Confidence
    attack_type: str
    outcome: Outcome
    compromised_paths: list[str]
    verified: bool
    verified_ip: str | None
    verified_data_hash: str | None
    #: each question's verdict (``dns``, ``http``) with every path's answer
    checks: list[dict[str, Any]]
    #: the ``verification.result`` event published (None: this API process has no bus)
    result_event_id: str | None = None


class PathStatus(Model):
    name: str
    kind: str
    labels: dict[str, str]
    state: Literal["unknown", "ok", "failing"]
    last_latency_ms: float | None
    last_error: str | None
    last_checked_at: datetime | None
    answered: int
    failed: int


class VerificationItem(Model):
    id: int
    event_id: str
    checked_at: datetime
    target: str
    method: str
    outcome: Outcome
    subject_event_id: str | None
    rule: str | None
    attack_detected: bool | None
    confidence: Confidence | None
    paths_checked: int | None
    paths_agreed: int | None
    compromised_paths: list[str]
    verified_data_hash: str | None
    detail: str


@router.post(
    "/api/v1/verify",
    response_model=VerifyOut,
    name="verify",
    responses={
        404: {
            "description": "Unknown domain (every path agrees it has no address)",
            "content": {"application/problem+json": {}},
        }
    },
)
async def verify(body: VerifyIn, _: Admin, verifier: VerifierDep, state: StateDep) -> VerifyOut:
    """Ask every path (at most ``num_paths`` of each kind) and vote; see the module doc."""
    report, verdicts = await verifier.verify(body.url, limit=body.num_paths, timeout_s=body.timeout)
    out = VerifyOut.model_validate(report)
    if state.bus is not None and verdicts:
        event = report_event(report, verdicts, state.settings.node)
        await state.bus.publish(event)
        out.result_event_id = str(event.event_id)
    return out


@router.get("/api/v1/verify/paths", response_model=Items[PathStatus], name="paths")
async def paths(_: Viewer, verifier: VerifierDep) -> Items[PathStatus]:
    """Every configured path: its health as last seen, last latency and last error."""
    return Items(items=[PathStatus.model_validate(p) for p in verifier.paths_status()])


def _item(row: Any) -> VerificationItem:
    checked = utc(row["checked_at"])
    assert checked is not None
    return VerificationItem(
        id=row["id"],
        event_id=str(row["event_id"]),
        checked_at=checked,
        target=row["target"],
        method=row["method"],
        outcome=row["outcome"],
        subject_event_id=str(row["subject_event_id"]) if row["subject_event_id"] else None,
        rule=row["rule"],
        attack_detected=row["attack_detected"],
        confidence=row["confidence"],
        paths_checked=row["paths_checked"],
        paths_agreed=row["paths_agreed"],
        compromised_paths=list(row["compromised_paths"] or []),
        verified_data_hash=row["verified_data_hash"],
        detail=row["detail"],
    )


@router.get("/api/v1/verify/results", response_model=Page[VerificationItem], name="results")
async def results(
    _: Viewer,
    db: ReadDbDep,
    settings: SettingsDep,
    outcome: Annotated[
        str | None, Query(description="Comma list of confirmed,refuted,inconclusive.")
    ] = None,
    subject_event_id: Annotated[
        str | None, Query(max_length=64, description="The detection's event id.")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[VerificationItem]:
    """Stored verification results newest first, keyset-paginated like ``/api/detections``."""
    limit = check_limit(limit, settings)
    rows = await queries.list_verifications(
        db,
        outcomes=params.comma_list(
            outcome, "outcome", allowed=frozenset({"confirmed", "refuted", "inconclusive"})
        ),
        subject_event_id=params.uuid_param(subject_event_id, "subject_event_id"),
        before_id=params.id_cursor(cursor),
        limit=limit + 1,
    )
    items = [_item(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=params.encode_cursor(items[-1].id) if more else None)
