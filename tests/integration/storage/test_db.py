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
