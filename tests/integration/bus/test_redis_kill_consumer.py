"""Kill a consumer mid-batch, start another: every event is stored exactly once.

The victim is a real process (``redisbus_victim.py``) that reads a batch, commits part of it
with the real :class:`StorageWriter` and is SIGKILLed (by its PID) before acknowledging. The heir,
a :class:`StorageWriter` running in this process on its own consumer name, takes the victim's
pending entries over with XAUTOCLAIM once they idle past ``claim_idle_ms`` and stores them
idempotently on ``event_id``. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from redisbus_helpers import MakeBus, auth
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade
from phantomnet.storage.writer import StorageWriter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
VICTIM = Path(__file__).with_name("redisbus_victim.py")
TOTAL_BEFORE, TOTAL_AFTER, VICTIM_BATCH, VICTIM_STORES = 200, 100, 120, 40


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL (sync fixture: ``pg_database`` runs its own event loop)."""
    url = f"sqlite:///{tmp_path / 'pn.db'}"
    if request.param == "postgresql":
        url = str(request.getfixturevalue("pg_database"))
    upgrade(url)
    return url


async def stored_ids(engine: AsyncEngine) -> list[str]:
    """Every stored event id, one per row (a duplicate would show up twice)."""
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT event_id FROM event"))
        return [str(r[0]).replace("-", "") for r in rows]


async def run_victim(redis_url: str, stream: str, db: str) -> dict[str, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(VICTIM), redis_url, stream, db, str(VICTIM_BATCH), str(VICTIM_STORES),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        report: dict[str, list[str]] = json.loads(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-batch: stored part of it, acked nothing
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return report


async def test_killed_consumer_loses_nothing_and_nothing_is_stored_twice(
    redis_url: str, stream: str, make_bus: MakeBus, db: str
) -> None:
    bus = make_bus(claim_idle_ms=500)
    await bus.start()
    events = [auth(i) for i in range(TOTAL_BEFORE)]
    await bus.publish_many(events)

    victim = await run_victim(redis_url, stream, db)
    assert len(victim["taken"]) == VICTIM_BATCH
    assert victim["inserted"] == VICTIM_STORES
    pending = await bus.redis.xpending(stream, "storage")
    assert pending["consumers"] == [{"name": b"victim", "pending": VICTIM_BATCH}]

    later = [auth(i) for i in range(TOTAL_BEFORE, TOTAL_BEFORE + TOTAL_AFTER)]
    await bus.publish_many(later)
    published = {e.event_id.hex for e in events + later}

    engine = make_engine(db)
    heir = StorageWriter(bus, engine, batch_size=100, flush_interval_s=0.05)
    try:
        assert len(await stored_ids(engine)) == VICTIM_STORES
        await heir.start()
        running = asyncio.create_task(heir.run())
        async with asyncio.timeout(60):
            while (await bus.redis.xpending(stream, "storage"))["pending"] or len(
                await stored_ids(engine)
            ) < len(published):
                assert not running.done(), running
                await asyncio.sleep(0.1)
        stored = await stored_ids(engine)
    finally:
        await heir.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await engine.dispose()

    assert len(stored) == len(published)  # nothing twice
    assert set(stored) == published  # nothing lost
    assert bus.stats.redelivered == VICTIM_BATCH  # the victim's whole batch was claimed
    assert heir.duplicates == VICTIM_STORES  # the part it had stored came again, was absorbed
    assert bus.stats.acked == len(published)
