"""/health and /metrics report each in-process component's real state: a component that
crashes under the real supervisor shows as restarting/degraded with its restarts, failing
since and last error; its consumer group's backlog comes from Redis; once it runs again for
``healthy_after_s`` everything is ``ok``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.events import AuthAttempt, SensorRef
from phantomnet.plugins import Component
from phantomnet.runtime.build import Runtime
from phantomnet.runtime.supervisor import RestartPolicy, supervise
from phantomnet.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
DEADLINE_S = 60


class Flaky(Component):
    """A consumer of group ``probe`` (it never reads) whose first runs crash until allowed."""

    name = "flaky"  # type: ignore[assignment]
    group = "probe"

    def __init__(self) -> None:
        self.allowed = asyncio.Event()

    async def run(self) -> None:
        if not self.allowed.is_set():
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        await asyncio.Event().wait()


@pytest.fixture
async def redis_bus(redis_url: str) -> AsyncIterator[RedisStreamsBus]:
    stream = f"pn-test:health:{uuid.uuid4().hex[:12]}"
    bus = RedisStreamsBus(redis_url, stream=stream, dead_letter_stream=stream + ":dead")
    await bus.start()
    yield bus
    await bus.close()
    client = Redis.from_url(redis_url)
    await client.delete(stream, stream + ":dead")
    await client.aclose()


async def until(
    client: httpx.AsyncClient, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            body: dict[str, Any] = (await client.get("/health")).json()
            if check(body):
                return body
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), DEADLINE_S)


def flaky_of(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in body["components"] if c["component"] == "flaky")
    return found


async def test_health_and_metrics_follow_a_crashing_component(
    settings: Settings, engine: AsyncEngine, redis_bus: RedisStreamsBus
) -> None:
    flaky, steady = Flaky(), Component()
    runtime = Runtime(settings=settings, bus=redis_bus, components=[flaky, steady])
    await redis_bus.ensure_group("probe")
    ref = SensorRef(node="n1", component="ssh")
    await redis_bus.publish_many(
        [
            AuthAttempt(sensor=ref, protocol="ssh", username=f"u{i}", accepted=False)
            for i in range(3)
        ]
    )
    app = create_app(settings, engine=engine, bus=redis_bus, status=runtime.status)
    stop = asyncio.Event()
    policy = RestartPolicy(first_s=0.05, max_s=0.2, healthy_after_s=0.5)
    running = asyncio.create_task(supervise(runtime.components, stop, policy=policy))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = await until(client, lambda b: flaky_of(b)["restarts"] >= 2)
            assert body["status"] == "degraded"
            assert body["database"] == body["bus"] == "ok"
            item = flaky_of(body)
            assert item["state"] in ("restarting", "degraded")
            assert item["failing_since"] is not None
            assert item["last_error"].startswith("crashed: ConnectionRefusedError")
            assert item["group"] == "probe" and item["backlog"] == {"pending": 0, "lag": 3}
            metrics = (await client.get("/metrics")).text
            assert 'phantomnet_component_up{component="flaky"} 0.0' in metrics
            assert 'phantomnet_component_up{component="component"} 1.0' in metrics
            assert 'phantomnet_component_restarts_total{component="flaky"}' in metrics

            flaky.allowed.set()
            body = await until(client, lambda b: b["status"] == "ok")
            item = flaky_of(body)
            assert item["state"] == "up" and item["failing_since"] is None
            assert item["restarts"] >= 2 and item["failures"] >= 2
            metrics = (await client.get("/metrics")).text
            assert 'phantomnet_component_up{component="flaky"} 1.0' in metrics
    finally:
        stop.set()
        await asyncio.wait_for(running, DEADLINE_S)
