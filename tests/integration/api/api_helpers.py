"""Helpers shared by the API integration tests (import as ``api_helpers``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    ConnectionOpened,
    Detection,
    Endpoint,
    Event,
    NetworkFlow,
    Score,
    SensorRef,
)
from phantomnet.storage.tables import EventRow

NOW = datetime.now(UTC).replace(microsecond=0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event_row(event: Event) -> dict[str, Any]:
    """The ``event`` row the storage writer makes of an event (envelope columns + JSON)."""
    payload = event.model_dump(mode="json")
    level = payload.get("level")
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "node": event.sensor.node,
        "component": event.sensor.component,
        "session_id": event.session_id,
        "src_ip": event.src.ip if event.src else None,
        "src_port": event.src.port if event.src else None,
        "dst_ip": event.dst.ip if event.dst else None,
        "dst_port": event.dst.port if event.dst else None,
        "community_id": event.community_id,
        "protocol": payload.get("protocol") or payload.get("transport"),
        "level": level,
        "score": payload.get("score"),
        "payload": payload,
    }


async def store(engine: AsyncEngine, events: Iterable[Event]) -> None:
    rows = [event_row(e) for e in events]
    async with engine.begin() as conn:
        await conn.execute(insert(EventRow), rows)


def sample_events(n: int = 30, *, start: datetime | None = None) -> list[Event]:
    """``n`` events from 3 sources across kinds, one minute apart, oldest first."""
    t0 = (start or NOW) - timedelta(minutes=n)
    ssh = SensorRef(node="test-node", component="ssh")
    out: list[Event] = []
    session = uuid.uuid4()
    for i in range(n):
        src = Endpoint(ip=f"203.0.113.{i % 3 + 1}", port=40000 + i)
        dst = Endpoint(ip="127.0.0.1", port=2222)
        common: dict[str, Any] = {
            "sensor": ssh,
            "src": src,
            "dst": dst,
            "occurred_at": t0 + timedelta(minutes=i),
        }
        out.append(_event(i, common, session))
    return out


def _event(i: int, common: dict[str, Any], session: uuid.UUID) -> Event:
    kinds: Sequence[Any] = (
        lambda: ConnectionOpened(protocol="ssh", session_id=session, **common),
        lambda: AuthAttempt(
            protocol="ssh",
            username=f"root{i}",
            password="123456",
            accepted=False,
            session_id=session,
            **common,
        ),
        lambda: CommandInput(protocol="ssh", command="uname -a", session_id=session, **common),
        lambda: Score(
            subject_kind="auth.attempt",
            score=float(i * 3 % 101),
            level=("LOW", "MEDIUM", "HIGH")[i % 3],
            decision="ALERT",
            confidence=0.9,
            model_version="t",
            **common,
        ),
        lambda: Detection(
            rule="brute_force",
            severity="high",
            protocol="ssh",
            first_seen=common["occurred_at"],
            last_seen=common["occurred_at"],
            count=5,
            summary="5 failed logins",
            detector="brute_force",
            **common,
        ),
        lambda: NetworkFlow(
            transport="tcp",
            started_at=common["occurred_at"],
            ended_at=common["occurred_at"],
            packets_out=3,
            packets_in=2,
            bytes_out=300,
            bytes_in=200,
            **common,
        ),
    )
    made: Event = kinds[i % len(kinds)]()
    return made
