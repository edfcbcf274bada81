"""Helpers shared by the API integration tests (import as ``api_helpers``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI
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
from phantomnet.storage.ingest import insert_events

NOW = datetime.now(UTC).replace(microsecond=0)


async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 (port 0); yield its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def store(engine: AsyncEngine, events: Iterable[Event]) -> None:
    """Store events the way the storage writer does (its own insert path)."""
    async with engine.begin() as conn:
        await insert_events(conn, list(events))


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
            level=("LOW", "MEDIUM", "HIGH")[i // 6 % 3],
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
