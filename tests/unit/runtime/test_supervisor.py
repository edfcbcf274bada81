"""The supervisor starts all-or-nothing, stops everything on a signal, restarts a crash."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from phantomnet.plugins import Component
from phantomnet.runtime.supervisor import RestartPolicy, supervise

FAST = RestartPolicy(first_s=0.01, max_s=0.05, healthy_after_s=0.2)
DEADLINE_S = 30


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (generous deadline: the outcome matters, not the speed)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), DEADLINE_S)


class Probe(Component):
    """``crashes`` runs raise, then runs last; ``fail_restarts`` restart starts raise."""

    def __init__(
        self,
        name: str,
        *,
        fail_start: bool = False,
        crash: bool = False,
        crashes: int = 0,
        fail_restarts: int = 0,
        finish: bool = False,
    ) -> None:
        self.name = name  # type: ignore[misc]
        self.fail_start = fail_start
        self.crashes = 1_000_000 if crash else crashes
        self.fail_restarts = fail_restarts
        self.finish = finish
        self.log: list[str] = []
        self.runs = 0
        self.steady = asyncio.Event()

    async def start(self) -> None:
        if self.fail_start:
            raise OSError("port taken")
        if self.runs and self.fail_restarts:
            self.fail_restarts -= 1
            self.log.append("start-failed")
            raise ConnectionRefusedError("database refused")
        self.log.append("start")

    async def run(self) -> None:
        self.log.append("run")
        self.runs += 1
        if self.runs <= self.crashes:
            raise RuntimeError(f"boom {self.runs}")
        if self.finish:
            return
        self.steady.set()
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


async def test_a_crash_is_restarted_alone_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = Probe("a"), Probe("b", crashes=3)
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="phantomnet.runtime.supervisor"):
        task = asyncio.create_task(supervise([a, b], stop, policy=FAST))
        await asyncio.wait_for(b.steady.wait(), DEADLINE_S)
        assert a.log == ["start", "run"]  # never touched by b's failures
        assert b.log == ["start", "run", *["stop", "start", "run"] * 3]
        assert (b.health.restarts, b.health.failures) == (3, 3)
        assert b.health.last_error == "crashed: RuntimeError: boom 3"
        assert b.health.state == "degraded" and b.health.failing_since is not None
        stop.set()
        await asyncio.wait_for(task, DEADLINE_S)
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    # logged once with the traceback, then one line per failure
    assert [r.exc_info is not None for r in failures] == [True, False, False]
    assert a.log[-1] == "stop" and b.log[-1] == "stop"


async def test_a_restarted_component_is_up_again_once_it_keeps_running() -> None:
    b = Probe("b", crashes=1)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise([b], stop, policy=FAST))
    await asyncio.wait_for(b.steady.wait(), DEADLINE_S)
    await until(lambda: b.health.state == "up")
    assert b.health.failing_since is None and b.health.restarts == 1
    stop.set()
    await asyncio.wait_for(task, DEADLINE_S)


async def test_a_restart_whose_start_fails_is_retried() -> None:
    b = Probe("b", crashes=1, fail_restarts=2)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise([b], stop, policy=FAST))
    await asyncio.wait_for(b.steady.wait(), DEADLINE_S)
    failed_restart = ["stop", "start-failed"]
    assert b.log == ["start", "run", *failed_restart * 2, "stop", "start", "run"]
    assert b.health.failures == 3
    assert "ConnectionRefusedError" in (b.health.last_error or "")
    stop.set()
    await asyncio.wait_for(task, DEADLINE_S)


async def test_a_run_that_returns_is_finished_not_restarted() -> None:
    a, b = Probe("a"), Probe("b", finish=True)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise([a, b], stop, policy=FAST))
    await asyncio.wait_for(a.steady.wait(), DEADLINE_S)
    await until(lambda: b.health.state == "stopped")
    assert not task.done()
    assert b.log == ["start", "run"]
    stop.set()
    await asyncio.wait_for(task, DEADLINE_S)


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
