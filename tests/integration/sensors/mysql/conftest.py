"""The MySQL door on 127.0.0.1 (port 0, in-memory bus), next to the real MariaDB on 3306."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.mysql.config import MysqlConfig
from phantomnet.sensors.mysql.sensor import MysqlSensor
from tests.conftest import unavailable
from tests.integration.sensors.probe import DoorProbe

REAL_PORT = 3306


class Door(DoorProbe[MysqlSensor]):
    @property
    def host(self) -> FakeHost:
        return self.sensor.host


async def start_door(
    tmp_path: Path, persona: str | None = None, **overrides: Any
) -> tuple[Door, asyncio.Task[None]]:  # fmt: skip
    """The door on a free port; ``persona`` picks the fake host's (default: debian12)."""
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path)
    if persona is not None:
        ctx.shared["fake_host"] = FakeHost.load(tmp_path, persona)
    sensor = MysqlSensor(MysqlConfig(host="127.0.0.1", port=0, **overrides), ctx)
    await sensor.start()
    return Door(sensor, bus), asyncio.create_task(sensor.run())


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    running, task = await start_door(tmp_path)
    yield running
    await running.sensor.stop()
    task.cancel()


@pytest.fixture
async def plain_door(tmp_path: Path) -> AsyncIterator[Door]:
    """TLS off: the greeting of a stock Debian 12 MariaDB (no SSL configured)."""
    running, task = await start_door(tmp_path, tls=False)
    yield running
    await running.sensor.stop()
    task.cancel()


@pytest.fixture
def real() -> int:
    try:
        with socket.create_connection(("127.0.0.1", REAL_PORT), timeout=2):
            pass
    except OSError:
        unavailable("MariaDB is not running on 127.0.0.1:3306")
    return REAL_PORT


async def run(
    *cmd: str, timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout, input=stdin
    )


def frame(seq: int, body: bytes) -> bytes:
    return struct.pack("<I", len(body))[:3] + bytes([seq]) + body


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    head = recv_exactly(sock, 4)
    size = head[0] | head[1] << 8 | head[2] << 16
    return head[3], recv_exactly(sock, size)


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError(f"closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything until EOF (or ``timeout`` s of silence)."""
    sock.settimeout(timeout)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def engine_gap(door: Door, *statements: str) -> None:
    """xfail the test when the SQL engine (helper sqlengine's) cannot yet run a statement the
    client needs; the test runs for real as soon as the engine can."""
    from phantomnet.deception.sql import SqlError

    session = door.host.sql.session("192.0.2.254", "mysql", user="root", database=None)
    try:
        for sql in statements:
            for outcome in session.execute(sql):
                if isinstance(outcome, SqlError):
                    pytest.xfail(f"SQL engine gap: {sql!r} -> {outcome.code} {outcome.message}")
    finally:
        session.close()
