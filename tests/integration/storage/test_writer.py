"""StorageWriter on real databases: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet import events as ev
from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
    DetectionRow,
    EventRow,
    Honeytoken,
    PacketLog,
    ScoreRow,
    SensorState,
    TrafficStats,
)
from phantomnet.storage.writer import StorageWriter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


async def until(cond: Callable[[], bool | Awaitable[bool]], timeout: float = 120.0) -> None:
    """Wait for ``cond`` (sync or async), failing after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        ok = cond()
        if not isinstance(ok, bool):
            ok = await ok
        if ok:
            return
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.02)


class Running:
    """A writer on a memory bus, started and run in the background."""

    def __init__(self, engine: AsyncEngine, **kw: Any) -> None:
        self.bus = MemoryBus()
        self.writer = StorageWriter(self.bus, engine, flush_interval_s=0.05, **kw)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        await self.writer.start()
        self.task = asyncio.create_task(self.writer.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def send(self, events: list[Any]) -> None:
        """Publish and wait until the writer has handled (stored or skipped) all of them."""
        target = self.writer.stored + self.writer.duplicates + len(events)
        await self.bus.publish_many(events)
        await until(lambda: self.writer.stored + self.writer.duplicates >= target)


async def one(engine: AsyncEngine, query: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(query)).one()


async def scalar(engine: AsyncEngine, query: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def count(engine: AsyncEngine, model: Any) -> int:
    return int(await scalar(engine, select(func.count()).select_from(model)))


async def test_session_and_derived_tables(engine: AsyncEngine, factory: Any) -> None:
    events = factory.session()
    login = events[4]
    det, score = factory.detection("critical"), None
    score = factory.score(login, 91.5, "HIGH")
    extra = [det, score, factory.packet(True), factory.packet(False), factory.stats()]
    geo = {"country": "Testland", "country_code": "TL", "city": "X", "asn": 64500,
           "latitude": 1.5, "longitude": "bad"}  # fmt: skip
    async with Running(engine, enrich=lambda ip: geo) as run:
        await run.send(events + extra)
        assert run.writer.describe()["stored"] == len(events) + len(extra)
        assert run.bus.stats.acked == len(events) + len(extra)

    assert await count(engine, EventRow) == 13
    s = await one(engine, select(AttackSession))
    assert (s.session_id, s.src_ip, s.protocol, s.component) == (
        factory.session_id, "203.0.113.7", "ssh", "ssh")  # fmt: skip
    assert (s.auth_attempts, s.commands, s.authenticated, s.username) == (4, 2, True, "root")
    assert s.client_version == "SSH-2.0-OpenSSH_9.2"
    assert (s.src_port, s.dst_port, s.end_reason) == (40000, 2222, "peer")
    assert s.recording == "recordings/x.cast" and s.ended_at is not None
    assert s.ended_at.replace(tzinfo=None) > s.started_at.replace(tzinfo=None)

    d = await one(engine, select(DetectionRow))
    assert (d.rule, d.severity, d.src_ip, d.target_port, d.count) == (
        "brute_force", "critical", "203.0.113.7", 2222, 5)  # fmt: skip
    assert d.evidence == ["event:x"]
    # Detection level from severity; the score lands on its subject event and itself.
    levels = dict(await _levels(engine))
    assert levels[det.event_id] == ("HIGH", None)
    assert levels[login.event_id] == ("HIGH", 91.5)
    assert levels[score.event_id] == ("HIGH", 91.5)
    sc = await one(engine, select(ScoreRow))
    assert (sc.subject_event_id, sc.score, sc.decision) == (login.event_id, 91.5, "ALERT")

    a = await one(engine, select(Attacker))
    # 8 session events + detection + suspicious packet; the benign packet is not an attack.
    assert (a.event_count, a.detection_count) == (10, 1)
    assert (a.last_score, a.max_score, a.last_level) == (91.5, 91.5, "HIGH")
    assert a.protocols == ["ssh", "tcp"]
    assert (a.country, a.country_code, a.city, a.asn) == ("Testland", "TL", "X", "64500")
    assert (a.latitude, a.longitude) == (1.5, None)

    pkts = await _rows(engine, select(PacketLog.is_malicious, PacketLog.attack_type))
    assert sorted(pkts, key=str) == sorted([(True, "syn_scan"), (False, None)], key=str)
    st = await one(engine, select(TrafficStats))
    assert (st.total_packets, st.malicious_packets, st.total_bytes, st.node) == (
        100, 3, 6000, "node-a")  # fmt: skip
    proto = await _rows(engine, select(EventRow.kind, EventRow.protocol))
    assert ("network.packet", "tcp") in proto and ("auth.attempt", "ssh") in proto
    assert ("network.stats", "monitor") in proto


async def _rows(engine: AsyncEngine, query: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(query)]


async def _levels(engine: AsyncEngine) -> list[tuple[Any, tuple[Any, Any]]]:
    rows = await _rows(engine, select(EventRow.event_id, EventRow.level, EventRow.score))
    return [(r[0], (r[1], r[2])) for r in rows]


async def _snapshot(engine: AsyncEngine) -> tuple[Any, ...]:
    s = await one(engine, select(AttackSession.auth_attempts, AttackSession.commands))
    a = await one(engine, select(Attacker.event_count, Attacker.detection_count))
    n = [await count(engine, m) for m in (EventRow, DetectionRow, ScoreRow, PacketLog)]
    return (tuple(s), tuple(a), *n)


async def test_redelivered_batch_changes_nothing(engine: AsyncEngine, factory: Any) -> None:
    events = factory.session()
    more = [factory.detection(), factory.score(events[1], 40, "MEDIUM"), factory.packet(True)]
    async with Running(engine) as run:
        await run.send(events + more)
        before = await _snapshot(engine)
        # The bus delivers the same batch again (consumer died before ack, XAUTOCLAIM...).
        await run.send(events + more)
        assert await _snapshot(engine) == before
        assert run.writer.duplicates == len(events + more)
        # A batch mixing replays and new events: only the new ones count.
        new = [factory.command("id"), factory.command("w")]
        await run.send(events[:3] + new)
    after = await _snapshot(engine)
    assert after[0] == (before[0][0], before[0][1] + 2)
    assert after[1] == (before[1][0] + 2, before[1][1])
    assert await count(engine, EventRow) == len(events + more) + 2


async def test_writer_direct_write_is_idempotent(engine: AsyncEngine, factory: Any) -> None:
    writer = StorageWriter(MemoryBus(), engine)
    events = factory.session()
    assert await writer.write(events) == len(events)
    assert await writer.write(events) == 0
    assert await writer.write(list(reversed(events))) == 0
    s = await one(engine, select(AttackSession.auth_attempts))
    assert s.auth_attempts == 4


async def test_enrich_only_on_first_sight(engine: AsyncEngine, factory_cls: Any) -> None:
    calls: list[str] = []

    def enrich(ip: str) -> dict[str, Any]:
        calls.append(ip)
        return {"country": f"C{len(calls)}", "country_code": "TOO-LONG"}

    a, b = factory_cls(ip="192.0.2.1"), factory_cls(ip="2001:db8::1")
    async with Running(engine, enrich=enrich) as run:
        await run.send([a.opened(), b.opened()])
        await run.send([a.command("ls"), b.command("ls")])
    assert sorted(calls) == ["192.0.2.1", "2001:db8::1"]
    rows = await _rows(engine, select(Attacker.ip, Attacker.country, Attacker.country_code,
                                      Attacker.event_count).order_by(Attacker.ip))  # fmt: skip
    assert {r[0]: r[3] for r in rows} == {"192.0.2.1": 2, "2001:db8::1": 2}
    assert {r[1] for r in rows} == {"C1", "C2"} and {r[2] for r in rows} == {"TO"}


async def test_two_writers_in_one_group_count_exactly(
    engine: AsyncEngine, factory_cls: Any
) -> None:
    factories = [factory_cls(ip=f"198.51.100.{i % 4 + 1}") for i in range(12)]
    events = [e for f in factories for e in f.session()]
    calls: list[str] = []
    bus = MemoryBus()
    writers = [
        StorageWriter(bus, engine, batch_size=5, flush_interval_s=0.01, workers=2,
                      enrich=lambda ip: calls.append(ip) or {"country": "T"})
        for _ in range(2)
    ]  # fmt: skip
    for w in writers:
        await w.start()
    tasks = [asyncio.create_task(w.run()) for w in writers]
    try:
        await bus.publish_many(events)
        await until(lambda: sum(w.stored for w in writers) >= len(events), timeout=30)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert all(w.stored > 0 for w in writers), "work was not shared"
    rows = await _rows(engine, select(Attacker.ip, Attacker.event_count, Attacker.country))
    assert sorted(rows) == [(f"198.51.100.{i}", 24, "T") for i in range(1, 5)]
    sessions = await _rows(engine, select(AttackSession.auth_attempts, AttackSession.commands,
                                          AttackSession.authenticated))  # fmt: skip
    assert sessions == [(4, 2, True)] * 12
    assert set(calls) == {f"198.51.100.{i}" for i in range(1, 5)}


async def test_nul_and_status_and_honeytokens(engine: AsyncEngine, factory: Any) -> None:
    t = factory.t
    statuses = [factory.status("up", t, 5), factory.status("degraded", t - timedelta(seconds=9), 1)]
    async with engine.begin() as conn:
        await conn.execute(Honeytoken.__table__.insert().values(
            token_id="aws-1", kind="aws_key", value="AKIA", planted_in="ssh:/root/.aws",
            created_at=t, triggered_count=0))  # fmt: skip
    hits = [
        ev.HoneytokenTriggered(token_id=tid, token_kind="aws_key", protocol="http",
                               sensor=factory.sensor, src=ev.Endpoint(ip="203.0.113.9"),
                               occurred_at=t + timedelta(seconds=i))
        for i, tid in enumerate(["aws-1", "aws-1", "unknown"])
    ]  # fmt: skip
    nul = factory.command("echo a\x00b")
    async with Running(engine) as run:
        await run.send([*statuses, *hits, nul])
        await run.send(hits)  # redelivered: no double count
    st = await one(engine, select(SensorState))
    assert (st.state, st.events) == ("up", 5)  # the older heartbeat did not win
    tok = await one(engine, select(Honeytoken.triggered_count, Honeytoken.last_triggered_at))
    assert tok.triggered_count == 2
    cmd = await scalar(engine, select(EventRow.payload).where(EventRow.event_id == nul.event_id))
    assert cmd["command"] == "echo a\\x00b"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM honeytoken"))).scalar_one() == 1


async def test_stop_stores_what_was_received_then_run_returns(
    engine: AsyncEngine, factory: Any
) -> None:
    bus = MemoryBus()
    writer = StorageWriter(bus, engine, batch_size=3, flush_interval_s=0.05)
    await writer.start()
    task = asyncio.create_task(writer.run())
    events = factory.session()
    await bus.publish_many(events)
    await until(lambda: writer.stored > 0)
    await writer.stop()
    await asyncio.wait_for(task, timeout=10)  # run() returns by itself after stop()
    assert writer.describe()["state"] == "stopped"
    assert bus.stats.acked == writer.stored  # what is acked is exactly what is stored
    assert await count(engine, EventRow) == writer.stored
    await bus.publish(factory.command("late"))  # after stop: not ours any more
    assert await count(engine, EventRow) == writer.stored


async def test_score_stored_before_its_subject_still_lands(
    engine: AsyncEngine, factory: Any
) -> None:
    """The subject may commit after its score (concurrent transactions, other processes)."""
    writer = StorageWriter(MemoryBus(), engine)
    subject = factory.auth("root", "x", False)
    early, late = factory.score(subject, 20, "LOW"), factory.score(subject, 70, "MEDIUM")
    assert await writer.write([late]) == 1
    assert await writer.write([early]) == 1  # older score: must not win later
    assert await writer.write([subject]) == 1
    levels = dict(await _levels(engine))
    assert levels[subject.event_id] == ("MEDIUM", 70.0)
    assert writer._unscored == {}  # delivered, forgotten
    orphan = factory.score(factory.command("never stored"), 5, "LOW")
    await writer.write([orphan])
    assert list(writer._unscored) == [orphan.subject_event_id]


class _FailingAck:
    """A bus batch whose ``ack`` fails (the transport broke right after the commit)."""

    def __init__(self, inner: Any) -> None:
        self.events, self._inner = inner.events, inner

    async def ack(self) -> None:
        from phantomnet.errors import BusUnavailable

        raise BusUnavailable("XACK: connection lost")


class _AckFailsOnceBus(MemoryBus):
    def subscribe(self, group: str, **kw: Any) -> Any:  # type: ignore[override]
        inner = super().subscribe(group, **kw)

        async def batches() -> Any:
            first = True
            async for batch in inner:
                yield _FailingAck(batch) if first else batch
                first = False

        return batches()


async def test_failed_ack_after_commit_is_not_fatal(engine: AsyncEngine, factory: Any) -> None:
    bus = _AckFailsOnceBus()
    writer = StorageWriter(bus, engine, flush_interval_s=0.01)
    await writer.start()
    task = asyncio.create_task(writer.run())
    try:
        first = factory.session()
        await bus.publish_many(first)
        await until(lambda: writer.stored == len(first))
        await until(lambda: "ack failed" in str(writer.last_error))
        await bus.publish_many([*first, factory.command("x")])  # the bus redelivers + new
        await until(lambda: writer.stored == len(first) + 1)
        assert not task.done() and writer.duplicates == len(first)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await count(engine, EventRow) == len(first) + 1
