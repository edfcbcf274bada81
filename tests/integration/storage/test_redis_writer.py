"""StorageWriter on the real Redis Streams bus: entries stay pending (un-acked) while the
database is unusable and are acknowledged only once committed. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade_async
from phantomnet.storage.tables import AttackSession, EventRow
from phantomnet.storage.writer import StorageWriter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
async def bus(redis_url: str) -> AsyncIterator[RedisStreamsBus]:
    stream = f"pn-test-storage:{uuid.uuid4().hex[:10]}"
    b = RedisStreamsBus(redis_url, stream=stream, dead_letter_stream=f"{stream}:dead",
                        block_ms=50)  # fmt: skip
    await b.start()
    try:
        yield b
    finally:
        await b.redis.delete(stream, f"{stream}:dead")
        await b.close()


async def _pending(bus: RedisStreamsBus) -> int:
    return int((await bus.redis.xpending(bus.stream, "storage"))["pending"])


async def _until(cond: Any, timeout: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await cond():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_acked_only_after_commit(bus: RedisStreamsBus, db_url: str, factory: Any) -> None:
    engine = make_engine(db_url)  # not migrated yet: every write fails
    writer = StorageWriter(bus, engine, flush_interval_s=0.05, consumer="t1")
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        events = factory.session() + [factory.command(f"c{i}") for i in range(20)]
        await bus.publish_many(events)

        async def delivered_not_acked() -> bool:
            return writer.retries >= 2 and await _pending(bus) == len(events)

        await _until(delivered_not_acked)
        assert writer.describe()["state"] == "degraded" and writer.stored == 0

        await upgrade_async(db_url)

        async def all_acked() -> bool:
            return writer.stored == len(events) and await _pending(bus) == 0

        await _until(all_acked)
        async with engine.connect() as conn:
            n = (await conn.execute(select(func.count()).select_from(EventRow))).scalar_one()
            cmds = (await conn.execute(select(AttackSession.commands))).scalar_one()
        assert (n, cmds) == (len(events), 22)
    finally:
        await writer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()


async def test_issue_11_poison_entry_does_not_block_the_group(
    bus: RedisStreamsBus, db_url: str, factory_cls: Any
) -> None:
    """The issue's entry (``occurred_at = 0001-01-01T00:00:00+14:00``), raw on the stream
    before 100 good events: it is dead-lettered, the writer stays up, all 100 are stored."""
    import json

    from phantomnet.events import dump_event

    await upgrade_async(db_url)
    engine = make_engine(db_url)
    writer = StorageWriter(bus, engine, flush_interval_s=0.05, consumer="t-poison")
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        poison = json.loads(dump_event(factory_cls().opened()))
        poison["occurred_at"] = "0001-01-01T00:00:00+14:00"
        fields = {"v": "1", "kind": "connection.opened", "data": json.dumps(poison)}
        await bus.redis.xadd(bus.stream, fields)  # type: ignore[arg-type]
        good = [e for _ in range(13) for e in factory_cls().session()][:100]
        await bus.publish_many(good)

        async def stored() -> bool:
            return writer.stored >= 100 or task.done()

        await _until(stored, 60)
        assert not task.done(), task.exception()
        assert writer.stored == 100
        dead = await bus.redis.xrange(f"{bus.stream}:dead")
        assert len(dead) == 1 and "out of range" in str(dead[0][1]), dead
        await _until(lambda: _zero_pending(bus))
    finally:
        await writer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()


async def _zero_pending(bus: RedisStreamsBus) -> bool:
    return await _pending(bus) == 0
