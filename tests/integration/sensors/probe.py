"""A running door and everything it published, for the door tests (one copy for every door).

:meth:`DoorProbe.settle` is how a test knows it has *all* the events of the sessions that
ended: it waits until the door holds no session (a session publishes its last event before
it releases its slot), then reads the bus up to a marker published after that. No quiet
period is guessed, so a busy machine only makes it slower, never wrong.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import SensorStatus
from phantomnet.events.base import SensorRef
from phantomnet.sensors.base import Sensor

S = TypeVar("S", bound=Sensor)


class DoorProbe(Generic[S]):
    def __init__(self, sensor: S, bus: MemoryBus) -> None:
        self.sensor, self.bus = sensor, bus
        self.sub = bus.subscribe("test")
        self.seen: list[Any] = []

    @property
    def port(self) -> int:
        assert self.sensor.bound_port is not None
        return self.sensor.bound_port

    async def events(self, kind: type, n: int = 1, timeout: float = 60) -> list[Any]:
        """The first ``n`` events of ``kind`` (waits for them)."""
        async with asyncio.timeout(timeout):
            while len([e for e in self.seen if isinstance(e, kind)]) < n:
                self.seen.extend((await anext(self.sub)).events)
        return [e for e in self.seen if isinstance(e, kind)]

    async def settle(self, timeout: float = 120) -> list[Any]:
        """Every event published so far, once no session is open (see the module doc)."""
        assert await self.sensor.limiter.wait_idle(timeout), "sessions still open"
        marker = SensorStatus(sensor=SensorRef(node="test", component="probe"), state="up")
        await self.bus.publish(marker)
        async with asyncio.timeout(timeout):
            while not any(e.event_id == marker.event_id for e in self.seen):
                self.seen.extend((await anext(self.sub)).events)
        self.seen = [e for e in self.seen if e.event_id != marker.event_id]
        return self.seen
