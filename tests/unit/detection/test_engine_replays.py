"""The engine skips an event it has already fed to the detectors (bus redelivery, spool
replay): a failed login delivered twice counts once and is cited once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from phantomnet.bus.memory import MemoryBus
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


def test_engine_counts_a_redelivered_event_once() -> None:
    engine = DetectorEngine(None, [BruteForce(BruteForceConfig(threshold=2), "n")])  # type: ignore[arg-type]
    first = failed(0)
    assert engine.observe(first) == []
    assert engine.observe(first) == []  # the same event again: no second failure
    [det] = engine.observe(failed(1))
    assert det.count == 2 and len(set(det.evidence)) == 2
    assert engine.describe()["replays_skipped"] == 1


async def test_replayed_publish_on_the_bus_counts_once() -> None:
    bus = MemoryBus()
    await bus.start()
    engine = DetectorEngine(bus, [BruteForce(BruteForceConfig(threshold=2), "n")])
    out = bus.subscribe("test", kinds=frozenset({"detection"}))
    await engine.start()
    task = asyncio.create_task(engine.run())
    try:
        a, b = failed(0), failed(1)
        await bus.publish_many([a, a])  # a spool replay sends the same chunk twice
        await bus.publish(b)
        async with asyncio.timeout(30):
            batch = await anext(out)
        [det] = [e for e in batch.events if isinstance(e, Detection)]
        assert det.count == 2
        assert det.evidence == (f"event:{a.event_id}", f"event:{b.event_id}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.stop()
        await bus.close()
