"""Fixtures: the Telnet door on 127.0.0.1:0 with captured events, Debian's real telnetd (run
by inetutils-inetd on a loopback port) and a raw Telnet client that answers options by a
policy (the way Mirai's scanner does, or the way inetutils' telnet client does)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.telnet.sensor import TelnetConfig, TelnetSensor
from tests.conftest import unavailable
from tests.integration.sensors.ssh.conftest import Captured

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
#: what inetutils' telnet client (Debian 12) answers to telnetd's two rounds, as captured
INETUTILS_ROUND1 = (
    b"\xff\xfd%\xff\xfd&\xff\xfa&\x01\xff\xf0\xff\xfb\x18\xff\xfb \xff\xfc#\xff\xfb'\xff\xfc$"
)
INETUTILS_SB = b"\xff\xfa \x0038400,38400\xff\xf0\xff\xfa'\x00\xff\xf0\xff\xfa\x18\x00XTERM\xff\xf0"


@dataclass
class Door:
    sensor: TelnetSensor
    port: int
    captured: Captured
    data_dir: Path


async def start_door(data_dir: Path, **overrides: Any) -> tuple[Door, asyncio.Task[None]]:
    bus = MemoryBus()
    sub = bus.subscribe("test")
    captured = Captured()

    async def collect() -> None:
        async for batch in sub:
            captured.events.extend(batch.events)
            await batch.ack()

    task = asyncio.create_task(collect())
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "auth_fail_delay_s": 0.05,
        "auth_fail_jitter": 0.0,
        "negotiation_timeout_s": 3,
    }
    settings.update(overrides)
    sensor = TelnetSensor(
        TelnetConfig(**settings), SensorContext(node="test", bus=bus, data_dir=data_dir)
    )
    await sensor.start()
    assert sensor.bound_port is not None
    return Door(sensor, sensor.bound_port, captured, data_dir), task


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    running, task = await start_door(tmp_path)
    yield running
    await running.sensor.stop()
    task.cancel()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def real_telnetd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Debian's inetutils telnetd behind inetutils-inetd on a loopback port (its port)."""
    inetd, telnetd = shutil.which("inetutils-inetd"), "/usr/sbin/telnetd"
    if inetd is None or not os.path.exists(telnetd):
        unavailable("inetutils-inetd/inetutils-telnetd not installed")
    if os.geteuid() != 0:
        unavailable("telnetd needs root (it allocates a pty and runs login)")
    folder = tmp_path_factory.mktemp("inetd")
    port = free_port()
    conf = folder / "inetd.conf"
    conf.write_text(f"127.0.0.1:{port} stream tcp nowait root {telnetd} telnetd\n")
    assert inetd is not None
    proc = subprocess.Popen(
        [inetd, "-d", "--pidfile", str(folder / "inetd.pid"), str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("inetutils-inetd did not start")
                time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RawTelnet:
    """A socket client that answers options by ``policy``: ``mirai`` (DO->WONT except NAWS,
    WILL->DO, as Mirai's scanner does), ``silent`` (answers nothing) or ``none``."""

    def __init__(self, port: int, policy: str = "mirai", source: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=10, source_address=(source, 0)
        )
        self.policy = policy
        self.raw = bytearray()  # everything the server sent
        self._scan = bytearray()
        self.text = bytearray()  # data bytes only (IAC sequences removed)
        self.mark = 0  # where the next ``until`` starts looking

    def _answer(self, data: bytes) -> None:
        buf = self._scan + data
        out = bytearray()
        i = 0
        while i < len(buf):
            b = buf[i]
            if b != IAC:
                self.text.append(b)
                i += 1
                continue
            if i + 1 >= len(buf):
                break
            verb = buf[i + 1]
            if verb == IAC:
                self.text.append(IAC)
                i += 2
                continue
            if verb == SB:
                end = buf.find(bytes((IAC, SE)), i)
                if end < 0:
                    break
                i = end + 2
                continue
            if verb in (DO, DONT, WILL, WONT):
                if i + 2 >= len(buf):
                    break
                opt = buf[i + 2]
                if self.policy == "mirai":
                    if verb == DO and opt == 31:
                        out += bytes((IAC, WILL, 31, IAC, SB, 31, 0, 80, 0, 24, IAC, SE))
                    elif verb == DO:
                        out += bytes((IAC, WONT, opt))
                    elif verb == WILL:
                        out += bytes((IAC, DO, opt))
                i += 3
                continue
            i += 2
        self._scan = bytearray(buf[i:])
        if out:
            self.sock.sendall(bytes(out))

    def read(self, seconds: float) -> bytes:
        """What arrives within ``seconds`` (answering options as it goes)."""
        got = bytearray()
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(min(left, 0.2))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            got += chunk
            self.raw += chunk
            self._answer(chunk)
        return bytes(got)

    def until(self, marker: bytes, timeout: float = 30) -> bytes:
        """Read until ``marker`` appears in the data text after the previous marker found
        (returns the text so far)."""
        end = time.monotonic() + timeout
        while (found := self.text.find(marker, self.mark)) < 0:
            if time.monotonic() > end:
                raise AssertionError(f"{marker!r} not seen; got {bytes(self.text)[-400:]!r}")
            before = len(self.raw)
            self.read(0.2)
            if len(self.raw) == before and self._closed():
                raise AssertionError(f"closed before {marker!r}; got {bytes(self.text)[-400:]!r}")
        self.mark = found + len(marker)
        return bytes(self.text)

    def _closed(self) -> bool:
        self.sock.settimeout(0.01)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except (TimeoutError, BlockingIOError):
            return False
        except OSError:
            return True

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def close(self) -> None:
        self.sock.close()


def iac_sequences(raw: bytes) -> list[bytes]:
    """The IAC commands and subnegotiations in ``raw``, in order (data left out)."""
    out: list[bytes] = []
    i = 0
    while i < len(raw):
        if raw[i] != IAC or i + 1 >= len(raw):
            i += 1
            continue
        verb = raw[i + 1]
        if verb == SB:
            end = raw.find(bytes((IAC, SE)), i)
            end = len(raw) if end < 0 else end + 2
            out.append(raw[i:end])
            i = end
        elif verb in (DO, DONT, WILL, WONT):
            out.append(raw[i : i + 3])
            i += 3
        else:
            out.append(raw[i : i + 2])
            i += 2
    return out
