"""Launchers run inside a lab namespace by the live tests.

``mon_run.py cli ARGS...``       runs ``phantomnet monitor ARGS`` (command registered here).
``mon_run.py component IF SECS`` runs MonitorComponent on a memory bus for SECS seconds and
prints every published event as a JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import dump_event
from phantomnet.monitor.component import MonitorComponent
from phantomnet.monitor.config import MonitorConfig


def cli(args: list[str]) -> None:
    from phantomnet.cli import main as cli_main
    from phantomnet.cli.monitor import register

    register(cli_main.app)
    sys.argv = ["phantomnet", *args]
    cli_main.main()


async def component(interface: str, seconds: float) -> None:
    bus = MemoryBus()
    await bus.start()
    comp = MonitorComponent(MonitorConfig(interface=interface), bus, "lab")
    await comp.start()

    async def consume() -> None:
        async for batch in bus.subscribe("test"):
            for event in batch.events:
                sys.stdout.write(dump_event(event).decode() + "\n")
                sys.stdout.flush()
            await batch.ack()

    reader = asyncio.create_task(consume())
    runner = asyncio.create_task(comp.run())
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    await asyncio.sleep(seconds)
    await comp.stop()
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    await asyncio.sleep(0.5)
    reader.cancel()
    sys.stderr.write(f"describe {comp.describe()}\n")


if __name__ == "__main__":
    if sys.argv[1] == "cli":
        cli(sys.argv[2:])
    else:
        asyncio.run(component(sys.argv[2], float(sys.argv[3])))
