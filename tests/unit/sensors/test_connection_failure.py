"""Sensor.connection: a failure inside one conversation ends that connection only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import ConnectionClosed
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext


class Fragile(Sensor):
    """Answers ``ok`` unless the client says ``boom``, then its handler raises."""

    name = "fragile"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.on_connect, "127.0.0.1", 0)
        self.bound_port = int(self.server.sockets[0].getsockname()[1])

    async def on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self.connection(writer) as session:
            if session is None:
                return
            if (await reader.readline()).strip() == b"boom":
                raise RuntimeError("a bug reached by hostile input")
            writer.write(b"ok\n")
            await writer.drain()


async def talk(port: int, line: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(line + b"\n")
    got = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    return got


async def test_a_handler_exception_closes_that_connection_and_the_door_stays(
    tmp_path: Path,
) -> None:
    bus = MemoryBus()
    sub = bus.subscribe("t")
    sensor = Fragile(SensorConfig(host="127.0.0.1", port=0), SensorContext("n", bus, tmp_path))
    await sensor.start()
    assert sensor.bound_port is not None
    try:
        assert await talk(sensor.bound_port, b"boom") == b""
        assert await talk(sensor.bound_port, b"hello") == b"ok\n"
        closed: list[ConnectionClosed] = []
        async with asyncio.timeout(30):
            while len(closed) < 2:
                closed += [e for e in (await anext(sub)).events if isinstance(e, ConnectionClosed)]
        assert sorted(e.reason for e in closed) == ["error", "peer"]
        assert sensor.limiter.active == 0
    finally:
        sensor.server.close()
