"""On Redis Streams a failing sink holds back nobody, and a sink stopped while it retries
gets its un-acked events again from its own group (private redis-server, own PID)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.bus.redisbus_helpers import PrivateRedis
from tests.integration.sinks.helpers import detection
from tests.integration.sinks.test_webhook_http import Receiver, receiver, webhook
from tests.waiting import until

from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.events import Event
from phantomnet.sinks.component import sink_component

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
__all__ = ["receiver"]  # the fixture, imported


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_failing_sink_delays_nobody_and_resumes_from_its_group(
    redis: PrivateRedis, receiver: Receiver
) -> None:
    bus = RedisStreamsBus(redis.url, stream="pn-test:sinks", block_ms=50, claim_idle_ms=300)
    await bus.start()
    try:
        await bus.ensure_group("storage")
        receiver.failing = True
        comp = sink_component(webhook(receiver.url), bus, "node-1")
        await comp.start()
        task = asyncio.create_task(comp.run())
        events = [detection(i) for i in range(5)]
        await bus.publish_many(events)
        # another group (storage, here) reads everything while the sink fails
        seen: list[Event] = []
        storage = aiter(bus.subscribe("storage", consumer="s1"))
        while len(seen) < 5:
            batch = await anext(storage)
            seen.extend(batch.events)
            await batch.ack()
        assert {e.event_id for e in seen} == {e.event_id for e in events}
        assert await until(lambda: receiver.refused >= 2)
        assert comp.delivered == 0 and comp.health.failing_since is not None
        # stop while it retries: nothing acknowledged, the group keeps the entries
        await comp.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        receiver.failing = False
        again = sink_component(webhook(receiver.url), bus, "node-1")
        await again.start()
        task = asyncio.create_task(again.run())
        assert await until(lambda: again.delivered == 5)
        await again.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await bus.close()
    ids = sorted(json.loads(body)["event_id"] for _, _, body in receiver.got)
    assert ids == sorted(str(e.event_id) for e in events)


async def test_alerts_held_in_a_digest_stay_pending_and_survive_a_restart(
    redis: PrivateRedis, receiver: Receiver
) -> None:
    """An alert sink does not ack what a pending digest holds: a restart sends it all."""
    bus = RedisStreamsBus(redis.url, stream="pn-test:alerts", block_ms=50, claim_idle_ms=60_000)
    await bus.start()
    events = [detection(i) for i in range(5)]
    try:
        held = {"digest_s": 3600, "dedupe_window_s": 0}
        comp = sink_component(webhook(receiver.url, alert=held), bus, "node-1")
        await comp.start()
        task = asyncio.create_task(comp.run())
        await bus.publish_many(events)
        assert await until(lambda: comp.pending == 5)
        info = await bus.redis.xpending(bus.stream, "sink-webhook")
        assert info["pending"] == 5 and receiver.got == []  # read, held, not acknowledged
        await comp.stop()  # a restart while the digest is pending
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        soon = {"digest_s": 0.2, "dedupe_window_s": 0}
        again = sink_component(webhook(receiver.url, alert=soon), bus, "node-1")
        await again.start()
        task = asyncio.create_task(again.run())
        assert await until(lambda: again.delivered == 5)
        info = {"pending": -1}
        for _ in range(200):  # bounded: the ack follows the send
            info = await bus.redis.xpending(bus.stream, "sink-webhook")
            if info["pending"] == 0:
                break
            await asyncio.sleep(0.05)
        assert info["pending"] == 0
        await again.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await bus.close()
    (digest,) = [json.loads(body) for _, _, body in receiver.got]
    assert digest["type"] == "digest" and digest["events"] == 5
