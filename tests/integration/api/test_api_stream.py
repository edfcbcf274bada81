"""``/api/stream`` over a real HTTP server (uvicorn on port 0) with httpx and curl."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_helpers import bearer, sample_events
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.bus.factory import make_bus
from phantomnet.bus.memory import MemoryBus
from phantomnet.settings import BusSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The stream only reads the database for auth: SQLite is enough here."""
    return f"sqlite+aiosqlite:///{tmp_path / 'stream.db'}"


async def serve(app: FastAPI) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 60)


@pytest.fixture
async def base_url(settings: Settings, engine: AsyncEngine, bus: MemoryBus) -> AsyncIterator[str]:
    fast = settings.model_copy(
        update={"api": settings.api.model_copy(update={"stream_keepalive_s": 0.3})}
    )
    async for url in serve(create_app(fast, engine=engine, bus=bus)):
        yield url


async def _read_until(lines: AsyncIterator[str], prefix: str) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(10):
        async for line in lines:
            seen.append(line)
            if line.startswith(prefix):
                return seen
    raise AssertionError(f"stream ended before {prefix!r}: {seen}")


async def _groups_gone(bus: MemoryBus) -> None:
    async with asyncio.timeout(10):
        while any(g.startswith("sse-") for g in bus._groups):
            await asyncio.sleep(0.05)


async def test_stream_delivers_published_events_filtered_by_kind(
    base_url: str, viewer_token: str, bus: MemoryBus
) -> None:
    events = sample_events(6)
    auth, detection = events[1], events[4]
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        client.stream(
            "GET", "/api/stream", params={"kinds": "detection"}, headers=bearer(viewer_token)
        ) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = r.aiter_lines()
        await _read_until(lines, ": connected")
        await bus.publish(auth)
        await bus.publish(detection)
        got = await _read_until(lines, "data: ")
        assert f"id: {detection.event_id}" in got and "event: detection" in got
        data = json.loads(got[-1].removeprefix("data: "))
        assert data["event_id"] == str(detection.event_id) and data["rule"] == "brute_force"
        assert not any(str(auth.event_id) in line for line in got)
        keepalive = await _read_until(lines, ": keep-alive")
        assert keepalive[-1] == ": keep-alive"
    await _groups_gone(bus)


async def test_stream_with_curl_and_query_token(
    base_url: str, viewer_token: str, bus: MemoryBus
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("required in CI: curl is not installed")
        pytest.skip("curl is not installed")
    proc = await asyncio.create_subprocess_exec(
        curl,
        "-sS",
        "-N",
        "--max-time",
        "20",
        f"{base_url}/api/stream?token={viewer_token}",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        lines = _stdout_lines(proc.stdout)
        await _read_until(lines, ": connected")
        event = sample_events(1)[0]
        await bus.publish(event)
        got = await _read_until(lines, "data: ")
        assert f"id: {event.event_id}" in got and f"event: {event.kind}" in got
    finally:
        proc.terminate()
        await proc.wait()
    await _groups_gone(bus)


async def _stdout_lines(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    while line := await stream.readline():
        yield line.decode().rstrip("\n")


async def test_stream_refuses_bad_kinds_and_missing_token(base_url: str, viewer_token: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        r = await client.get("/api/stream", params={"kinds": "nope"}, headers=bearer(viewer_token))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert (await client.get("/api/stream")).status_code == 401


async def test_stream_over_the_redis_bus(
    redis_url: str, settings: Settings, engine: AsyncEngine, viewer_token: str
) -> None:
    """The distributed mode: events published to Redis Streams reach an SSE client."""
    stream = f"pn-test-api-{uuid.uuid4().hex[:8]}"
    cfg = BusSettings(
        backend="redis",
        url=redis_url,
        stream=stream,
        dead_letter_stream=f"{stream}:dead",
        block_ms=100,
    )
    bus = make_bus(cfg, node="api-test")
    await bus.start()
    try:
        async for url in serve(create_app(settings, engine=engine, bus=bus)):
            async with (
                httpx.AsyncClient(base_url=url, timeout=10) as client,
                client.stream("GET", "/api/stream", headers=bearer(viewer_token)) as r,
            ):
                lines = r.aiter_lines()
                await _read_until(lines, ": connected")
                event = sample_events(1)[0]
                await bus.publish(event)
                got = await _read_until(lines, "data: ")
                assert f"id: {event.event_id}" in got
                assert json.loads(got[-1].removeprefix("data: "))["kind"] == event.kind
    finally:
        redis = Redis.from_url(redis_url)
        await redis.delete(stream, f"{stream}:dead")
        await redis.aclose()
        await bus.close()
