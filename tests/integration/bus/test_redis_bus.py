"""Redis Streams bus on the real Redis: groups, ack, XAUTOCLAIM, dead letters, MAXLEN, lossy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redisbus_helpers import MakeBus, auth, free_port, usernames

from phantomnet.bus.base import Batch, EventBus
from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.errors import BusUnavailable
from phantomnet.events import ConnectionOpened, SensorRef, dump_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


async def take(it: AsyncIterator[Batch], *, want: int, timeout: float = 60) -> list[Batch]:
    """Read batches until ``want`` events arrived (fails on timeout)."""
    batches: list[Batch] = []
    async with asyncio.timeout(timeout):
        while sum(len(b.events) for b in batches) < want:
            batches.append(await anext(it))
    return batches


def flat(batches: list[Batch]) -> list[str]:
    return [name for b in batches for name in usernames(b.events)]


async def test_entries_have_the_documented_wire_format(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus()
    assert isinstance(bus, EventBus)
    await bus.start()
    event = auth(1)
    await bus.publish(event)
    ((_, fields),) = await bus.redis.xrange(stream)
    assert fields == {b"v": b"1", b"kind": b"auth.attempt", b"data": dump_event(event)}
    assert await bus.healthy()


async def test_every_group_gets_everything_and_consumers_share(make_bus: MakeBus) -> None:
    bus = make_bus()
    await bus.start()
    await bus.publish_many([auth(i) for i in range(10)])
    storage = flat(await take(bus.subscribe("storage", batch_size=100), want=10))
    assert storage == [f"user{i}" for i in range(10)]
    a = bus.subscribe("detectors", consumer="a", batch_size=4)
    b = bus.subscribe("detectors", consumer="b", batch_size=4)
    got = flat(await take(a, want=4)) + flat(await take(b, want=4)) + flat(await take(a, want=2))
    assert sorted(got) == sorted(f"user{i}" for i in range(10))


async def test_new_group_starts_at_0_and_live_group_can_start_at_end(
    make_bus: MakeBus, stream: str
) -> None:  # fmt: skip
    publisher = make_bus()
    await publisher.start()
    await publisher.publish_many([auth(0), auth(1)])
    from_zero = make_bus()
    assert flat(await take(from_zero.subscribe("storage"), want=2)) == ["user0", "user1"]
    from_end = make_bus(new_group_start="$")
    later = from_end.subscribe("late")
    reader = asyncio.create_task(take(later, want=1))
    async with asyncio.timeout(60):  # the reader creates its group at the end of the stream
        while "late" not in {
            str(g["name"], "utf-8") if isinstance(g["name"], bytes) else g["name"]
            for g in await publisher.redis.xinfo_groups(stream)
        }:
            await asyncio.sleep(0.02)
    await publisher.publish(auth(2))
    assert flat(await reader) == ["user2"]


async def test_ack_removes_exactly_that_batch_from_pending(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus()
    await bus.start()
    await bus.publish_many([auth(i) for i in range(6)])
    it = bus.subscribe("storage", batch_size=3)
    first, second = await take(it, want=3), await take(it, want=3)
    assert (await bus.redis.xpending(stream, "storage"))["pending"] == 6
    await first[0].ack()
    pending = await bus.redis.xpending_range(stream, "storage", "-", "+", 10)
    assert [p["message_id"] for p in pending] == list(second[0].ids)  # type: ignore[attr-defined]
    await second[0].ack()
    await second[0].ack()  # idempotent
    assert (await bus.redis.xpending(stream, "storage"))["pending"] == 0
    assert bus.stats.acked == 6


async def test_dead_consumers_entries_are_claimed_after_idle(make_bus: MakeBus) -> None:
    dead = make_bus()
    await dead.start()
    await dead.publish_many([auth(i) for i in range(5)])
    taken = await take(dead.subscribe("storage", consumer="dead", batch_size=3), want=3)
    await dead.close()  # gone without ack
    heir = make_bus(claim_idle_ms=300)
    got = await take(heir.subscribe("storage", consumer="heir", batch_size=10), want=5)
    names = flat(got)
    assert sorted(names) == [f"user{i}" for i in range(5)]
    assert set(flat(taken)) <= set(names)
    assert heir.stats.redelivered == 3
    for batch in got:
        await batch.ack()


async def test_restarted_consumer_gets_its_own_pending_first(make_bus: MakeBus) -> None:
    first = make_bus(claim_idle_ms=60_000)  # no claiming: own history only
    await first.start()
    await first.publish_many([auth(i) for i in range(4)])
    await take(first.subscribe("storage", consumer="writer-1", batch_size=2), want=2)
    await first.close()
    again = make_bus(claim_idle_ms=60_000)
    got = await take(again.subscribe("storage", consumer="writer-1", batch_size=2), want=4)
    assert flat(got) == ["user0", "user1", "user2", "user3"]
    assert again.stats.redelivered == 2


async def test_kind_filter_acks_other_kinds_at_once(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus()
    await bus.start()
    opened = ConnectionOpened(sensor=SensorRef(node="n", component="ssh"), protocol="ssh")
    await bus.publish_many([auth(0), opened, auth(1)])
    it = bus.subscribe("conn", kinds=frozenset({"connection.opened"}))
    (batch,) = await take(it, want=1)
    assert [e.kind for e in batch.events] == ["connection.opened"]
    assert (await bus.redis.xpending(stream, "conn"))["pending"] == 1
    await batch.ack()
    assert (await bus.redis.xpending(stream, "conn"))["pending"] == 0


async def test_malformed_entries_go_to_dead_letter_and_never_stop_the_consumer(
    make_bus: MakeBus, stream: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = make_bus(malformed_log_every=2)
    await bus.start()
    await bus.publish(auth(0))
    bad = [
        {b"v": b"1", b"kind": b"auth.attempt", b"data": b"{not json"},
        {b"v": b"1", b"kind": b"nope.nope", b"data": b"{}"},
        {b"v": b"1", b"kind": b"auth.attempt", b"data": b'{"kind": "auth.attempt"}'},
        {b"garbage": b"\xff\xfe"},
    ]
    for fields in bad:
        await bus.redis.xadd(stream, fields)  # type: ignore[arg-type]
    await bus.publish(auth(1))
    batches = await take(bus.subscribe("storage", batch_size=100), want=2)
    assert flat(batches) == ["user0", "user1"]
    assert bus.stats.malformed == 4
    parked = await bus.redis.xrange(stream + ":dead")
    assert [f[b"raw_data"] for _, f in parked[:3]] == [b[b"data"] for b in bad[:3]]
    assert parked[3][1][b"raw_garbage"] == b"\xff\xfe"
    assert all(f[b"error"] and f[b"group"] == b"storage" for _, f in parked)
    assert (await bus.redis.xpending(stream, "storage"))["pending"] == 2  # only the good ones
    logged = [r for r in caplog.records if "malformed entry" in r.getMessage()]
    assert len(logged) == 3  # 1st, 2nd, 4th


async def test_maxlen_trims_approximately(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus(maxlen=1000)
    await bus.start()
    for start in range(0, 5000, 500):
        await bus.publish_many([auth(i) for i in range(start, start + 500)])
    length = await bus.redis.xlen(stream)
    assert 1000 <= length < 5000
    assert bus.stats.published == 5000


async def test_lossy_subscription_sees_only_new_events_without_a_group(
    make_bus: MakeBus, stream: str
) -> None:
    bus = make_bus()
    await bus.start()
    await bus.publish(auth(0))  # before the live view: never shown
    live = bus.subscribe("live", lossy=True, kinds=frozenset({"auth.attempt"}))
    reader = asyncio.create_task(take(live, want=2))
    await asyncio.sleep(0.3)
    await bus.publish_many([auth(1), auth(2)])
    batches = await reader
    assert flat(batches) == ["user1", "user2"]
    await batches[0].ack()  # a no-op
    assert await bus.redis.xinfo_groups(stream) == []


async def test_unreachable_redis_without_spool_raises_bus_unavailable() -> None:
    bus = RedisStreamsBus(f"redis://127.0.0.1:{free_port()}/0", stream="x")
    with pytest.raises(BusUnavailable):
        await bus.start()
    with pytest.raises(BusUnavailable):
        await bus.publish(auth(0))
    assert not await bus.healthy()
    await bus.close()


async def test_close_ends_a_blocked_subscription(make_bus: MakeBus) -> None:
    bus = make_bus(block_ms=200)
    await bus.start()
    it = bus.subscribe("storage")
    reader = asyncio.create_task(anext(it))
    await asyncio.sleep(0.3)
    await bus.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reader, 60)


async def test_aclose_from_another_task_ends_a_waiting_iteration(
    make_bus: MakeBus, stream: str
) -> None:
    bus = make_bus(block_ms=100)
    await bus.start()
    sub = bus.subscribe("storage")
    waiting = asyncio.create_task(anext(sub))  # blocked in XREADGROUP, as a reader task is
    await asyncio.sleep(0.3)
    await sub.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 60)
    await bus.publish(auth(0))  # the group is still there and keeps the event for later
    again = await take(bus.subscribe("storage"), want=1)
    assert flat(again) == ["user0"]


async def test_unsubscribe_ends_live_views_of_that_group_only(make_bus: MakeBus) -> None:
    bus = make_bus(block_ms=100)
    await bus.start()
    gone = bus.subscribe("sse-1", lossy=True)
    kept = bus.subscribe("sse-2", lossy=True)
    waiting = asyncio.create_task(anext(gone))
    reader = asyncio.create_task(take(kept, want=1))
    await asyncio.sleep(0.3)
    bus.unsubscribe("sse-1")
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 60)
    await bus.publish(auth(1))
    assert flat(await reader) == ["user1"]


async def test_consumer_names_carry_the_node(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus(consumer_prefix="edge-1")
    await bus.start()
    await bus.publish(auth(0))
    await take(bus.subscribe("storage"), want=1)
    pending = await bus.redis.xpending(stream, "storage")
    assert pending["consumers"] == [{"name": b"edge-1:c1", "pending": 1}]


async def test_stream_deleted_under_a_consumer_is_recreated(make_bus: MakeBus, stream: str) -> None:
    bus = make_bus()
    await bus.start()
    sub = bus.subscribe("storage")
    await bus.publish(auth(0))
    await (await take(sub, want=1))[0].ack()
    await bus.redis.delete(stream)  # an operator wiped it: the group is gone too
    await bus.publish(auth(1))
    assert flat(await take(sub, want=1)) == ["user1"]
