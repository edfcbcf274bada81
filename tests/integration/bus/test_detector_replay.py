"""Detectors on the Redis bus tolerate replays (docs/bus.md): the spool's replay may send a
chunk twice, and the detector engine counts a failed login delivered twice once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from redisbus_helpers import MakeBus

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.detection.engine import DetectorEngine
from phantomnet.events import AuthAttempt, Detection, Endpoint, SensorRef

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def failed(i: int) -> AuthAttempt:
    return AuthAttempt(
        sensor=SensorRef(node="n", component="ssh"), protocol="ssh", username="root",
        password=f"p{i}", accepted=False, src=Endpoint(ip="198.51.100.9", port=40000 + i),
        dst=Endpoint(ip="10.0.0.1", port=22), occurred_at=T0 + timedelta(seconds=i),
    )  # fmt: skip


async def test_engine_on_redis_counts_a_replayed_event_once(make_bus: MakeBus) -> None:
    bus = make_bus()
    await bus.start()
    engine = DetectorEngine(bus, [BruteForce(BruteForceConfig(threshold=2), "n")])
    out = bus.subscribe("test-detections", kinds=frozenset({"detection"}))
    await engine.start()
    task = asyncio.create_task(engine.run())
    try:
        a, b = failed(0), failed(1)
        await bus.publish_many([a, a])  # the same entry twice, as a spool replay may send it
        await bus.publish(b)
        async with asyncio.timeout(60):
            batch = await anext(out)
        [det] = [e for e in batch.events if isinstance(e, Detection)]
        await batch.ack()
        assert det.count == 2
        assert det.evidence == (f"event:{a.event_id}", f"event:{b.event_id}")
        assert engine.replays == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.stop()
        close = getattr(out, "aclose", None)
        if close is not None:
            await close()
