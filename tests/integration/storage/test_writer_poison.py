"""One bad event never stops the writer: it is parked in ``dead_letter``, the rest is stored.

Issue 11: an entry with ``occurred_at = 0001-01-01T00:00:00+14:00`` made the writer die with
OverflowError on every restart while 100 good events waited behind it. Every test runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet import events as ev
from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.tables import DeadLetter, EventRow
from phantomnet.storage.writer import StorageWriter
from tests.integration.storage.test_writer import scalar, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

YEAR_ONE_PLUS_14 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))


def overflowing_date(good: Any) -> Any:
    """The issue's event: valid JSON, but no UTC instant (bypasses validation like a bug)."""
    return good.model_copy(update={"occurred_at": YEAR_ONE_PLUS_14})


def huge_port(good: Any) -> Any:
    """A value each database refuses (bigger than any integer column)."""
    return good.model_copy(
        update={"src": ev.Endpoint.model_construct(ip="203.0.113.9", port=2**70)}
    )


async def count(engine: AsyncEngine, table: Any) -> int:
    return int(await scalar(engine, select(func.count()).select_from(table)))


@pytest.mark.parametrize("poison", [overflowing_date, huge_port])
async def test_poison_in_a_batch_is_parked_and_the_rest_stored(
    engine: AsyncEngine, factory_cls: Any, poison: Any
) -> None:
    bus = MemoryBus()
    writer = StorageWriter(bus, engine, flush_interval_s=0.3, batch_size=500)
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        good = [e for _ in range(13) for e in factory_cls().session()][:100]
        bad = poison(factory_cls().opened())
        # The poison sits in the middle of one batch, 100 good events around it.
        await bus.publish_many([*good[:50], bad, *good[50:]])
        await until(lambda: writer.stored + writer.dead_lettered >= 101 or task.done(), 60)
        assert not task.done(), task.exception()
        assert writer.stored == 100 and writer.dead_lettered == 1
        assert await count(engine, EventRow) == 100
        async with engine.connect() as conn:
            row = (await conn.execute(select(DeadLetter))).one()
        assert row.event_id == bad.event_id and row.kind == "connection.opened"
        assert row.reason.split(":")[0] in {"OverflowError", "DataError", "StatementError"}, row
        await until(lambda: bus.stats.acked == 101)  # parked = handled: never redelivered

        # The same poison again (a redelivery) and more good events: still one parked row.
        later = factory_cls().session()
        await bus.publish_many([bad, *later])
        await until(lambda: writer.stored + writer.duplicates >= 100 + len(later) or task.done())
        assert not task.done(), task.exception()
        assert await count(engine, DeadLetter) == 1
        assert await count(engine, EventRow) == 100 + len(later)
        assert writer.describe()["state"] == "up"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_batch_of_only_poison_is_all_parked(engine: AsyncEngine, factory_cls: Any) -> None:
    bus = MemoryBus()
    writer = StorageWriter(bus, engine, flush_interval_s=0.3)
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        bad = [overflowing_date(factory_cls().opened()) for _ in range(7)]
        await bus.publish_many(bad)
        await until(lambda: writer.dead_lettered >= 7 or task.done(), 60)
        assert not task.done(), task.exception()
        assert await count(engine, DeadLetter) == 7 and await count(engine, EventRow) == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
