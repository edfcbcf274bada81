"""Pure mapping from events to table rows and per-batch aggregates (no I/O).

The writer stores every event in ``event`` and derives the tables the API reads often.
Everything here is deterministic over a list of events so it can be unit-tested without a
database; :mod:`phantomnet.storage.ingest` applies the results.

Rules, in one place:

* ``event.protocol``: the event's ``protocol`` field, else a flow's ``app``, else its
  ``transport``, else the emitting component.
* ``event.level``: a detection's severity (low→LOW, medium→MEDIUM, high/critical→HIGH), a
  score's level; ``event.score`` a score's value (subjects get theirs when the score lands).
* An *attacker* is a source that touched a sensor, triggered a detection or a honeytoken,
  or sent a packet the monitor flagged as suspicious. Scores update attackers already known.
* Text going to the database never contains NUL (PostgreSQL refuses it): it becomes ``\\x00``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    Event,
)

LEVEL_OF_SEVERITY = {"low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "HIGH"}

#: Column order of ``event`` rows (and of the PostgreSQL COPY staging table).
EVENT_COLUMNS = (
    "event_id", "kind", "occurred_at", "node", "component", "session_id", "src_ip",
    "src_port", "dst_ip", "dst_port", "community_id", "protocol", "level", "score", "payload",
)  # fmt: skip

SENSOR_KINDS = frozenset(
    {
        "connection.opened", "connection.closed", "auth.attempt", "command.input",
        "file.upload", "file.download", "http.request", "smtp.message", "db.query",
        "client.fingerprint", "honeytoken.triggered", "command.error", "session.request",
    }
)  # fmt: skip
SessionEvent = ConnectionOpened | ConnectionClosed | AuthAttempt | CommandInput
SESSION_TYPES = (ConnectionOpened, ConnectionClosed, AuthAttempt, CommandInput)


def utc(value: datetime) -> datetime:
    """The same instant in UTC; naive values (SQLite reads) are taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def clean(value: str | None) -> str | None:
    """Text safe for both databases: NUL escaped as ``\\x00``."""
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", "\\x00")


def _scrub(obj: Any) -> Any:
    if isinstance(obj, str):
        return clean(obj)
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    if isinstance(obj, dict):
        return {clean(k): _scrub(v) for k, v in obj.items()}
    return obj


def payload_json(event: Event) -> str:
    """The event's JSON as stored in ``event.payload`` (NUL-free)."""
    raw = event.model_dump_json()
    if "\\u0000" in raw:
        raw = json.dumps(_scrub(json.loads(raw)), ensure_ascii=False, separators=(",", ":"))
    return raw


_PROTOCOL_FIELDS: dict[type, tuple[str, ...]] = {}


def protocol_of(event: Event) -> str:
    """The ``event.protocol`` column (see module rules)."""
    names = _PROTOCOL_FIELDS.get(type(event))
    if names is None:
        fields = type(event).model_fields
        names = tuple(n for n in ("protocol", "app", "transport") if n in fields)
        _PROTOCOL_FIELDS[type(event)] = names
    for name in names:
        value = getattr(event, name)
        if value:
            return str(value)[:32]
    return event.sensor.component[:32]


def level_of(event: Event) -> tuple[str | None, float | None]:
    """``(level, score)`` columns of an event row."""
    if event.kind == "detection":
        return LEVEL_OF_SEVERITY[event.severity], None
    if event.kind == "score":
        return event.level, event.score
    return None, None


def event_record(event: Event) -> tuple[Any, ...]:
    """One ``event`` row in :data:`EVENT_COLUMNS` order (payload as JSON text)."""
    level, score = level_of(event)
    src, dst = event.src, event.dst
    return (
        event.event_id, event.kind, utc(event.occurred_at), clean(event.sensor.node),
        clean(event.sensor.component), event.session_id, src.ip if src else None,
        src.port if src else None, dst.ip if dst else None, dst.port if dst else None,
        event.community_id, protocol_of(event), level, score, payload_json(event),
    )  # fmt: skip


def dead_letter_row(event: Event, reason: str, at: datetime) -> dict[str, Any]:
    """A ``dead_letter`` row: the event as JSON (``repr`` if even that fails) and why."""
    try:
        payload = payload_json(event)
    except Exception:  # the very value that made the event unstorable may not serialise
        payload = clean(repr(event)) or ""
    return {
        "event_id": event.event_id, "kind": (clean(str(event.kind)) or "")[:64],
        "component": (clean(str(event.sensor.component)) or "")[:64],
        "reason": clean(reason) or "", "payload": payload, "dead_at": utc(at),
    }  # fmt: skip


def unique_events(events: Iterable[Event]) -> list[Event]:
    """Events in order with repeated ``event_id`` removed (first wins)."""
    seen: set[UUID] = set()
    out: list[Event] = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            out.append(event)
    return out


