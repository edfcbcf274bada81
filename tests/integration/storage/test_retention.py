"""Retention purge on SQLite and PostgreSQL: old rows go in batches, the rest stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.errors import InvalidInput
from phantomnet.storage.retention import RULES, RetentionJob, purge
from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
    Block,
    DetectionRow,
    EventRow,
    PacketLog,
    ScoreRow,
    TrafficStats,
    VerificationRow,
)
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NOW = datetime.now(UTC)
OLD, NEW = NOW - timedelta(days=40), NOW - timedelta(days=1)


def _event(at: datetime) -> dict[str, Any]:
    return {"event_id": uuid.uuid4(), "kind": "command.input", "occurred_at": at,
            "node": "n", "component": "ssh", "payload": {"k": 1}}  # fmt: skip


def _session(start: datetime, end: datetime | None) -> dict[str, Any]:
    return {"session_id": uuid.uuid4(), "component": "ssh", "protocol": "ssh", "node": "n",
            "src_ip": "192.0.2.1", "started_at": start, "ended_at": end,
            "authenticated": False, "auth_attempts": 0, "commands": 0}  # fmt: skip


def _rows_for(at: datetime) -> dict[Any, dict[str, Any]]:
    eid = uuid.uuid4
    return {
        PacketLog: {"timestamp": at, "src_ip": "192.0.2.1", "dst_ip": "127.0.0.1",
                    "protocol": "tcp", "length": 60, "is_malicious": False, "event_id": eid()},
        TrafficStats: {"timestamp": at, "total_packets": 1, "malicious_packets": 0,
                       "event_id": eid()},
        ScoreRow: {"event_id": eid(), "subject_kind": "x", "scored_at": at, "score": 1.0,
                   "level": "LOW", "decision": "ALLOW", "confidence": 1.0, "model_version": "m"},
        DetectionRow: {"event_id": eid(), "rule": "port_scan", "severity": "low", "detector": "d",
                       "first_seen_at": at, "last_seen_at": at, "count": 1, "summary": "s",
                       "evidence": []},
        VerificationRow: {"event_id": eid(), "checked_at": at, "target": "t", "method": "m",
                          "outcome": "confirmed", "detail": ""},
    }  # fmt: skip


def _block(created: datetime, active: bool) -> dict[str, Any]:
    return {"target": "192.0.2.1", "source": "manual", "reason": "r", "created_at": created,
            "expires_at": created + timedelta(hours=1), "active": active,
            "removed_at": None if active else created + timedelta(hours=1),
            "offence": 1}  # fmt: skip


async def _seed(engine: AsyncEngine, old_n: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(EventRow.__table__.insert(), [_event(OLD) for _ in range(old_n)])
        await conn.execute(EventRow.__table__.insert(), [_event(NEW) for _ in range(3)])
        for at, n in ((OLD, old_n), (NEW, 2)):
            for _ in range(n):
                for model, values in _rows_for(at).items():
                    await conn.execute(model.__table__.insert(), values)
        await conn.execute(AttackSession.__table__.insert(), [
            _session(OLD, OLD + timedelta(minutes=1)),  # ended long ago: goes
            _session(OLD, None),  # still open (a tarpit): stays
            _session(NEW, NEW),  # recent: stays
        ])  # fmt: skip
        await conn.execute(Block.__table__.insert(), [_block(OLD, True), _block(OLD, False)])
        await conn.execute(Attacker.__table__.insert().values(
            ip="192.0.2.1", first_seen_at=OLD, last_seen_at=OLD, event_count=1,
            detection_count=0, protocols=["ssh"]))  # fmt: skip


async def _count(engine: AsyncEngine, model: Any) -> int:
    async with engine.connect() as conn:
        q = select(func.count()).select_from(model)
        return int((await conn.execute(q)).scalar_one())


async def test_purge_in_batches(engine: AsyncEngine) -> None:
    await _seed(engine, old_n=7)
    seen: list[tuple[str, int]] = []
    deleted = await purge(
        engine, older_than=timedelta(days=30), batch_size=3,
        progress=lambda t, n: seen.append((t, n)),
    )  # fmt: skip
    assert deleted == {**dict.fromkeys(RULES, 7), "attack_session": 1}
    assert [n for t, n in seen if t == "event"] == [3, 3, 1]  # bounded batches
    assert await _count(engine, EventRow) == 3
    for model in (PacketLog, TrafficStats, ScoreRow, DetectionRow, VerificationRow):
        assert await _count(engine, model) == 2, model
    assert await _count(engine, AttackSession) == 2
    assert await _count(engine, Block) == 2  # blocks are never purged
    assert await _count(engine, Attacker) == 1
    again = await purge(engine, older_than=timedelta(days=30), batch_size=3)
    assert set(again.values()) == {0}


async def test_purge_recent_window_and_bad_input(engine: AsyncEngine) -> None:
    await _seed(engine, old_n=2)
    deleted = await purge(engine, older_than=timedelta(hours=1))
    assert deleted["event"] == 5 and deleted["attack_session"] == 2
    assert await _count(engine, AttackSession) == 1  # only the open session is left
    with pytest.raises(InvalidInput):
        await purge(engine, older_than=timedelta(0))


async def test_retention_job_describes_its_run(engine: AsyncEngine) -> None:
    import asyncio

    await _seed(engine, old_n=4)
    job = RetentionJob(engine, days=30, batch_size=100, interval_s=3600)
    task = asyncio.create_task(job.run())
    try:
        assert await until(lambda: job.last_run is not None)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    info = job.describe()
    assert info["state"] == "up" and info["deleted"] == {**dict.fromkeys(RULES, 4),
                                                         "attack_session": 1}  # fmt: skip
    assert await _count(engine, EventRow) == 3
