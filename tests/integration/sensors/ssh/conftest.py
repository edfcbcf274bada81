"""Fixtures: a running SSH sensor on 127.0.0.1:0 with captured events, and client helpers.

Clients run as subprocesses through asyncio (the sensor lives in the test's event loop).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Event
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.ssh.config import SshConfig
from phantomnet.sensors.ssh.keys import load_or_generate
from phantomnet.sensors.ssh.sensor import SshSensor

SSH_OPTS = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=10",
]


@dataclass
class Captured:
    """Every event the sensor published, in order."""

    events: list[Event] = field(default_factory=list)

    def of(self, kind: str) -> list[Any]:
        return [e for e in self.events if e.kind == kind]

    async def wait_for(self, pred: Callable[[Captured], bool], timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while not pred(self):
                await asyncio.sleep(0.05)


@dataclass
class Running:
    sensor: SshSensor
    port: int
    captured: Captured
    data_dir: Path


@pytest.fixture(scope="session")
def host_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ssh-host-keys")
    load_or_generate(folder, ("rsa", "ecdsa", "ed25519"))
    return folder


async def start_sensor(
    data_dir: Path, key_dir: Path, **overrides: Any
) -> tuple[Running, asyncio.Task[None]]:
    shutil.copytree(key_dir, data_dir / "ssh" / "host_keys", dirs_exist_ok=True)
    bus = MemoryBus()
    sub = bus.subscribe("test")
    captured = Captured()

    async def collect() -> None:
        async for batch in sub:
            captured.events.extend(batch.events)
            await batch.ack()

    task = asyncio.create_task(collect())
    settings = {
        "host": "127.0.0.1",
        "port": 0,
        "auth_fail_delay_s": 0.05,
        "auth_fail_jitter": 0.0,
    }
    settings.update(overrides)
    sensor = SshSensor(
        SshConfig(**settings), SensorContext(node="test", bus=bus, data_dir=data_dir)
    )
    await sensor.start()
    assert sensor.bound_port is not None
    return Running(sensor, sensor.bound_port, captured, data_dir), task


@pytest.fixture
async def ssh(tmp_path: Path, host_key_dir: Path) -> AsyncIterator[Running]:
    running, task = await start_sensor(tmp_path, host_key_dir)
    yield running
    await running.sensor.stop()
    task.cancel()


async def run(
    *argv: str, stdin: bytes | None = None, timeout: float = 30, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run a client tool; returns (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env={**os.environ, **(env or {})},
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate(stdin)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def ssh_exec(port: int, password: str, command: str, user: str = "root", *extra: str) -> list[str]:
    return [
        "sshpass",
        "-p",
        password,
        "ssh",
        *SSH_OPTS,
        *extra,
        "-p",
        str(port),
        f"{user}@127.0.0.1",
        command,
    ]


def askpass(folder: Path, password: str) -> dict[str, str]:
    """Environment making ``ssh`` answer every password prompt with ``password``."""
    script = folder / "askpass.sh"
    script.write_text(f"#!/bin/sh\necho '{password}'\n")
    script.chmod(0o700)
    return {"SSH_ASKPASS": str(script), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
