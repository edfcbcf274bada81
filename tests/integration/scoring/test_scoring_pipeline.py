"""The whole path as the runtime composes it: lab flows -> bus -> scoring service -> score
events -> storage writer (with the geolocator as enrich) -> database -> analysis API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_scoring_service_lab import lab_flows
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import AuthAttempt, Endpoint, Event, NetworkFlow, SensorRef
from phantomnet.intel.geo import enricher
from phantomnet.scoring.service import build_scoring
from phantomnet.settings import Settings
from phantomnet.storage.tables import Attacker, ScoreRow
from phantomnet.storage.writer import StorageWriter

pytestmark = pytest.mark.integration


def ending_now(flows: Sequence[Event]) -> list[Event]:
    """The capture's flows moved in time, by one offset, so the last one ends now.

    The trends API counts the last N UTC days before now and the score events are stamped
    now, so a capture replayed at its own dates (2026-11-21) falls outside the window on
    any later day. One offset for every timestamp keeps the capture's own timing."""
    last = max(f.ended_at for f in flows if isinstance(f, NetworkFlow))
    shift = datetime.now(UTC) - last
    moved: list[Event] = []
    for f in flows:
        update = {"occurred_at": f.occurred_at + shift}
        if isinstance(f, NetworkFlow):
            update |= {"started_at": f.started_at + shift, "ended_at": f.ended_at + shift}
        moved.append(f.model_copy(update=update))
    return moved


async def test_scan_flows_end_as_a_stored_block(
    tmp_path: Path, clean_env: None, scoring_engine: AsyncEngine, scoring_app: FastAPI
) -> None:
    settings = Settings(data_dir=tmp_path / "d", node="it")
    bus = MemoryBus(queue_size=100_000)
    writer = StorageWriter(
        bus, scoring_engine, batch_size=500, flush_interval_s=0.05, enrich=enricher(settings)
    )
    [scoring] = build_scoring(settings, bus)
    await writer.start()
    await scoring.start()
    tasks = [asyncio.create_task(c.run()) for c in (writer, scoring)]
    flows = ending_now(lab_flows("nmap_connect-r1", tmp_path))
    # A honeypot login attempt makes the lab attacker an ``attacker`` row (flows alone do not).
    login = AuthAttempt(
        sensor=SensorRef(node="it", component="ssh"),
        protocol="ssh",
        src=Endpoint(ip="10.231.0.2", port=40000),
        dst=Endpoint(ip="10.231.0.1", port=22),
        username="root",
        accepted=False,
    )
    try:
        await bus.publish(login)
        assert await until(lambda: writer.stored > 0)
        await bus.publish_many(flows)
        rows: list[Any] = []

        async def blocked() -> bool:
            nonlocal rows
            async with scoring_engine.connect() as conn:
                rows = (await conn.execute(select(ScoreRow.decision))).all()
            return any(r[0] == "BLOCK" for r in rows)

        await until(blocked)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert any(r[0] == "BLOCK" for r in rows)
    async with scoring_engine.connect() as conn:
        attacker = (await conn.execute(select(Attacker).where(Attacker.ip == "10.231.0.2"))).one()
    assert attacker.max_score >= 85 and attacker.last_level == "HIGH"
    assert attacker.country == "Private network"  # enriched by the geolocator
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scoring_app), base_url="http://api.test"
    ) as client:
        trends = (await client.get("/api/v1/analytics/trends?days=7")).json()
    # Summed over the window: a run that crosses midnight UTC splits the events over two days.
    assert sum(day["high"] for day in trends["series"]) >= 1
    assert sum(day["events"] for day in trends["series"]) >= len(flows)
    async with scoring_engine.connect() as conn:
        blocked = (
            (await conn.execute(select(ScoreRow.src_ip).where(ScoreRow.decision == "BLOCK")))
            .scalars()
            .all()
        )
    assert set(blocked) == {"10.231.0.2"}