@dataclass
class SessionDelta:
    """What one batch changes in one ``attack_session`` row."""

    session_id: UUID
    component: str
    protocol: str
    node: str
    src_ip: str
    src_port: int | None
    dst_port: int | None
    started_at: datetime
    auth_attempts: int = 0
    commands: int = 0
    authenticated: bool = False
    username: str | None = None
    client_version: str | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    recording: str | None = None


def _session_apply(delta: SessionDelta, event: SessionEvent) -> None:
    at = utc(event.occurred_at)
    delta.started_at = min(delta.started_at, at)
    if event.kind == "connection.opened":
        delta.src_port = event.src.port if event.src else delta.src_port
        delta.dst_port = event.dst.port if event.dst else delta.dst_port
    elif event.kind == "auth.attempt":
        delta.auth_attempts += 1
        if event.accepted:
            delta.authenticated = True
            delta.username = clean(event.username)
        if event.client_version:
            delta.client_version = clean(event.client_version)
    elif event.kind == "command.input":
        delta.commands += 1
    elif event.kind == "connection.closed":
        delta.ended_at, delta.end_reason = at, event.reason
        delta.recording = event.recording or delta.recording


def session_deltas(events: Sequence[Event]) -> list[SessionDelta]:
    """Per-session changes of a batch, sorted by session id (stable lock order)."""
    deltas: dict[UUID, SessionDelta] = {}
    for event in events:
        if not isinstance(event, SESSION_TYPES) or event.session_id is None or event.src is None:
            continue
        delta = deltas.get(event.session_id)
        if delta is None:
            delta = SessionDelta(
                event.session_id, clean(event.sensor.component) or "", event.protocol,
                clean(event.sensor.node) or "", event.src.ip,
                event.src.port, event.dst.port if event.dst else None, utc(event.occurred_at),
            )  # fmt: skip
            deltas[event.session_id] = delta
        _session_apply(delta, event)
    return [deltas[k] for k in sorted(deltas, key=str)]


@dataclass
class AttackerDelta:
    """What one batch changes in one ``attacker`` row."""

    ip: str
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    events: int = 0
    detections: int = 0
    protocols: set[str] = field(default_factory=set)
    last_score: float | None = None
    last_score_at: datetime | None = None
    last_level: str | None = None
    max_score: float | None = None

    @property
    def creates(self) -> bool:
        """Whether the batch shows activity (not only scores) from this address."""
        return self.events > 0


def _is_attack(event: Event) -> bool:
    if event.kind in SENSOR_KINDS or event.kind == "detection":
        return True
    return event.kind == "network.packet" and event.suspicious


def _attacker_apply(delta: AttackerDelta, event: Event) -> None:
    at = utc(event.occurred_at)
    if event.kind == "score":
        if delta.last_score_at is None or at >= delta.last_score_at:
            delta.last_score, delta.last_level, delta.last_score_at = event.score, event.level, at
        delta.max_score = max(delta.max_score or 0.0, event.score)
        return
    delta.events += 1
    delta.first_seen_at = min(delta.first_seen_at or at, at)
    delta.last_seen_at = max(delta.last_seen_at or at, at)
    if event.kind == "detection":
        delta.detections += 1
    delta.protocols.add(protocol_of(event))


def attacker_deltas(events: Sequence[Event]) -> list[AttackerDelta]:
    """Per-address changes of a batch, sorted by address (stable lock order)."""
    deltas: dict[str, AttackerDelta] = {}
    for event in events:
        if event.src is None or not (event.kind == "score" or _is_attack(event)):
            continue
        delta = deltas.setdefault(event.src.ip, AttackerDelta(event.src.ip))
        _attacker_apply(delta, event)
    return [deltas[k] for k in sorted(deltas)]


def attacker_increment(row: dict[str, Any], delta: AttackerDelta) -> dict[str, Any]:
    """Upsert values for a known address: counts are increments, times and scores merge
    in SQL; ``protocols`` is the union with what was read (exact on SQLite's one writer,
    merged again in SQL on PostgreSQL). Geo columns are never rewritten."""
    first = delta.first_seen_at or utc(row["first_seen_at"])
    last = delta.last_seen_at or utc(row["last_seen_at"])
    return {
        "ip": delta.ip, "first_seen_at": first, "last_seen_at": last,
        "event_count": delta.events, "detection_count": delta.detections,
        "protocols": sorted(set(row["protocols"] or ()) | delta.protocols),
        "last_score": delta.last_score, "last_level": delta.last_level,
        "max_score": delta.max_score, **dict.fromkeys(GEO_LIMITS),
    }  # fmt: skip


def new_attacker(delta: AttackerDelta, geo: dict[str, Any]) -> dict[str, Any]:
    """A fresh ``attacker`` row for ``delta`` with geo columns from the enricher."""
    return {
        "ip": delta.ip,
        "first_seen_at": delta.first_seen_at,
        "last_seen_at": delta.last_seen_at,
        "event_count": delta.events,
        "detection_count": delta.detections,
        "protocols": sorted(delta.protocols),
        "last_score": delta.last_score,
        "last_level": delta.last_level,
        "max_score": delta.max_score,
        **geo_columns(geo),
    }


