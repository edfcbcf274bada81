"""The supervisor starts all-or-nothing, stops everything on a signal or a crash."""

from __future__ import annotations

import asyncio

import pytest

from phantomnet.plugins import Component
from phantomnet.runtime.supervisor import supervise


class Probe(Component):
    def __init__(self, name: str, *, fail_start: bool = False, crash: bool = False) -> None:
        self.name = name
        self.fail_start = fail_start
        self.crash = crash
        self.log: list[str] = []

    async def start(self) -> None:
        if self.fail_start:
            raise OSError("port taken")
        self.log.append("start")

    async def run(self) -> None:
        self.log.append("run")
        if self.crash:
            raise RuntimeError("boom")
        await asyncio.Event().wait()

    async def stop(self) -> None:
        self.log.append("stop")


async def test_stop_event_stops_every_component() -> None:
    a, b = Probe("a"), Probe("b")
    stop = asyncio.Event()
    task = asyncio.create_task(supervise([a, b], stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert a.log == ["start", "run", "stop"] and b.log == ["start", "run", "stop"]


async def test_failed_start_stops_the_already_started() -> None:
    a, b = Probe("a"), Probe("b", fail_start=True)
    with pytest.raises(OSError, match="port taken"):
        await supervise([a, b], asyncio.Event())
    assert a.log == ["start", "stop"]
    assert b.log == []


async def test_a_crash_stops_everything_and_propagates() -> None:
    a, b = Probe("a"), Probe("b", crash=True)
    with pytest.raises(RuntimeError, match="boom"):
        await asyncio.wait_for(supervise([a, b], asyncio.Event()), 5)
    assert a.log[-1] == "stop" and b.log[-1] == "stop"


class SlowStop(Probe):
    """A consumer whose stop needs longer than an equal share of the old 4 s budget."""

    async def stop(self) -> None:
        self.log.append("stopping")
        await asyncio.sleep(3)
        self.log.append("stop")


async def test_stop_all_shares_one_deadline_and_stops_consumers_last() -> None:
    from phantomnet.runtime.supervisor import stop_all

    order: list[str] = []

    class Producer(Probe):
        async def stop(self) -> None:
            order.append(self.name)

    class Consumer(SlowStop):
        async def stop(self) -> None:
            order.append(self.name)
            await super().stop()

    writer, sensor = Consumer("writer"), Producer("sensor")
    await stop_all([writer, sensor, Producer("heartbeat")])  # start order: consumers first
    assert order == ["heartbeat", "sensor", "writer"]
    assert writer.log == ["stopping", "stop"], "the writer got the time it needed"
