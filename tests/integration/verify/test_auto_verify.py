"""Automatic verification: a ``dns_spoof`` detection on the bus is verified through real
dnsmasq resolvers, its ``verification.result`` published, stored by the real storage writer
in ``verification_result``, and the detection marked verified (confirmed) or refuted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Detection, Endpoint, SensorRef, VerificationResult
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade_async
from phantomnet.storage.tables import DetectionRow, VerificationRow
from phantomnet.storage.writer import StorageWriter
from phantomnet.verify.component import VerificationComponent
from phantomnet.verify.config import verify_config
from phantomnet.verify.observed import OBSERVED_PATH
from phantomnet.verify.verifier import Verifier
from tests.integration.verify.loop_lab import LIE_IP, NAME, TRUE_IP, lab

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

#: generous: the verification is never raced against a busy machine
WAIT_S = 120.0


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'auto.db'}"
    await upgrade_async(url)
    eng = make_engine(url)
    yield eng
    await eng.dispose()


async def until(cond: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WAIT_S):
        while not await cond():
            await asyncio.sleep(0.05)


def spoof(
    subject: str | None = NAME,
    rule: str = "dns_spoof",
    observed: tuple[tuple[str, ...], ...] = (),
) -> Detection:
    now = datetime.now(UTC)
    return Detection(
        sensor=SensorRef(node="n", component=f"monitor.{rule}"),
        src=Endpoint(ip="198.51.100.7"),
        rule=rule, severity="high", protocol="dns", target=Endpoint(ip="10.0.0.5", port=53),
        first_seen=now, last_seen=now, count=2, summary=f"DNS spoofing suspected for {subject}",
        detector=f"monitor.{rule}", subject=subject, observed=observed,
    )  # fmt: skip


class Running:
    """The writer and the verification component, started and run in the background."""

    def __init__(self, engine: AsyncEngine, section: dict[str, Any]) -> None:
        self.bus = MemoryBus(queue_size=1000)
        self.writer = StorageWriter(self.bus, engine, flush_interval_s=0.05)
        self.verifier = Verifier(verify_config(section))
        self.component = VerificationComponent(self.verifier, self.bus, "test-node")
        self.results = self.bus.subscribe("t", kinds=frozenset({"verification.result"}))
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Running:
        await self.writer.start()
        await self.component.start()
        self.tasks = [
            asyncio.create_task(self.writer.run()),
            asyncio.create_task(self.component.run()),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        # the component first (it publishes), then the writer's own stop (drain, commit)
        self.tasks[1].cancel()
        await asyncio.gather(self.tasks[1], return_exceptions=True)
        async with asyncio.timeout(WAIT_S):
            await self.writer.stop()
        await asyncio.gather(self.tasks[0], return_exceptions=True)

    async def next_result(self) -> VerificationResult:
        async with asyncio.timeout(WAIT_S):
            batch = await anext(aiter(self.results))
        await batch.ack()
        event = batch.events[0]
        assert isinstance(event, VerificationResult)
        return event


async def _row(engine: AsyncEngine, table: Any, **where: Any) -> Any:
    query = select(table)
    for k, v in where.items():
        query = query.where(table.c[k] == v)
    async with engine.connect() as conn:
        return (await conn.execute(query)).mappings().first()


async def test_a_spoof_detection_is_verified_stored_and_marked_confirmed(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    with lab(tmp_path, http=False) as built:
        async with Running(engine, built.verify_section()) as run:
            detection = spoof()
            await run.bus.publish(detection)
            result = await run.next_result()
            assert result.subject_event_id == detection.event_id
            assert result.rule == "dns_spoof" and result.outcome == "confirmed"
            assert result.method == "multipath-dns" and result.target == NAME
            assert result.compromised_paths == ("liar-ns-0",)

            table = VerificationRow.__table__
            dtable = DetectionRow.__table__

            async def stored() -> bool:
                d = await _row(engine, dtable, event_id=detection.event_id)
                return d is not None and d["verified"] is not None

            await until(stored)
            row = await _row(engine, table, event_id=result.event_id)
    assert row["subject_event_id"] == detection.event_id and row["outcome"] == "confirmed"
    assert row["compromised_paths"] == ["liar-ns-0"] and row["paths_checked"] == 3
    marked = await _row(engine, dtable, event_id=detection.event_id)
    assert marked["verified"] is True
    details = marked["verification_details"]
    assert details["outcome"] == "confirmed" and details["result_event_id"] == str(result.event_id)
    assert details["compromised_paths"] == ["liar-ns-0"]


async def test_honest_paths_refute_the_detection(engine: AsyncEngine, tmp_path: Path) -> None:
    with lab(tmp_path, http=False, dns_liars=0) as built:
        async with Running(engine, built.verify_section()) as run:
            detection = spoof()
            await run.bus.publish(detection)
            result = await run.next_result()
            assert result.outcome == "refuted" and result.attack_detected is False

            async def marked() -> bool:
                d = await _row(engine, DetectionRow.__table__, event_id=detection.event_id)
                return d is not None and d["verified"] is False

            await until(marked)


async def test_the_wire_answer_is_judged_against_honest_paths(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Every path honest: the forged answer the monitor saw on the wire is what contradicts
    them, so the spoof is confirmed and the wire is the compromised path; an observed answer
    inside the verified set (a round-robin answer) refutes it."""
    with lab(tmp_path, http=False, dns_liars=0) as built:
        async with Running(engine, built.verify_section(cache_ttl_s=0)) as run:
            forged = spoof(observed=((TRUE_IP,), (LIE_IP,)))
            await run.bus.publish(forged)
            result = await run.next_result()
            assert result.subject_event_id == forged.event_id
            assert result.outcome == "confirmed" and result.attack_detected is True
            assert result.compromised_paths == (OBSERVED_PATH,)
            honest = spoof(observed=((TRUE_IP,),))
            await run.bus.publish(honest)
            again = await run.next_result()
            assert again.subject_event_id == honest.event_id
            assert again.outcome == "refuted" and again.compromised_paths == ()


