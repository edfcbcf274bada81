"""Bus throughput: publish and consume (read + ack) events/s, memory and Redis Streams.

    .venv/bin/python bench/bus.py [--events 50000] [--redis redis://127.0.0.1:6379/0]

Uses a unique stream on the given Redis and deletes it afterwards. Prints figures; asserts
nothing. Bounded: at most --events events per run, 120 s overall.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from phantomnet.bus.base import Batch, EventBus
from phantomnet.bus.memory import MemoryBus
from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.events import AuthAttempt, Endpoint, Event, SensorRef

REF = SensorRef(node="bench", component="ssh")


def make_events(n: int) -> list[Event]:
    src = Endpoint(ip="203.0.113.7", port=50000)
    return [
        AuthAttempt(sensor=REF, protocol="ssh", username=f"u{i}", password="pw", accepted=False,
                    src=src)
        for i in range(n)
    ]  # fmt: skip


async def consume(sub: AsyncIterator[Batch], n: int) -> None:
    got = 0
    async for batch in sub:
        got += len(batch.events)
        await batch.ack()
        if got >= n:
            return


async def run(bus: EventBus, events: list[Event], chunk: int) -> tuple[float, float]:
    """(publish events/s, consume events/s) for one group reading batches of 1000."""
    sub = bus.subscribe("bench", batch_size=1000)
    if isinstance(bus, MemoryBus):  # no history in memory: consume while publishing
        t0 = time.perf_counter()
        consumer = asyncio.create_task(consume(sub, len(events)))
        for i in range(0, len(events), chunk):
            await bus.publish_many(events[i : i + chunk])
        published = time.perf_counter() - t0
        await consumer
        return len(events) / published, len(events) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(0, len(events), chunk):
        await bus.publish_many(events[i : i + chunk])
    published = time.perf_counter() - t0
    t1 = time.perf_counter()
    await consume(sub, len(events))
    return len(events) / published, len(events) / (time.perf_counter() - t1)


async def redis_figures(url: str, events: list[Event]) -> None:
    for chunk in (1, 100, 1000):
        stream = f"pn-bench:{uuid.uuid4().hex[:8]}"
        bus = RedisStreamsBus(url, stream=stream, maxlen=max(1000, len(events) * 2))
        await bus.start()
        try:
            sample = events if chunk > 1 else events[:10_000]
            pub, con = await run(bus, sample, chunk)
        finally:
            await bus.redis.delete(stream)
            await bus.close()
        label = f"redis   publish_many({chunk:>4}):"
        print(f"{label} {pub:>9,.0f} ev/s   group read+ack: {con:>9,.0f} ev/s")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    events = make_events(args.events)
    async with asyncio.timeout(120):
        pub, con = await run(MemoryBus(), events, 1000)
        print(f"memory  publish_many(1000): {pub:>9,.0f} ev/s   end-to-end:     {con:>9,.0f} ev/s")
        pub, con = await run(MemoryBus(debug_roundtrip=True), events, 1000)
        print(f"memory + debug_roundtrip:   {pub:>9,.0f} ev/s   end-to-end:     {con:>9,.0f} ev/s")
        await redis_figures(args.redis, events)


if __name__ == "__main__":
    asyncio.run(main())
