"""Response models of the spine routes (the shapes of API-CONTRACT.md).

Times are ISO-8601 UTC strings; SQLite hands back naive datetimes, which are UTC by
construction, so :func:`utc` makes every datetime aware before it is serialised.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


def utc(value: datetime | None) -> datetime | None:
    """Make a datetime aware (UTC) or pass ``None`` through."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Model, Generic[T]):
    """A keyset page: pass ``next_cursor`` back as ``cursor`` for the next (older) page."""

    items: list[T]
    next_cursor: str | None = None


class Items(Model, Generic[T]):
    items: list[T]


class GroupBacklog(Model):
    """A consumer group's backlog: ``pending`` read but not acknowledged, ``lag`` not read
    yet (None when the broker cannot tell, e.g. after trimming)."""

    pending: int
    lag: int | None = None


class ComponentHealthItem(Model):
    """One in-process component's real state (``plugins.ComponentHealth``)."""

    component: str
    state: str
    restarts: int
    failures: int
    failing_since: str | None = None
    last_error: str | None = None
    group: str | None = None
    backlog: GroupBacklog | None = None


class Health(Model):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "down"]
    bus: Literal["ok", "down"]
    version: str
    #: in-process components; any of them not ``up`` makes ``status`` ``degraded``
    components: list[ComponentHealthItem] = []


class Me(Model):
    role: Literal["admin", "viewer"]
    auth: Literal["on", "off"]


class Facets(Model):
    """Values the dashboard's filters offer: what is actually stored (event kinds limited
    to the catalogue), so no filter lists something nothing produces."""

    kinds: list[str]
    protocols: list[str]
    sensors: list[str]
    rules: list[str]
    severities: list[str]


class StreamTicket(Model):
    ticket: str
    expires_in_s: float


class EventItem(Model):
    id: int
    event_id: str
    kind: str
    occurred_at: datetime
    node: str
    component: str
    session_id: str | None
    src_ip: str | None
    src_port: int | None
    dst_ip: str | None
    dst_port: int | None
    protocol: str | None
    level: str | None
    score: float | None
    payload: dict[str, Any]


class Bucket(Model):
    bucket: int
    count: int


class TimelinePoint(Model):
    ts: datetime
    events: int
    detections: int


class Stats(Model):
    events_total: int
    events_window: int
    #: Rows of the Attackers page (``attacker``) last seen in the window.
    attackers_window: int
    detections_window: int
    #: Active blocks the firewall enforces (``applied``).
    blocked_active: int
    #: Active blocks only recorded: dry run, or the firewall refused (the reconciler retries).
    blocked_unapplied: int
    by_protocol: dict[str, int]
    by_kind: dict[str, int]
    levels: dict[str, int]
    score_histogram: list[Bucket]
    timeline: list[TimelinePoint]


class ComponentStatus(Model):
    node: str
    component: str
    state: str
    up: bool
    listen: str | None
    connections: int
    events: int
    last_seen: datetime | None
    detail: str


class TrafficItem(Model):
    """One entry of the traffic feed: a ``packet`` (packet_logs row) or a ``flow`` event."""

    type: Literal["packet", "flow"]
    id: int
    timestamp: datetime
    src_ip: str | None
    dst_ip: str | None
    src_port: int | None
    dst_port: int | None
    protocol: str | None
    length: int | None = None
    packets: int | None = None
    is_malicious: bool = False
    threat_score: float | None = None
    attack_type: str | None = None
    state: str | None = None


class DetectionItem(Model):
    id: int
    event_id: str
    rule: str
    severity: str
    detector: str
    protocol: str | None
    src_ip: str | None
    target_ip: str | None
    target_port: int | None
    first_seen_at: datetime
    last_seen_at: datetime
    count: int
    summary: str
    evidence: list[str]
    #: multi-path verification: true confirmed, false refuted, null not verified
    verified: bool | None = None
    verification_details: dict[str, Any] | None = None


class AttackerItem(Model):
    ip: str
    first_seen: datetime
    last_seen: datetime
    event_count: int
    detection_count: int
    max_score: float | None
    last_score: float | None
    last_level: str | None
    country: str | None
    country_code: str | None
    city: str | None
    asn: str | None
    latitude: float | None
    longitude: float | None
    protocols: list[str]


class SessionItem(Model):
    session_id: str
    component: str
    protocol: str
    node: str
    src_ip: str
    src_port: int | None
    dst_port: int | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    username: str | None
    authenticated: bool
    auth_attempts: int
    commands: int
    client_version: str | None
    recording: str | None
    has_recording: bool


class SessionDetail(Model):
    session: SessionItem
    events: list[EventItem]


class Credential(Model):
    protocol: str | None
    username: str | None
    password: str | None
    method: str | None
    accepted: bool | None
    at: datetime


class CommandItem(Model):
    session_id: str | None
    command: str | None
    at: datetime


class UploadItem(Model):
    protocol: str | None
    filename: str | None
    sha256: str | None
    size: int | None
    at: datetime


class Fingerprint(Model):
    method: str
    value: str
    count: int


class ScoreItem(Model):
    at: datetime
    score: float
    level: str
    decision: str


class BlockItem(Model):
    id: int
    target: str
    source: str
    reason: str
    created_at: datetime
    expires_at: datetime
    active: bool
    offence: int
    removed_at: datetime | None
    applied: bool
    backend: str | None


class AttackerProfile(Model):
    attacker: AttackerItem
    timeline: list[EventItem]
    credentials: list[Credential]
    commands: list[CommandItem]
    uploads: list[UploadItem]
    fingerprints: list[Fingerprint]
    sessions: list[SessionItem]
    detections: list[DetectionItem]
    scores: list[ScoreItem]
    block: BlockItem | None
