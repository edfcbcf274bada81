"""The monitor as a runtime component: live capture -> pipeline -> bus.

The capture is ``monitor/live.py``'s :class:`~phantomnet.monitor.live.LiveCapture`, the same
one ``phantomnet monitor --interface`` uses. It runs in one worker thread (blocking ring
reads, CPU-bound numpy); finished event lists cross to the event loop through a bounded
queue and are published with ``publish_many``. If the bus falls behind, the queue fills and
the worker blocks, the ring fills, and the kernel counts drops (reported in
``network.stats`` and ``describe()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping
from typing import Any

from phantomnet.bus.base import EventBus
from phantomnet.events import Event
from phantomnet.monitor.config import MonitorConfig, load_monitor_config, with_doors
from phantomnet.plugins import Component
from phantomnet.settings import Settings

QUEUE_BATCHES = 64


class MonitorComponent(Component):
    """Capture on ``config.interface`` and publish every event the pipeline produces."""

    name = "monitor"

    def __init__(self, config: MonitorConfig, bus: EventBus, node: str) -> None:
        self.config = config
        self.bus = bus
        self.node = node
        self.stop_flag = threading.Event()
        self.live: Any = None
        self.published = 0
        self.error: str | None = None
        self._worker: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Open the ring now so a bad interface, BPF or missing privilege stops start-up."""
        from phantomnet.monitor.live import LiveCapture

        self.live = LiveCapture(self.config, self.node)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[list[Event] | None] = asyncio.Queue(QUEUE_BATCHES)
        worker = loop.run_in_executor(None, self._work, loop, queue)
        self._worker = worker
        try:
            while True:
                events = await queue.get()
                if events is None:
                    break
                await self.bus.publish_many(events)
                self.published += len(events)
        finally:
            self.stop_flag.set()
            await asyncio.shield(worker)

    def _work(
        self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[list[Event] | None]
    ) -> None:
        live = self.live
        put = asyncio.run_coroutine_threadsafe
        try:
            for events in live.events(self.stop_flag.is_set):
                put(queue.put(events), loop).result()
            final = live.finish()
            if final:
                put(queue.put(final), loop).result()
        except Exception as exc:  # reported through describe(); the component then ends
            self.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            put(queue.put(None), loop)

    async def stop(self) -> None:
        self.stop_flag.set()
        if self._worker is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._worker), timeout=3.0)
        if self.live is not None:
            self.live.close()

    def describe(self) -> dict[str, object]:
        return {
            "interface": self.config.interface,
            "bpf": self.config.bpf,
            "packets": self.live.packets if self.live is not None else 0,
            "kernel_drops": self.live.dropped if self.live is not None else 0,
            "events": self.published,
            "error": self.error,
        }


def build_monitor(
    settings: Settings,
    bus: EventBus,
    doors: Mapping[int, str] | None = None,
    request_doors: tuple[tuple[str, int], ...] = (),
) -> list[Component]:
    """The monitor component when ``[monitor] interface`` is set, else nothing.

    ``doors`` (port -> protocol of the login doors, from the sensors) is what the wire
    brute force watches; ``request_doors`` are the HTTP doors the wire web rules skip."""
    config = load_monitor_config(settings.monitor)
    if not config.interface:
        return []
    config = with_doors(config, doors or {}, request_doors)
    return [MonitorComponent(config, bus, settings.node)]
