"""Kill a consumer mid-batch, start another: every event is stored exactly once.

The victim is a real process (``redisbus_victim.py``) that reads a batch, commits part of it to
the database and is SIGKILLed (by its PID) before acknowledging. The heir, in this process,
takes the victim's pending entries over with XAUTOCLAIM once they idle past ``claim_idle_ms``,
stores everything idempotently on ``event_id`` and acknowledges. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
import redisbus_store
from redisbus_helpers import MakeBus, auth

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
VICTIM = Path(__file__).with_name("redisbus_victim.py")
TOTAL_BEFORE, TOTAL_AFTER, VICTIM_BATCH, VICTIM_STORES = 200, 100, 120, 40


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL (sync fixture: ``pg_database`` runs its own event loop)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_database")
        return url
    return str(tmp_path / "store.db")


async def run_victim(redis_url: str, stream: str, db: str) -> dict[str, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(VICTIM),
        redis_url,
        stream,
        db,
        str(VICTIM_BATCH),
        str(VICTIM_STORES),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        report: dict[str, list[str]] = json.loads(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-batch: stored part of it, acked nothing
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return report


async def test_killed_consumer_loses_nothing_and_nothing_is_stored_twice(
    redis_url: str, stream: str, make_bus: MakeBus, db: str
) -> None:
    await redisbus_store.create(db)
    bus = make_bus(claim_idle_ms=500)
    await bus.start()
    events = [auth(i) for i in range(TOTAL_BEFORE)]
    await bus.publish_many(events)

    victim = await run_victim(redis_url, stream, db)
    assert len(victim["taken"]) == VICTIM_BATCH
    pending = await bus.redis.xpending(stream, "storage")
    assert pending["consumers"] == [{"name": b"victim", "pending": VICTIM_BATCH}]
    assert len(await redisbus_store.stored_ids(db)) == VICTIM_STORES

    later = [auth(i) for i in range(TOTAL_BEFORE, TOTAL_BEFORE + TOTAL_AFTER)]
    await bus.publish_many(later)
    published = {str(e.event_id) for e in events + later}

    async with asyncio.timeout(60):
        async for batch in bus.subscribe("storage", consumer="heir", batch_size=50):
            await redisbus_store.write(db, batch.events)
            await batch.ack()
            if (await bus.redis.xpending(stream, "storage"))["pending"] == 0 and len(
                await redisbus_store.stored_ids(db)
            ) >= len(published):
                break

    stored = await redisbus_store.stored_ids(db)
    assert len(stored) == len(published)  # nothing twice
    assert set(stored) == published  # nothing lost
    assert bus.stats.redelivered == VICTIM_BATCH  # the victim's batch was claimed, once
    assert bus.stats.acked == len(published)
    assert (await bus.redis.xpending(stream, "storage"))["pending"] == 0