async def test_a_result_stored_before_its_detection_still_marks_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """The writer may see the result first (other consumer, other batch): the detection takes
    the stored result when it lands."""
    with lab(tmp_path, http=False) as built:
        verifier = Verifier(verify_config(built.verify_section()))
        from phantomnet.verify.path import Question

        verdict = await verifier.ask(Question("dns", NAME))
        assert verdict is not None
        detection = spoof()
        result = verdict.event("n", subject=detection.event_id, rule="dns_spoof")
        bus = MemoryBus(queue_size=100)
        writer = StorageWriter(bus, engine, flush_interval_s=0.05)
        await writer.start()
        task = asyncio.create_task(writer.run())
        try:
            await bus.publish(result)

            async def result_stored() -> bool:
                return (
                    await _row(engine, VerificationRow.__table__, event_id=result.event_id)
                    is not None
                )

            await until(result_stored)
            await bus.publish(detection)

            async def marked() -> bool:
                d = await _row(engine, DetectionRow.__table__, event_id=detection.event_id)
                return d is not None and d["verified"] is True

            await until(marked)
        finally:
            async with asyncio.timeout(WAIT_S):
                await writer.stop()
            await asyncio.gather(task, return_exceptions=True)


async def test_rate_limit_and_what_is_not_verified(engine: AsyncEngine, tmp_path: Path) -> None:
    with lab(tmp_path, http=False) as built:
        section = built.verify_section(auto={"per_rule_burst": 1, "per_rule_per_minute": 0.01})
        async with Running(engine, section) as run:
            comp = run.component
            first, second = spoof(), spoof()
            await run.bus.publish_many(
                [spoof(subject=None), spoof(rule="port_scan"), first, second]
            )
            result = await run.next_result()
            assert result.subject_event_id == first.event_id

            async def counted() -> bool:
                return comp.counts["rate_limited"] == 1 and comp.counts["confirmed"] == 1

            await until(counted)
            assert comp.counts["no_subject"] == 1
            assert comp.counts["confirmed"] == 1
            assert comp.describe()["rate_limited"] == 1
