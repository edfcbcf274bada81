"""``event_stream`` on its own: framing, keep-alives, bus failure, release of the group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from phantomnet.api.routes.stream import event_stream
from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import BusUnavailable
from phantomnet.events import Endpoint, SensorRef
from phantomnet.events.sensor import AuthAttempt


def _event() -> AuthAttempt:
    return AuthAttempt(
        sensor=SensorRef(node="n", component="ssh"),
        src=Endpoint(ip="192.0.2.9"),
        protocol="ssh",
        username="root",
        password="x",
        accepted=False,
    )


async def test_keepalive_then_event_then_release() -> None:
    bus = MemoryBus(queue_size=10)
    stream = event_stream(bus, None, keepalive_s=0.05, batch_size=10)
    assert await anext(stream) == b"retry: 3000\n: connected\n\n"
    assert await anext(stream) == b": keep-alive\n\n"
    event = _event()
    await bus.publish(event)
    frame = await anext(stream)
    assert frame.startswith(f"id: {event.event_id}\nevent: auth.attempt\ndata: ".encode())
    await stream.aclose()
    assert bus._groups == {}


class _BrokenSubscription:
    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        await asyncio.sleep(0)
        raise BusUnavailable("redis went away")


class _BrokenBus(MemoryBus):
    def __init__(self) -> None:
        super().__init__()
        self.left: list[str] = []

    def subscribe(self, group: str, **_: Any) -> Any:  # type: ignore[override]
        return _BrokenSubscription()

    def unsubscribe(self, group: str) -> None:
        self.left.append(group)


async def test_bus_failure_ends_the_stream_cleanly() -> None:
    bus = _BrokenBus()
    frames = [f async for f in event_stream(bus, None, keepalive_s=5, batch_size=10)]
    assert frames == [b"retry: 3000\n: connected\n\n"]
    assert len(bus.left) == 1 and bus.left[0].startswith("sse-")
