"""The HTTP sensor on 127.0.0.1 (HTTP and HTTPS on port 0) with an in-memory bus."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from tests.integration.sensors.probe import DoorProbe


class Web(DoorProbe[HttpSensor]):
    """A running sensor and everything it published so far."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sensor.bound_port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.sensor.tls_bound_port}"

    @property
    def host(self) -> FakeHost:
        return self.sensor.site.host


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path / "data")
    sensor = HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=0), ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    yield Web(sensor, bus)
    await sensor.stop()
    task.cancel()


async def run(
    *cmd: str, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a real client off the event loop (the sensor keeps serving meanwhile)."""
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout, cwd=cwd
    )
