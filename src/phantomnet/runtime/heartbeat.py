"""Publishes a ``sensor.status`` heartbeat for every running component."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

from phantomnet.bus.base import EventBus
from phantomnet.events import SensorRef, SensorStatus
from phantomnet.plugins import Component


class Heartbeat(Component):
    """Every ``interval_s`` tell the world each component is up (or stopping)."""

    name = "heartbeat"

    def __init__(
        self, bus: EventBus, node: str, components: Sequence[Component], interval_s: float = 10
    ) -> None:
        self.bus = bus
        self.node = node
        self.components = components
        self.interval_s = interval_s
        self._stopping = asyncio.Event()

    def statuses(self, state: str = "up") -> list[SensorStatus]:
        out = []
        for comp in self.components:
            if comp is self:
                continue
            info = comp.describe()
            said = info.get("state", state)
            if state == "up" and not comp.health.ok and said in ("up", "starting"):
                said = "degraded"  # restarting or failing, whatever describe() says
            out.append(
                SensorStatus(
                    sensor=SensorRef(node=self.node, component=comp.name),
                    state=_state(said),
                    listen=_opt_str(info.get("listen")),
                    connections=_int(info.get("connections")),
                    events=_int(info.get("events", info.get("connections_total"))),
                    detail=str(info.get("detail", ""))[:512],
                )
            )
        return out

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.bus.publish_many(self.statuses())
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
            except TimeoutError:
                continue

    async def stop(self) -> None:
        self._stopping.set()
        try:
            async with asyncio.timeout(1):
                await self.bus.publish_many(self.statuses("stopping"))
        except (TimeoutError, OSError):
            return


STATES = ("starting", "up", "degraded", "stopping", "down")


def _state(value: object) -> Literal["starting", "up", "degraded", "stopping", "down"]:
    for known in STATES:
        if value == known:
            return known  # type: ignore[return-value]
    return "up"


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)[:128]
