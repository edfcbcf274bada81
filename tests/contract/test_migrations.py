"""Migrations: upgrade → downgrade base → upgrade on PostgreSQL and SQLite, and the models
equal the migration head (autogenerate finds no difference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from phantomnet.storage import migrate
from phantomnet.storage.db import make_engine
from phantomnet.storage.tables import Base

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXPECTED = set(Base.metadata.tables)
#: the newest revision shipped (bump when a migration is added)
HEAD = "0004_verification"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mig' / 'pn.db'}"
    return str(request.getfixturevalue("pg_database"))


def _inspect(conn: Connection) -> dict[str, Any]:
    insp = inspect(conn)
    tables = set(insp.get_table_names()) - {"alembic_version"}
    indexes = {t: {i["name"] for i in insp.get_indexes(t)} for t in tables}
    return {"tables": tables, "indexes": indexes, "diff": _diff(conn)}


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


async def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_inspect)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(url: str) -> None:
    assert migrate.current(url) is None
    migrate.upgrade(url)  # called from a running loop: alembic runs in a worker thread
    assert migrate.current(url) == migrate.head() == HEAD
    state = await _state(url)
    assert state["tables"] == EXPECTED
    assert "ix_event_src_ip_occurred_at" in state["indexes"]["event"]
    assert state["diff"] == [], "models and migration head differ"

    await migrate.downgrade_async(url, "base")
    assert migrate.current(url) is None
    assert (await _state(url))["tables"] == set()

    await migrate.upgrade_async(url)
    again = await _state(url)
    assert again["tables"] == EXPECTED and again["diff"] == []
    assert await migrate.current_async(url) == HEAD


def test_sync_callers_without_a_loop(url: str) -> None:
    migrate.upgrade(url)
    assert migrate.current(url) == HEAD
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
