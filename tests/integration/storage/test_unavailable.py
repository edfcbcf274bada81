"""The database is missing when the writer starts: it retries, never acks, then stores all.

PostgreSQL: the database does not exist yet (connection refused by the server), then it is
created and migrated. SQLite: the file has no schema yet, then it is migrated.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.db import make_engine, ping
from phantomnet.storage.migrate import upgrade_async
from phantomnet.storage.tables import AttackSession, EventRow
from phantomnet.storage.writer import StorageWriter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Create = Callable[[], Coroutine[Any, Any, None]]


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def late_db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, Create]]:
    """``(url, create)``: a database that only becomes usable when ``create()`` is awaited."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'late' / 'pn.db'}"

        async def create_sqlite() -> None:
            await upgrade_async(url)

        yield url, create_sqlite
        return
    base = str(request.getfixturevalue("postgres_url")).rsplit("/", 1)[0]
    name = f"pn_test_late_{uuid.uuid4().hex[:10]}"
    url = f"{base}/{name}"

    async def create_pg() -> None:
        await _admin(f"{base}/postgres", f'CREATE DATABASE "{name}"')
        await upgrade_async(url)

    try:
        yield url, create_pg
    finally:
        await _admin(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _wait(cond: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_writer_waits_for_the_database(late_db: tuple[str, Create], factory: Any) -> None:
    url, create = late_db
    engine = make_engine(url)
    bus = MemoryBus()
    writer = StorageWriter(bus, engine, flush_interval_s=0.05)
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        events = factory.session()
        await bus.publish_many(events)
        await _wait(lambda: writer.retries >= 3, timeout=20)
        info = writer.describe()
        assert info["state"] == "degraded" and info["stored"] == 0
        assert isinstance(info["last_error"], str) and info["last_error"]
        assert bus.stats.acked == 0, "acknowledged before anything was stored"
        if url.startswith("postgresql"):
            assert await ping(engine) is False

        more = [factory.command("id")]
        await bus.publish_many(more)  # keeps arriving while the database is away
        await create()
        await _wait(lambda: writer.stored == len(events) + 1, timeout=30)
        assert writer.describe()["state"] == "up"
        assert bus.stats.acked == len(events) + 1
        assert await ping(engine) is True
        async with engine.connect() as conn:
            n = (await conn.execute(select(func.count()).select_from(EventRow))).scalar_one()
            s = (await conn.execute(select(AttackSession))).one()
        assert n == len(events) + 1
        assert (s.auth_attempts, s.commands) == (4, 3)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
