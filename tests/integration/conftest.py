"""Fixtures the integration packages share: a real database, SQLite file or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.settings import async_url
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade_async


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'pn.db'}"
    return async_url(request.getfixturevalue("pg_database"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to the head revision."""
    await upgrade_async(db_url)
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()
