"""Fixtures for the API integration tests: a real database (SQLite file and PostgreSQL
database of its own), the memory bus, an app, an HTTP client and tokens of both roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.api.auth import create_token
from phantomnet.bus.memory import MemoryBus
from phantomnet.settings import Settings

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def settings(tmp_path: Path, clean_env: None) -> Settings:
    return Settings(data_dir=tmp_path / "data", node="test-node")


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(queue_size=1000)


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine, bus: MemoryBus) -> FastAPI:
    return create_app(settings, engine=engine, bus=bus)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c


@pytest.fixture
async def admin_token(engine: AsyncEngine) -> str:
    return await create_token(engine, role="admin", name="test-admin")


@pytest.fixture
async def viewer_token(engine: AsyncEngine) -> str:
    return await create_token(engine, role="viewer", name="test-viewer")
