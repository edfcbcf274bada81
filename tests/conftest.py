"""Shared test fixtures.

Services (PostgreSQL, Redis) and external tools are *required* when ``CI=true``: a missing one
fails the test instead of skipping it, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest

CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "PHANTOMNET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PHANTOMNET_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI."""
    if CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_tool(*names: str) -> None:
    for name in names:
        if shutil.which(name) is None:
            unavailable(f"{name} is not installed")


def require_root() -> None:
    if os.geteuid() != 0:
        unavailable("needs root (network namespaces / firewall)")


@pytest.fixture
def postgres_url() -> str:
    if not _port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL is not running on 127.0.0.1:5432")
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    if not _port_open("127.0.0.1", 6379):
        unavailable("Redis is not running on 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Remove PHANTOMNET_* variables so tests see code defaults."""
    for key in list(os.environ):
        if key.startswith("PHANTOMNET_"):
            monkeypatch.delenv(key)
    yield


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards).

    Parallel test runs never share tables. Yields a ``postgresql://`` URL.
    """
    import asyncio
    import uuid

    import asyncpg

    name = f"pn_test_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
