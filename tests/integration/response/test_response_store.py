"""SqlBlockStore on SQLite and PostgreSQL: the desired state survives and queries are exact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from phantomnet.errors import NotFound
from phantomnet.response.store import NewBlock
from phantomnet.settings import async_url
from phantomnet.storage.blocks import SqlBlockStore, ensure_schema

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'pn.db'}"
    return async_url(request.getfixturevalue("pg_database"))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlBlockStore]:
    url = db_url
    engine = create_async_engine(url)
    await ensure_schema(engine, url)
    yield SqlBlockStore.from_engine(engine)
    await engine.dispose()


def new(target: str, at: datetime, seconds: int = 600, offence: int = 1) -> NewBlock:
    return NewBlock(
        target=target,
        source="manual",
        reason="r",
        created_at=at,
        expires_at=at + timedelta(seconds=seconds),
        offence=offence,
        backend="nftables",
        applied=True,
        created_by="test",
    )


async def test_round_trip_and_queries(store: SqlBlockStore) -> None:
    a = await store.insert(new("203.0.113.7", T0, 600))
    b = await store.insert(new("198.51.100.0/24", T0 + timedelta(seconds=1), 60))
    assert a.id != b.id and a.expires_at == T0 + timedelta(seconds=600)
    assert a.created_at.tzinfo is not None and a.applied and a.backend == "nftables"
    assert (await store.get_active("203.0.113.7")) == a
    assert await store.get_active("203.0.113.8") is None
    assert {r.target for r in await store.list_active()} == {"203.0.113.7", "198.51.100.0/24"}
    assert [r.id for r in await store.list_blocks(active=None, limit=10)] == [b.id, a.id]
    assert [r.target for r in await store.due(T0 + timedelta(seconds=61), 10)] == [
        "198.51.100.0/24"
    ]
    longer = await store.update(
        a.id, expires_at=T0 + timedelta(hours=2), reason="again", applied=False
    )
    assert longer.expires_at == T0 + timedelta(hours=2) and longer.reason == "again"
    assert longer.applied is False
    gone = await store.deactivate(b.id, at=T0 + timedelta(seconds=61), reason="expired")
    assert not gone.active and gone.removed_reason == "expired"
    assert gone.removed_at == T0 + timedelta(seconds=61)
    assert [r.id for r in await store.list_blocks(active=False, limit=10)] == [b.id]
    assert await store.desired() == [("203.0.113.7", T0 + timedelta(hours=2))]
    assert await store.count_since("198.51.100.0/24", T0) == 1
    assert await store.count_since("198.51.100.0/24", T0 + timedelta(seconds=2)) == 0
    with pytest.raises(NotFound):
        await store.deactivate(9999, at=T0, reason="x")
    assert longer.item()["expires_at"] == "2026-11-21T08:00:00+00:00"


async def test_block_migration_up_down(db_url: str) -> None:
    from sqlalchemy import inspect

    from phantomnet.storage.migrate import downgrade_async, upgrade_async

    async def columns() -> set[str]:
        engine = create_async_engine(db_url)
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(lambda c: inspect(c).get_columns("block"))
        finally:
            await engine.dispose()
        return {c["name"] for c in found}

    await upgrade_async(db_url)
    assert {"backend", "applied"} <= await columns()
    await downgrade_async(db_url, "0001")
    assert not {"backend", "applied"} & await columns()
    await upgrade_async(db_url)
    assert {"backend", "applied"} <= await columns()


async def test_mark_applied_sets_the_verified_state(store: SqlBlockStore) -> None:
    held = await store.insert(replace(new("203.0.113.7", T0), applied=False))
    lost = await store.insert(new("203.0.113.8", T0))
    bad = await store.insert(new("fe80::1%x", T0))
    later = await store.insert(
        replace(new("203.0.113.9", T0 + timedelta(seconds=30)), applied=False)
    )
    gone = await store.insert(replace(new("203.0.113.10", T0), applied=False))
    await store.deactivate(gone.id, at=T0, reason="manual")
    many = [f"198.18.{i // 256}.{i % 256}" for i in range(1200)]  # more than one chunk
    await store.mark_applied(["203.0.113.8", "fe80::1%x", *many], before=T0 + timedelta(seconds=1))
    state = {r.id: r.applied for r in await store.list_blocks(active=None, limit=10)}
    assert state == {held.id: True, lost.id: False, bad.id: False, later.id: False, gone.id: False}
