"""Database rows (mappings) to response models. Pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from phantomnet.api import schemas as s


def _utc(value: datetime | None) -> datetime:
    out = s.utc(value)
    return out if out is not None else datetime.fromtimestamp(0, UTC)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def event_item(row: Mapping[Any, Any]) -> s.EventItem:
    return s.EventItem(
        id=row["id"],
        event_id=str(row["event_id"]),
        kind=row["kind"],
        occurred_at=_utc(row["occurred_at"]),
        node=row["node"],
        component=row["component"],
        session_id=_str(row["session_id"]),
        src_ip=row["src_ip"],
        src_port=row["src_port"],
        dst_ip=row["dst_ip"],
        dst_port=row["dst_port"],
        protocol=row["protocol"],
        level=row["level"],
        score=row["score"],
        payload=row["payload"] or {},
    )


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _iso(value: datetime | None) -> str | None:
    out = s.utc(value)
    return None if out is None else out.isoformat().replace("+00:00", "Z")


def event_json(row: Mapping[Any, Any]) -> str:
    """The JSON of one EventItem from a row with ``payload_json`` (stored text, spliced in)."""
    envelope = {
        "id": row["id"],
        "event_id": str(row["event_id"]),
        "kind": row["kind"],
        "occurred_at": _iso(row["occurred_at"]),
        "node": row["node"],
        "component": row["component"],
        "session_id": _str(row["session_id"]),
        "src_ip": row["src_ip"],
        "src_port": row["src_port"],
        "dst_ip": row["dst_ip"],
        "dst_port": row["dst_port"],
        "protocol": row["protocol"],
        "level": row["level"],
        "score": row["score"],
    }
    head = _ENCODER.encode(envelope)
    return f'{head[:-1]},"payload":{row["payload_json"] or "{}"}}}'


def event_page_json(rows: Sequence[Mapping[Any, Any]], next_cursor: str | None) -> bytes:
    """A ``Page[EventItem]`` body built without decoding the stored payloads."""
    items = ",".join(event_json(r) for r in rows)
    return f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}'.encode()


def detection_item(row: Mapping[Any, Any]) -> s.DetectionItem:
    return s.DetectionItem(
        id=row["id"],
        event_id=str(row["event_id"]),
        rule=row["rule"],
        severity=row["severity"],
        detector=row["detector"],
        protocol=row["protocol"],
        src_ip=row["src_ip"],
        target_ip=row["target_ip"],
        target_port=row["target_port"],
        first_seen_at=_utc(row["first_seen_at"]),
        last_seen_at=_utc(row["last_seen_at"]),
        count=row["count"],
        summary=row["summary"],
        evidence=list(row["evidence"] or []),
        verified=row.get("verified"),
        verification_details=row.get("verification_details"),
    )


def attacker_item(row: Mapping[Any, Any]) -> s.AttackerItem:
    return s.AttackerItem(
        ip=row["ip"],
        first_seen=_utc(row["first_seen_at"]),
        last_seen=_utc(row["last_seen_at"]),
        event_count=row["event_count"] or 0,
        detection_count=row["detection_count"] or 0,
        max_score=row["max_score"],
        last_score=row["last_score"],
        last_level=row["last_level"],
        country=row["country"],
        country_code=row["country_code"],
        city=row["city"],
        asn=row["asn"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        protocols=list(row["protocols"] or []),
    )


def session_item(row: Mapping[Any, Any]) -> s.SessionItem:
    return s.SessionItem(
        session_id=str(row["session_id"]),
        component=row["component"],
        protocol=row["protocol"],
        node=row["node"],
        src_ip=row["src_ip"],
        src_port=row["src_port"],
        dst_port=row["dst_port"],
        started_at=_utc(row["started_at"]),
        ended_at=s.utc(row["ended_at"]),
        end_reason=row["end_reason"],
        username=row["username"],
        authenticated=bool(row["authenticated"]),
        auth_attempts=row["auth_attempts"] or 0,
        commands=row["commands"] or 0,
        client_version=row["client_version"],
        recording=row["recording"],
        has_recording=bool(row["recording"]),
    )


def block_item(row: Mapping[Any, Any]) -> s.BlockItem:
    return s.BlockItem(
        id=row["id"],
        target=row["target"],
        source=row["source"],
        reason=row["reason"],
        created_at=_utc(row["created_at"]),
        expires_at=_utc(row["expires_at"]),
        active=bool(row["active"]),
        offence=row["offence"] or 1,
        removed_at=s.utc(row["removed_at"]),
        applied=bool(row["applied"]),
        backend=row["backend"],
    )


def packet_item(row: Mapping[Any, Any]) -> s.TrafficItem:
    return s.TrafficItem(
        type="packet",
        id=row["id"],
        timestamp=_utc(row["timestamp"]),
        src_ip=row["src_ip"],
        dst_ip=row["dst_ip"],
        src_port=row["src_port"],
        dst_port=row["dst_port"],
        protocol=row["protocol"],
        length=row["length"],
        is_malicious=bool(row["is_malicious"]),
        threat_score=row["threat_score"],
        attack_type=row["attack_type"],
    )


def flow_item(row: Mapping[Any, Any]) -> s.TrafficItem:
    payload = row["payload"] or {}
    out_b, in_b = payload.get("bytes_out", 0), payload.get("bytes_in", 0)
    out_p, in_p = payload.get("packets_out", 0), payload.get("packets_in", 0)
    return s.TrafficItem(
        type="flow",
        id=row["id"],
        timestamp=_utc(row["occurred_at"]),
        src_ip=row["src_ip"],
        dst_ip=row["dst_ip"],
        src_port=row["src_port"],
        dst_port=row["dst_port"],
        protocol=row["protocol"] or payload.get("transport"),
        length=int(out_b) + int(in_b),
        packets=int(out_p) + int(in_p),
        is_malicious=row["level"] == "HIGH",
        threat_score=row["score"],
        state=payload.get("state") or None,
    )
