"""One SQL injection to the HTTP door, with the monitor watching the door's host: one
detection. The door (event-level ``http_attacks``) and the wire (packet-level web rules)
both see the request; the runtime tells the monitor which doors the event rules cover
(root: live capture on lo; bounded)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from tests.conftest import require_root

from phantomnet.bus.memory import MemoryBus
from phantomnet.detection.engine import DetectorEngine
from phantomnet.events import Detection, HttpRequest
from phantomnet.monitor.component import MonitorComponent
from phantomnet.plugins import Component
from phantomnet.runtime.build import build, enabled_detectors
from phantomnet.runtime.parts import PARTS
from phantomnet.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
SQLI = "/item.php?id=1%27%20UNION%20SELECT%20user,pass%20FROM%20users--+"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 60)
    writer.close()
    return answer


async def test_one_sqli_request_gives_one_detection(tmp_path: Path) -> None:
    require_root()
    port = _free_port()
    path = tmp_path / "pn.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        f'[sensors.http]\nhost = "127.0.0.1"\nport = {port}\ntls_port = 0\n'
        "[sensors.ssh]\nenabled = false\n[sensors.ftp]\nenabled = false\n"
        "[sensors.smtp]\nenabled = false\n"
        f'[monitor]\ninterface = "lo"\nbpf = "tcp port {port}"\nring_blocks = 8\n'
    )
    settings = load_settings(path)
    bus = MemoryBus()
    seen = bus.subscribe("test", kinds=frozenset({"detection", "http.request"}))
    runtime = build(settings, bus, role="sensor", extra=PARTS)
    [monitor] = [c for c in runtime.components if isinstance(c, MonitorComponent)]
    parts: list[Component] = [DetectorEngine(bus, enabled_detectors(settings))]
    parts += runtime.components  # the server's rules first, as on one node
    await bus.start()
    tasks = []
    try:
        for part in parts:
            await part.start()
            tasks.append(asyncio.create_task(part.run()))
        answer = await _get(port, SQLI)
        assert answer.startswith(b"HTTP/1.1 ")
        events: list[object] = []

        def sqli() -> list[Detection]:
            return [e for e in events if isinstance(e, Detection) and e.rule == "http_sqli"]

        async with asyncio.timeout(120):  # the door's event and the rule's detection
            while not sqli() or not any(isinstance(e, HttpRequest) for e in events):
                events += (await anext(seen)).events
        async with asyncio.timeout(120):  # the ring hands over its block (timeout 50 ms)
            while not monitor.describe()["packets"]:
                await asyncio.sleep(0.05)
        await monitor.stop()  # the wire's verdicts are all published when its run ends
        await asyncio.wait_for(tasks[parts.index(monitor)], 60)
        while True:  # what is already queued for us
            try:
                events += (await asyncio.wait_for(anext(seen), 2)).events
            except TimeoutError:
                break
    finally:
        for part in reversed(parts):
            await part.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
    assert monitor.describe()["packets"] > 0  # the wire did see the request
    found = sqli()
    assert len(found) == 1, [(d.detector, d.summary) for d in found]
    assert found[0].dst is not None and found[0].dst.port == port
