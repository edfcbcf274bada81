"""Both callers of the one live-capture module (``monitor/live.py``) capture real traffic on
loopback: ``phantomnet monitor --interface lo`` (a subprocess) and the runtime's monitor
component (in process). Each must report a ``network.flow`` for every TCP connection this
test makes to its own listener (root; bounded)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.conftest import require_root
from tests.integration.monitor.capturing import capturing_on

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import NetworkFlow
from phantomnet.monitor.component import MonitorComponent
from phantomnet.monitor.config import MonitorConfig

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CONNECTIONS = 5
PHANTOMNET = Path(sys.executable).with_name("phantomnet")


async def _listener() -> AsyncIterator[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async for p in _listener():
        yield p


async def _connect(port: int) -> list[int]:
    """CONNECTIONS full TCP conversations to ``port``; their client ports."""
    ports = []
    for _ in range(CONNECTIONS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ports.append(int(writer.get_extra_info("sockname")[1]))
        assert await asyncio.wait_for(reader.readline(), 30) == b"hello\n"
        writer.close()
        await writer.wait_closed()
    return ports


async def test_cli_live_capture_reports_each_connection(tmp_path: Path, port: int) -> None:
    require_root()
    config = tmp_path / "pn.toml"
    config.write_text(f'data_dir = "{tmp_path}/data"\n')
    out = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [str(PHANTOMNET), "monitor", "--config", str(config), "--interface", "lo",
         "--bpf", f"tcp port {port}", "--jsonl", str(out), "--all"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        async with asyncio.timeout(120):
            while not capturing_on(proc.pid, socket.if_nametoindex("lo")):
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                await asyncio.sleep(0.1)
        clients = await _connect(port)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: read the ring dry, flush the flows, exit
        _, err = await asyncio.to_thread(proc.communicate, timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "dropped by the kernel" in err
    events = [json.loads(line) for line in out.read_text().splitlines()]
    flows = [e for e in events if e["kind"] == "network.flow" and e["dst"]["port"] == port]
    assert set(clients) <= {f["src"]["port"] for f in flows}, flows


async def test_component_live_capture_reports_each_connection(port: int) -> None:
    require_root()
    bus = MemoryBus()
    await bus.start()
    sub = bus.subscribe("test", kinds=frozenset({"network.flow"}))
    comp = MonitorComponent(MonitorConfig(interface="lo", bpf=f"tcp port {port}"), bus, "t")
    await comp.start()  # the ring is open when start returns
    task = asyncio.create_task(comp.run())
    try:
        clients = await _connect(port)  # stop() still reads every packet the ring holds
    finally:
        await comp.stop()
        await asyncio.wait_for(task, 60)
    flows: list[NetworkFlow] = []
    ours = set(clients)
    async with asyncio.timeout(60):
        while not ours <= {f.src.port for f in flows}:
            batch = await anext(sub)
            flows += [e for e in batch.events if isinstance(e, NetworkFlow)]
    assert all(f.dst.port == port for f in flows)
    info = comp.describe()
    assert isinstance(info["packets"], int) and info["packets"] >= CONNECTIONS * 3
    assert info["error"] is None
    await bus.close()
