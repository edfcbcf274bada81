"""The response component outlives its database: a failing expiry sweep or auto-block is
retried with backoff, whatever it raises (issue 11: ``ConnectionRefusedError`` from the
sweep ended the server)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from response_fakes import MemoryStore, ScriptedRunner
from test_response_policy_component import score

from phantomnet.bus.memory import MemoryBus
from phantomnet.response.blockers.dryrun import DryRunBlocker
from phantomnet.response.component import ResponseComponent
from phantomnet.response.config import AutoBlockConfig, ResponseConfig
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService
from phantomnet.response.store import BlockRecord, NewBlock

DEADLINE_S = 30


class FlakyStore(MemoryStore):
    """A store whose database refuses the first ``failures`` calls of ``due``/``insert``."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.due_failures = self.insert_failures = failures

    async def due(self, now: datetime, limit: int) -> list[BlockRecord]:
        if self.due_failures:
            self.due_failures -= 1
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        return await super().due(now, limit)

    async def insert(self, block: NewBlock) -> BlockRecord:
        if self.insert_failures:
            self.insert_failures -= 1
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        return await super().insert(block)


async def until(condition: object) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), DEADLINE_S)


async def test_sweep_and_auto_block_survive_a_refusing_database(runner: ScriptedRunner) -> None:
    config = ResponseConfig(
        auto=AutoBlockConfig(enabled=True), reconcile_interval_s=3600, expiry_interval_s=0.01
    )
    store = FlakyStore(failures=0)
    service = ResponseService(
        config, store, DryRunBlocker(config, runner), Safety(config, runner), node="n1"
    )
    bus = MemoryBus()
    component = ResponseComponent(service, bus)
    await component.start()
    store.due_failures = store.insert_failures = 3  # the database goes away after start
    task = asyncio.create_task(component.run())
    try:
        await asyncio.sleep(0)
        await bus.publish(score("203.0.113.7"))
        await until(lambda: store.due_failures == 0 and len(store.rows) == 1)
        await until(lambda: bus.stats.acked == 1 and component.health.failing_since is None)
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [r.target for r in store.rows] == ["203.0.113.7"]
    assert component.auto_blocks == 1
    assert component.health.failures == 6
    assert component.describe()["state"] == "up"
