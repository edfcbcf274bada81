"""Live: the SSH door moved to port 12222 (or a free port when 12222 is taken) and the monitor
capturing loopback, both built by the runtime from one settings file; ten failed OpenSSH
logins make the monitor report brute_force against the door's port (root; bounded)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest
from tests.conftest import require_root, require_tool

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Detection
from phantomnet.monitor.component import MonitorComponent
from phantomnet.runtime.build import build
from phantomnet.runtime.parts import PARTS
from phantomnet.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ATTEMPTS = 10


def door_port() -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 12222))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def failed_login(port: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        "sshpass", "-p", "definitely-wrong", "ssh", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
        "-o", "NumberOfPasswordPrompts=1", "-o", "PubkeyAuthentication=no",
        "-p", str(port), "nosuchuser@127.0.0.1", "true",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.wait_for(proc.wait(), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def test_monitor_detects_brute_force_on_the_moved_ssh_door(tmp_path: Path) -> None:
    require_root()
    require_tool("ssh", "sshpass")
    port = door_port()
    path = tmp_path / "pn.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        f'[sensors.ssh]\nport = {port}\nhost = "127.0.0.1"\n'
        "[sensors.http]\nenabled = false\n[sensors.ftp]\nenabled = false\n"
        "[sensors.smtp]\nenabled = false\n"
        f'[monitor]\ninterface = "lo"\nbpf = "tcp port {port}"\nring_blocks = 8\n'
    )
    bus = MemoryBus()
    out = bus.subscribe("test", kinds=frozenset({"detection"}))
    runtime = build(load_settings(path), bus, role="sensor", extra=PARTS)
    [monitor] = [c for c in runtime.components if isinstance(c, MonitorComponent)]
    assert monitor.config.detectors.brute_force.ports[port] == "ssh"
    await bus.start()
    started = []
    tasks = []
    try:
        for component in runtime.components:
            await component.start()
            started.append(component)
            tasks.append(asyncio.create_task(component.run()))
        for _ in range(ATTEMPTS):
            await failed_login(port)
        found: list[Detection] = []
        async with asyncio.timeout(120):
            while not any(d.rule == "brute_force" for d in found):
                batch = await anext(out)
                found += [e for e in batch.events if isinstance(e, Detection)]
        [hit, *_] = [d for d in found if d.rule == "brute_force"]
        assert hit.sensor.component == "monitor.brute_force" and hit.protocol == "ssh"
        assert hit.dst is not None and hit.dst.port == port
        assert hit.src is not None and hit.src.ip == "127.0.0.1"
    finally:
        for component in reversed(started):
            with contextlib.suppress(Exception):
                await component.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
