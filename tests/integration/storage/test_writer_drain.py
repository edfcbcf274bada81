"""A stopping writer takes everything still queued in the memory bus before it returns.

Issue 11: ``phantomnet up`` lost events on SIGTERM because the writer's reader was cancelled
with thousands of events still queued for it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.tables import EventRow
from phantomnet.storage.writer import StorageWriter
from tests.integration.storage.test_writer import scalar, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_stop_flushes_everything_queued(engine: AsyncEngine, factory_cls: Any) -> None:
    bus = MemoryBus()
    writer = StorageWriter(bus, engine, batch_size=50, flush_interval_s=0.05)
    await writer.start()
    task = asyncio.create_task(writer.run())
    events = [e for _ in range(250) for e in factory_cls().session()]  # 2,000 events
    await bus.publish_many(events)
    await until(lambda: writer.stored > 0)
    await writer.stop()  # most are still queued in the bus here
    assert task.done(), "stop() returns once run() has finished"
    assert not task.exception()
    assert writer.stored == len(events) and bus.stats.acked == len(events)
    assert await scalar(engine, select(func.count()).select_from(EventRow)) == len(events)
