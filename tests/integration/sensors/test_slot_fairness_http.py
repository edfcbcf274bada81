"""The shared SlotLimiter in ``Sensor.connection`` (HTTP, FTP): slowloris sockets from many
loopback sources fill the door, and a real client from a new /24 is still served."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from tests.conftest import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_slowloris_from_many_sources_cannot_keep_a_new_client_out(tmp_path: Path) -> None:
    require_tool("curl")
    bus = MemoryBus()
    ctx = SensorContext(node="t", bus=bus, data_dir=tmp_path)
    cfg = HttpConfig(host="127.0.0.1", port=0, tls_port=0, max_sessions=40, max_per_source=4,
                     max_per_net=16)  # fmt: skip
    sensor = HttpSensor(cfg, ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    held = []
    try:
        port = sensor.bound_port
        assert port is not None
        for i in range(80):  # 20 sources in 4 /24s, each sending half a request head
            source = f"127.0.{30 + i % 4}.{1 + i % 20}"
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
            except OSError:
                break
            w.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            held.append(w)
        async with asyncio.timeout(30):
            while sensor.limiter.active < 40:
                await asyncio.sleep(0.05)
        assert max(sensor.limiter.per_net.values()) <= 16
        done = await asyncio.to_thread(
            subprocess.run,
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30",
             "--interface", "127.0.99.1", f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.stdout == "200", done.stderr
        assert sensor.limiter.evicted >= 1
    finally:
        for w in held:
            w.close()
        await sensor.stop()
        task.cancel()
