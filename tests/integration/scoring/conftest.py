"""Fixtures for the scoring integration tests: a real database (a SQLite file, or a
PostgreSQL database of the test's own), the API app with the analysis router, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from phantomnet.api import create_app
from phantomnet.bus.memory import MemoryBus
from phantomnet.runtime.services import api_services
from phantomnet.settings import Settings, async_url
from phantomnet.storage.tables import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def scoring_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'scoring.db'}"
    return async_url(request.getfixturevalue("pg_database"))


@pytest.fixture
async def scoring_engine(scoring_db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(scoring_db_url)
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
async def scoring_app(tmp_path: Path, clean_env: None, scoring_engine: AsyncEngine) -> FastAPI:
    settings = Settings(data_dir=tmp_path / "data", node="test-node", api={"auth": "off"})
    bus = MemoryBus(queue_size=100)
    services = await api_services(settings, scoring_engine, bus)  # as the runtime builds them
    return create_app(settings, engine=scoring_engine, bus=bus, services=services)


@pytest.fixture
async def scoring_client(scoring_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=scoring_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c
