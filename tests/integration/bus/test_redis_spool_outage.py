"""Sensor-side durability: with Redis down, events go to the disk spool and come back in order.

Uses a private redis-server on a free port (never the shared one), stopped and started again by
its PID. Nothing is persisted by that server, so what it holds after the restart is exactly what
the bus replayed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redisbus_helpers import PrivateRedis, auth, free_port

from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.bus.spool import DiskSpool
from phantomnet.errors import BusUnavailable
from phantomnet.events import parse_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
STREAM = "pn-test:spool"


def make(url: str, spool_dir: Path, **kw: object) -> RedisStreamsBus:
    spool = DiskSpool(spool_dir, max_bytes=int(kw.pop("max_bytes", 10_000_000)), segment_bytes=4096)
    return RedisStreamsBus(url, stream=STREAM, block_ms=50, spool=spool, **kw)  # type: ignore[arg-type]


async def stored_names(url: str) -> list[str]:
    client = Redis.from_url(url)
    try:
        entries = await client.xrange(STREAM)
    finally:
        await client.aclose()
    return [parse_event(f[b"data"]).username for _, f in entries]  # type: ignore[union-attr]


async def wait_replayed(bus: RedisStreamsBus, timeout: float = 120) -> None:
    async with asyncio.timeout(timeout):
        while bus.spooling:
            await asyncio.sleep(0.05)


async def test_outage_is_spooled_and_replayed_in_order(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    bus = make(private_redis.url, tmp_path / "spool")
    await bus.start()
    await bus.publish_many([auth(i) for i in range(3)])
    assert await stored_names(private_redis.url) == ["user0", "user1", "user2"]

    private_redis.stop()
    for i in range(3, 203):  # one at a time and in pipelines: none may raise
        await bus.publish(auth(i))
    await bus.publish_many([auth(i) for i in range(203, 303)])
    assert bus.spooling
    assert not await bus.healthy()
    assert bus.stats.extra["spooled"] == 300
    assert list((tmp_path / "spool").glob("seg-*.jsonl"))

    private_redis.start()  # same port, empty: only replayed events will be there
    await bus.publish_many([auth(i) for i in range(303, 403)])  # while replay may be running
    await wait_replayed(bus)
    await bus.publish(auth(403))
    assert await stored_names(private_redis.url) == [f"user{i}" for i in range(3, 404)]
    assert bus.stats.extra["replayed"] == 400
    assert bus.stats.dropped == 0
    assert list((tmp_path / "spool").glob("seg-*.jsonl")) == []
    await bus.close()


async def test_spool_survives_a_process_restart(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    private_redis.stop()
    first = make(private_redis.url, tmp_path / "spool")
    await first.start()  # Redis down at start: no error, spooling
    await first.publish_many([auth(i) for i in range(50)])
    await first.close()  # the sensor process ends with the events on disk

    private_redis.start()
    second = make(private_redis.url, tmp_path / "spool")
    await second.start()
    await wait_replayed(second)
    assert await stored_names(private_redis.url) == [f"user{i}" for i in range(50)]
    await second.close()


async def test_full_spool_drops_new_events_and_counts_them(tmp_path: Path) -> None:
    bus = make(f"redis://127.0.0.1:{free_port()}/0", tmp_path / "spool", max_bytes=2000)
    await bus.start()
    await bus.publish_many([auth(i) for i in range(100)])
    assert 0 < bus.stats.extra["spooled"] < 100
    assert bus.stats.dropped == 100 - bus.stats.extra["spooled"]
    assert sum(p.stat().st_size for p in (tmp_path / "spool").glob("seg-*")) <= 2000
    await bus.close()


async def test_without_spool_an_outage_is_reported(private_redis: PrivateRedis) -> None:
    bus = RedisStreamsBus(private_redis.url, stream=STREAM)
    await bus.start()
    private_redis.stop()
    with pytest.raises(BusUnavailable):
        await bus.publish(auth(0))
    await bus.close()


async def test_a_consumer_waits_out_an_outage(private_redis: PrivateRedis) -> None:
    bus = RedisStreamsBus(private_redis.url, stream=STREAM, block_ms=50)
    await bus.start()
    sub = bus.subscribe("storage")
    await bus.publish(auth(0))
    first = await asyncio.wait_for(anext(sub), 60)
    await first.ack()
    reading = asyncio.create_task(anext(sub))
    private_redis.stop()
    await asyncio.sleep(0.5)
    assert not reading.done()  # retrying, not crashed
    private_redis.start()  # empty server: the group is recreated on NOGROUP
    publisher = RedisStreamsBus(private_redis.url, stream=STREAM)
    await publisher.publish(auth(1))
    batch = await asyncio.wait_for(reading, 60)
    assert [e.username for e in batch.events] == ["user1"]  # type: ignore[union-attr]
    await publisher.close()
    await bus.close()


async def test_replay_outlives_an_error_that_is_not_an_outage(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """XADD refused with WRONGTYPE (not an outage): before, the replayer task died and the
    bus spooled forever; now it retries with backoff and replays once the key is usable."""
    private_redis.stop()
    first = make(private_redis.url, tmp_path / "spool")
    await first.start()
    await first.publish_many([auth(i) for i in range(20)])
    await first.close()
    private_redis.start()
    client = Redis.from_url(private_redis.url)
    try:
        await client.set(STREAM, "not a stream")
        second = make(private_redis.url, tmp_path / "spool")
        await second.start()  # spool not empty: the replayer starts and hits WRONGTYPE
        async with asyncio.timeout(30):
            while second.outage_log.count < 1:
                await asyncio.sleep(0.05)
        assert second.spooling
        await client.delete(STREAM)
        await wait_replayed(second, timeout=60)
        assert await stored_names(private_redis.url) == [f"user{i}" for i in range(20)]
        await second.close()
    finally:
        await client.aclose()