#: Geo keys the enricher may return and the width of their column (None: a float).
GEO_LIMITS: dict[str, int | None] = {
    "country": 64, "country_code": 2, "city": 128, "asn": 128, "latitude": None,
    "longitude": None,
}  # fmt: skip


def geo_columns(geo: dict[str, Any]) -> dict[str, Any]:
    """The enricher's answer cut to the ``attacker`` geo columns (bad values become None)."""
    out: dict[str, Any] = {}
    for key, width in GEO_LIMITS.items():
        value = geo.get(key)
        if width is None:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            out[key] = float(value) if ok else None  # type: ignore[arg-type]
        else:
            out[key] = clean(str(value))[:width] if value not in (None, "") else None  # type: ignore[index]
    return out


def _ip(endpoint: Any) -> str | None:
    return endpoint.ip if endpoint is not None else None


def _port(endpoint: Any) -> int | None:
    return endpoint.port if endpoint is not None else None


def detection_row(e: Any) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "rule": e.rule, "severity": e.severity,
        "detector": clean(e.detector), "protocol": e.protocol, "src_ip": _ip(e.src),
        "target_ip": _ip(e.target), "target_port": _port(e.target),
        "first_seen_at": utc(e.first_seen), "last_seen_at": utc(e.last_seen), "count": e.count,
        "summary": clean(e.summary), "evidence": [clean(x) for x in e.evidence],
    }  # fmt: skip


def score_row(e: Any) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "subject_event_id": e.subject_event_id,
        "subject_kind": e.subject_kind, "src_ip": _ip(e.src), "scored_at": utc(e.occurred_at),
        "score": e.score, "level": e.level, "decision": e.decision,
        "confidence": e.confidence, "model_version": clean(e.model_version),
    }  # fmt: skip


def packet_row(e: Any) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "timestamp": utc(e.occurred_at), "src_ip": _ip(e.src) or "",
        "dst_ip": _ip(e.dst) or "", "protocol": e.transport, "length": e.length,
        "is_malicious": e.suspicious, "threat_score": None, "attack_type": clean(e.attack_type),
        "src_port": _port(e.src), "dst_port": _port(e.dst),
    }  # fmt: skip


def stats_row(e: Any) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "timestamp": utc(e.occurred_at),
        "total_packets": e.total_packets, "malicious_packets": e.malicious_packets,
        "total_bytes": e.total_bytes, "window_seconds": e.window_s, "node": clean(e.sensor.node),
    }  # fmt: skip


def verification_row(e: Any) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "checked_at": utc(e.occurred_at), "target": clean(e.target),
        "method": e.method, "outcome": e.outcome, "detail": clean(e.detail),
        "subject_event_id": e.subject_event_id, "rule": e.rule,
        "attack_detected": e.attack_detected, "confidence": e.confidence,
        "paths_checked": e.paths_checked, "paths_agreed": e.paths_agreed,
        "compromised_paths": [clean(p) for p in e.compromised_paths],
        "verified_data_hash": e.verified_data_hash,
    }  # fmt: skip


#: a verification's outcome -> the detection's ``verified`` column
VERIFIED_OF_OUTCOME: dict[str, bool | None] = {
    "confirmed": True, "refuted": False, "inconclusive": None,
}  # fmt: skip


def verification_mark(e: Any) -> dict[str, Any]:
    """What a verification writes on its detection: ``verified`` and ``verification_details``."""
    return {
        "verified": VERIFIED_OF_OUTCOME[e.outcome],
        "verification_details": {
            "outcome": e.outcome, "method": e.method, "target": clean(e.target),
            "confidence": e.confidence, "attack_detected": e.attack_detected,
            "paths_checked": e.paths_checked, "paths_agreed": e.paths_agreed,
            "compromised_paths": [clean(p) for p in e.compromised_paths],
            "verified_data_hash": e.verified_data_hash,
            "result_event_id": str(e.event_id), "checked_at": utc(e.occurred_at).isoformat(),
        },
    }  # fmt: skip


def stored_mark(row: Any) -> dict[str, Any]:
    """:func:`verification_mark` from a stored ``verification_result`` row."""
    return {
        "verified": VERIFIED_OF_OUTCOME.get(row["outcome"]),
        "verification_details": {
            "outcome": row["outcome"], "method": row["method"], "target": row["target"],
            "confidence": row["confidence"], "attack_detected": row["attack_detected"],
            "paths_checked": row["paths_checked"], "paths_agreed": row["paths_agreed"],
            "compromised_paths": list(row["compromised_paths"] or []),
            "verified_data_hash": row["verified_data_hash"],
            "result_event_id": str(row["event_id"]),
            "checked_at": utc(row["checked_at"]).isoformat(),
        },
    }  # fmt: skip


def status_row(e: Any) -> dict[str, Any]:
    return {
        "node": clean(e.sensor.node), "component": clean(e.sensor.component),
        "state": e.state, "listen": clean(e.listen), "connections": e.connections,
        "events": e.events, "detail": clean(e.detail), "last_seen_at": utc(e.occurred_at),
    }  # fmt: skip
