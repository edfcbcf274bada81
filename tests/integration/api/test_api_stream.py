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
from api_helpers import bearer, sample_events, serve
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


async def _ticket(client: httpx.AsyncClient, token: str) -> str:
    r = await client.post("/api/stream/ticket", headers=bearer(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 < body["expires_in_s"] <= 60
    ticket: str = body["ticket"]
    assert token not in ticket
    return ticket


async def test_stream_with_curl_and_a_ticket(
    base_url: str, viewer_token: str, bus: MemoryBus
) -> None:
    """What the dashboard does: trade the token for a ticket, open the stream with it (no
    Authorization header, no token in the URL); the ticket works once."""
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("required in CI: curl is not installed")
        pytest.skip("curl is not installed")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        ticket = await _ticket(client, viewer_token)
    proc = await asyncio.create_subprocess_exec(
        curl,
        "-sS",
        "-N",
        "--max-time",
        "20",
        f"{base_url}/api/stream?ticket={ticket}",
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
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        again = await client.get("/api/stream", params={"ticket": ticket})
        assert again.status_code == 401
        assert again.headers["content-type"] == "application/problem+json"


async def test_stream_refuses_a_token_in_the_url(base_url: str, viewer_token: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        r = await client.get("/api/stream", params={"token": viewer_token})
        assert r.status_code == 401
        assert "ticket" in r.json()["detail"]
        # Even next to a valid ticket or header: a token in a URL is always a mistake.
        ticket = await _ticket(client, viewer_token)
        r = await client.get("/api/stream", params={"token": viewer_token, "ticket": ticket})
        assert r.status_code == 401


async def test_ticket_needs_a_valid_token_and_garbage_tickets_are_refused(
    base_url: str, viewer_token: str
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        assert (await client.post("/api/stream/ticket")).status_code == 401
        bad = await client.post("/api/stream/ticket", headers=bearer("pn_" + "x" * 43))
        assert bad.status_code == 401
        for forged in ("pt_" + "A" * 32, viewer_token, "x" * 500):
            r = await client.get("/api/stream", params={"ticket": forged})
            assert r.status_code == 401, forged


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
