"""Fixtures for bus integration tests: unique streams on the shared Redis, a private Redis."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redisbus_helpers import MakeBus, PrivateRedis

from phantomnet.bus.redis_streams import RedisStreamsBus


@pytest.fixture
async def stream(redis_url: str) -> AsyncIterator[str]:
    """A unique stream name; the stream and its dead-letter stream are deleted afterwards."""
    name = f"pn-test:bus:{uuid.uuid4().hex[:12]}"
    yield name
    client = Redis.from_url(redis_url)
    try:
        await client.delete(name, name + ":dead")
    finally:
        await client.aclose()


@pytest.fixture
async def make_bus(redis_url: str, stream: str) -> AsyncIterator[MakeBus]:
    """Build started-later buses on ``stream`` (fast timings); all are closed afterwards."""
    buses: list[RedisStreamsBus] = []

    def make(**overrides: object) -> RedisStreamsBus:
        options: dict[str, object] = {
            "stream": stream,
            "dead_letter_stream": stream + ":dead",
            "block_ms": 50,
            "claim_idle_ms": 300,
            "maxlen": 100_000,
        }
        options.update(overrides)
        url = str(options.pop("url", redis_url))
        bus = RedisStreamsBus(url, **options)  # type: ignore[arg-type]
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        with contextlib.suppress(Exception):
            await bus.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """Our own redis-server (never the shared one at 6379), so a test may stop and restart it."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("required in CI: redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
