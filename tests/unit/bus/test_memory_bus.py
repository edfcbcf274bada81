"""Memory bus: fan-out, shared work, back-pressure, lossy drop, redelivery, close."""

from __future__ import annotations

import asyncio

import pytest

from phantomnet.bus.base import EventBus
from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import BusError
from phantomnet.events import AuthAttempt, ConnectionOpened, Event, SensorRef

REF = SensorRef(node="n1", component="ssh")


def auth(i: int) -> AuthAttempt:
    return AuthAttempt(sensor=REF, protocol="ssh", username=f"user{i}", accepted=False)


def names(events: list[Event]) -> list[str]:
    return [e.username for e in events if isinstance(e, AuthAttempt)]


async def test_is_an_event_bus() -> None:
    assert isinstance(MemoryBus(), EventBus)


async def test_every_group_gets_every_event_in_order() -> None:
    bus = MemoryBus()
    storage = bus.subscribe("storage")
    detectors = bus.subscribe("detectors", batch_size=2)
    await bus.publish_many([auth(i) for i in range(3)])
    got = list((await anext(storage)).events)
    assert names(got) == ["user0", "user1", "user2"]
    assert names(list((await anext(detectors)).events)) == ["user0", "user1"]
    assert names(list((await anext(detectors)).events)) == ["user2"]
    assert bus.stats.published == 3 and bus.stats.delivered == 6


async def test_consumers_of_one_group_share_the_work() -> None:
    bus = MemoryBus()
    a = bus.subscribe("storage", consumer="a", batch_size=2)
    b = bus.subscribe("storage", consumer="b", batch_size=2)
    await bus.publish_many([auth(i) for i in range(4)])
    first, second = await anext(a), await anext(b)
    assert names(list(first.events)) + names(list(second.events)) == [f"user{i}" for i in range(4)]


async def test_waiting_consumers_all_wake_up_for_a_big_publish() -> None:
    bus = MemoryBus()
    subs = [bus.subscribe("g", consumer=c, batch_size=1) for c in "ab"]
    waiting = [asyncio.create_task(anext(s)) for s in subs]
    await asyncio.sleep(0)
    await bus.publish_many([auth(0), auth(1)])
    done = await asyncio.wait_for(asyncio.gather(*waiting), 60)
    assert sorted(names([e for b in done for e in b.events])) == ["user0", "user1"]


async def test_kinds_filter_per_group() -> None:
    bus = MemoryBus()
    only_conn = bus.subscribe("conn", kinds=frozenset({"connection.opened"}))
    everything = bus.subscribe("all")
    await bus.publish(auth(0))
    await bus.publish(ConnectionOpened(sensor=REF, protocol="ssh"))
    assert [e.kind for e in (await anext(only_conn)).events] == ["connection.opened"]
    assert len((await anext(everything)).events) == 2


async def test_full_group_applies_back_pressure_until_a_consumer_reads() -> None:
    bus = MemoryBus(queue_size=2)
    sub = bus.subscribe("storage", batch_size=10)
    publisher = asyncio.create_task(bus.publish_many([auth(i) for i in range(5)]))
    await asyncio.sleep(0.01)
    assert not publisher.done()  # blocked on the third event
    seen: list[str] = []
    while len(seen) < 5:
        seen += names(list((await asyncio.wait_for(anext(sub), 60)).events))
    await asyncio.wait_for(publisher, 60)
    assert seen == [f"user{i}" for i in range(5)]
    assert bus.stats.dropped == 0


async def test_lossy_group_drops_oldest_and_never_blocks() -> None:
    bus = MemoryBus(queue_size=3)
    live = bus.subscribe("live", lossy=True, batch_size=10)
    await asyncio.wait_for(bus.publish_many([auth(i) for i in range(5)]), 60)
    assert names(list((await anext(live)).events)) == ["user2", "user3", "user4"]
    assert bus.stats.dropped == 2


async def test_unacked_batch_goes_back_to_the_group_when_its_consumer_leaves() -> None:
    bus = MemoryBus()
    first = bus.subscribe("storage", consumer="a", batch_size=2)
    await bus.publish_many([auth(i) for i in range(3)])
    batch = await anext(first)
    await first.aclose()  # "crashed" before ack
    second = bus.subscribe("storage", consumer="b", batch_size=10)
    assert names(list((await anext(second)).events)) == ["user0", "user1", "user2"]
    assert names(list(batch.events)) == ["user0", "user1"]
    assert bus.stats.redelivered == 2


async def test_acked_batch_is_not_redelivered() -> None:
    bus = MemoryBus()
    first = bus.subscribe("storage", batch_size=2)
    await bus.publish_many([auth(i) for i in range(3)])
    await (await anext(first)).ack()
    await first.aclose()
    second = bus.subscribe("storage")
    assert names(list((await anext(second)).events)) == ["user2"]
    assert bus.stats.acked == 2


async def test_lossy_group_is_forgotten_with_its_last_consumer() -> None:
    bus = MemoryBus(queue_size=1)
    live = bus.subscribe("live", lossy=True)
    await live.aclose()
    await bus.publish(auth(0))
    again = bus.subscribe("live", lossy=True)
    await bus.publish(auth(1))
    assert names(list((await anext(again)).events)) == ["user1"]


async def test_group_definition_conflict_is_refused() -> None:
    bus = MemoryBus()
    bus.subscribe("g", kinds=frozenset({"auth.attempt"}))
    with pytest.raises(BusError):
        bus.subscribe("g")
    with pytest.raises(BusError):
        bus.subscribe("g", kinds=frozenset({"auth.attempt"}), lossy=True)


async def test_close_drains_then_stops_and_wakes_blocked_parties() -> None:
    bus = MemoryBus(queue_size=1)
    sub = bus.subscribe("storage")
    other = bus.subscribe("idle")
    await bus.publish(auth(0))
    blocked = asyncio.create_task(bus.publish(auth(1)))  # "idle" is full: waits
    waiting = asyncio.create_task(anext(bus.subscribe("empty")))
    await asyncio.sleep(0.01)
    await bus.close()
    await asyncio.wait_for(blocked, 60)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 60)
    assert names(list((await anext(sub)).events)) == ["user0"]
    with pytest.raises(StopAsyncIteration):
        await anext(sub)
    assert names(list((await anext(other)).events)) == ["user0"]
    await bus.publish(auth(2))
    assert bus.stats.dropped >= 2  # after close, and for the closed full groups
    assert not await bus.healthy()


async def test_debug_roundtrip_delivers_an_equal_copy_through_json() -> None:
    bus = MemoryBus(debug_roundtrip=True)
    sub = bus.subscribe("g")
    event = auth(7)
    await bus.publish(event)
    (got,) = (await anext(sub)).events
    assert got == event and got is not event


async def test_aclose_from_another_task_ends_a_waiting_iteration() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("storage")
    waiting = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    await sub.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 60)
    await bus.publish(auth(0))  # the non-lossy group outlives its consumer
    assert names(list((await anext(bus.subscribe("storage"))).events)) == ["user0"]


async def test_unsubscribe_ends_every_subscription_of_the_group() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("sse-1", lossy=True)
    waiting = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    bus.unsubscribe("sse-1")
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 60)
