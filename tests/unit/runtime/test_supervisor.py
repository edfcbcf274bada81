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
    await asyncio.wait_for(task, 60)
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
        await asyncio.wait_for(supervise([a, b], asyncio.Event()), 60)
    assert a.log[-1] == "stop" and b.log[-1] == "stop"
