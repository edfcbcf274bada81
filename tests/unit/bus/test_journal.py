"""Journaled memory bus: a restart (after a crash) replays what the writer had not committed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from phantomnet.bus.journal import JournaledMemoryBus
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import AuthAttempt, Event, SensorRef

REF = SensorRef(node="n1", component="ssh")


def auth(i: int) -> AuthAttempt:
    return AuthAttempt(sensor=REF, protocol="ssh", username=f"user{i}", accepted=False)


def segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("seg-*.jsonl"))


async def take(bus: MemoryBus, n: int, *, ack: bool) -> list[Event]:
    """Read ``n`` events from the storage group (acknowledging each batch if ``ack``)."""
    got: list[Event] = []
    sub = bus.subscribe("storage", batch_size=7)
    async for batch in sub:
        got += batch.events
        if ack:
            await batch.ack()
        if len(got) >= n:
            break
    return got


async def started(folder: Path, **kw: object) -> JournaledMemoryBus:
    bus = JournaledMemoryBus(folder, **kw)  # type: ignore[arg-type]
    await bus.start()
    return bus


async def test_unacknowledged_events_are_replayed_after_a_crash(tmp_path: Path) -> None:
    bus = await started(tmp_path)
    sub = bus.subscribe("storage", batch_size=30)  # the writer, which then "dies"
    events = [auth(i) for i in range(100)]
    await asyncio.gather(*(bus.publish(e) for e in events[:60]))  # concurrent: group commit
    await bus.publish_many(events[60:])
    first = await anext(sub)
    await first.ack()  # committed: released; the other 70 were not
    assert bus.journal.syncs < 61
    # No close(): the process is gone. A new one on the same directory gets them back
    # (with the released ones of the same segment: the writer ignores those duplicates).
    again = await started(tmp_path)
    replayed = await take(again, again.journal.replayed, ack=False)
    assert {e.event_id for e in events[30:]} <= {e.event_id for e in replayed}
    assert len(replayed) == len({e.event_id for e in replayed}) <= 100


async def test_committed_events_leave_nothing(tmp_path: Path) -> None:
    bus = await started(tmp_path)
    reader = asyncio.create_task(take(bus, 50, ack=True))
    await asyncio.sleep(0)
    await bus.publish_many([auth(i) for i in range(50)])
    assert len(await reader) == 50
    assert segments(tmp_path) == []  # released as soon as committed, even without close()
    again = await started(tmp_path)
    assert again.journal.replayed == 0


async def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    bus = await started(tmp_path)
    bus.subscribe("storage")
    await bus.publish_many([auth(i) for i in range(3)])
    seg = segments(tmp_path)[-1]
    with seg.open("ab") as f:
        f.write(b'{"kind": "auth.attempt", "even')  # killed mid-write
    again = await started(tmp_path)
    assert again.journal.replayed == 3 and again.journal.malformed == 1


async def test_bounded_publishers_wait_for_commits(tmp_path: Path) -> None:
    bus = await started(tmp_path, max_bytes=8192)
    sizes: list[int] = []
    reader = asyncio.create_task(take(bus, 300, ack=True))
    await asyncio.sleep(0)
    for i in range(300):
        await bus.publish(auth(i))
        sizes.append(bus.journal.size)
    assert len(await reader) == 300
    assert max(sizes) <= 8192


async def test_no_storage_group_no_journal(tmp_path: Path) -> None:
    bus = await started(tmp_path)
    await bus.publish(auth(1))  # a process without a writer: nothing would release it
    assert segments(tmp_path) == []


def test_factory_builds_it_from_settings(tmp_path: Path) -> None:
    import pytest

    from phantomnet.bus.factory import make_bus
    from phantomnet.errors import ConfigError
    from phantomnet.settings import BusSettings

    cfg = BusSettings(journal=True)
    assert isinstance(make_bus(cfg, journal_dir=tmp_path), JournaledMemoryBus)
    assert not isinstance(make_bus(BusSettings(), journal_dir=tmp_path), JournaledMemoryBus)
    with pytest.raises(ConfigError, match=r"bus\.journal"):
        make_bus(cfg)
