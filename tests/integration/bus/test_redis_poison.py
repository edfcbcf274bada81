"""A consumer that fails on one entry: the entry is dead-lettered with its delivery count.

Real Redis (a unique stream on the shared server). The consumer "crashes" on the poison event
the way a component does under the supervisor: it drops its subscription without acking and
subscribes again under the same consumer name (its history comes back first), or it dies and
another consumer takes its entries over after ``claim_idle_ms``. The poison must end in the
dead-letter stream after ``max_deliveries`` deliveries with that count; every good event,
including those read in the same batch as the poison, must be processed; none dead-lettered.
"""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redisbus_helpers import MakeBus, auth, usernames

from phantomnet.bus.redis_streams import RedisStreamsBus

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
GOOD = 40
POISON = "poison"
MAX_RESTARTS = 50
DEADLINE_S = 60


async def dead_letters(redis_url: str, stream: str) -> list[dict[bytes, bytes]]:
    client = Redis.from_url(redis_url)
    try:
        return [fields for _, fields in await client.xrange(stream + ":dead")]
    finally:
        await client.aclose()


class Consumer:
    """Consumes, "crashing" on the poison (rotating through ``names`` at every crash)."""

    def __init__(self, bus: RedisStreamsBus, names: list[str]) -> None:
        self.bus, self.names = bus, names
        self.seen: set[str] = set()
        self.crashes = 0

    async def run(self) -> None:
        while self.crashes < MAX_RESTARTS:
            name = self.names[self.crashes % len(self.names)]
            sub = self.bus.subscribe("g", consumer=name, batch_size=16)
            async for batch in sub:
                names = usernames(batch.events)
                if POISON in names:
                    break  # no ack: the entries stay pending, as when a component dies
                self.seen.update(names)
                await batch.ack()
            await sub.aclose()
            self.crashes += 1
        raise AssertionError(f"still crashing after {self.crashes} restarts")


async def settled(redis_url: str, stream: str, consumer: Consumer) -> None:
    """Until every good event was seen, the poison parked and nothing is pending."""
    client = Redis.from_url(redis_url)
    try:
        while True:
            done = len(consumer.seen) == GOOD and await client.xlen(stream + ":dead") >= 1
            if done and (await client.xpending(stream, "g"))["pending"] == 0:
                return
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()


@pytest.mark.parametrize("consumers", [["c1"], ["c1", "c2"]], ids=["restart", "takeover"])
async def test_poison_is_dead_lettered_after_max_deliveries_and_neighbours_get_through(
    make_bus: MakeBus, redis_url: str, stream: str, consumers: list[str]
) -> None:
    bus = make_bus(max_deliveries=5, claim_idle_ms=200)
    await bus.start()
    await bus.ensure_group("g")
    events = [auth(i) for i in range(GOOD)]
    poisoned = [*events[:10], auth(0).model_copy(update={"username": POISON}), *events[10:]]
    await bus.publish_many(poisoned)

    consumer = Consumer(bus, consumers)
    running = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(settled(redis_url, stream, consumer), DEADLINE_S)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    seen, crashes = consumer.seen, consumer.crashes

    assert seen == {f"user{i}" for i in range(GOOD)}
    parked = await dead_letters(redis_url, stream)
    assert len(parked) == 1, parked
    assert POISON.encode() in parked[0][b"raw_data"]
    assert parked[0][b"deliveries"] == b"5"
    assert b"5 deliveries" in parked[0][b"error"]
    assert crashes == 5  # delivered 5 times, each one crashed; the 6th read parks it
    assert bus.stats.extra.get("dead_lettered") == 1
    assert bus.stats.extra.get("isolated", 0) >= 1
    client = Redis.from_url(redis_url)
    try:
        pending = await client.xpending(stream, "g")
    finally:
        await client.aclose()
    assert pending["pending"] == 0
