"""Engines: SQLite file settings, PostgreSQL pool, ping on live and dead servers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from phantomnet.storage.db import make_engine, ping, session_factory

pytestmark = pytest.mark.integration


async def test_sqlite_engine_creates_dir_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "pn.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
            sync = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
        assert (mode, busy, sync) == ("wal", 10_000, 1)
        assert await ping(engine)
    finally:
        await engine.dispose()


async def test_postgres_engine_and_session(pg_database: str) -> None:
    engine = make_engine(pg_database)
    try:
        assert engine.dialect.driver == "asyncpg"
        assert engine.pool.size() == 10  # type: ignore[attr-defined]
        assert await ping(engine)
        async with session_factory(engine)() as session:
            assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    finally:
        await engine.dispose()


async def test_ping_is_false_when_nothing_listens() -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{port}/none")
    try:
        assert await ping(engine) is False
    finally:
        await engine.dispose()


async def test_library_calls_raise_one_clear_error(tmp_path: Path) -> None:
    from datetime import timedelta

    from phantomnet.errors import InvalidInput, StorageUnavailable
    from phantomnet.storage import migrate
    from phantomnet.storage.retention import purge

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"postgresql://postgres:hunter2@127.0.0.1:{port}/none"
    with pytest.raises(StorageUnavailable) as err:
        await migrate.upgrade_async(dead)
    assert "hunter2" not in str(err.value) and f":{port}/none" in str(err.value)
    with pytest.raises(StorageUnavailable):
        migrate.current(dead)  # from a running loop too
    engine = make_engine(dead)
    try:
        with pytest.raises(StorageUnavailable):
            await purge(engine, older_than=timedelta(days=1))
    finally:
        await engine.dispose()
    with pytest.raises(InvalidInput):
        migrate.upgrade(f"sqlite:///{tmp_path / 'x.db'}", "no-such-revision")
