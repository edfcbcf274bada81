"""The PostgreSQL door on port 0 with an in-memory bus, a raw v3 client, and the real servers to
compare with: the machine's PostgreSQL 15 on 127.0.0.1:5432 (trust) and, for the password
exchanges, a private PostgreSQL 15 cluster this suite starts with scram-sha-256/md5/password
entries in its pg_hba.conf (its PID is stopped at the end)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.credentials import CredentialPolicyConfig
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.postgres.sensor import PostgresConfig, PostgresSensor
from tests.conftest import unavailable
from tests.integration.sensors.probe import DoorProbe

PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: logins the door's fake host accepts in these tests
ACCEPT = ("postgres:secret", "alice:secret", "md5user:secret", "pwuser:secret", "root:*")


class Running(DoorProbe[PostgresSensor]):
    pass


async def start_door(tmp: Path, **overrides: Any) -> tuple[PostgresSensor, asyncio.Task[None]]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp)
    ctx.shared["fake_host"] = FakeHost.load(tmp, credentials=CredentialPolicyConfig(accept=ACCEPT))
    config = PostgresConfig(**{"host": "127.0.0.1", "port": 0, **overrides})
    sensor = PostgresSensor(config, ctx)
    await sensor.start()
    return sensor, asyncio.create_task(sensor.run())


@pytest.fixture
async def door(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    """The door; ``@pytest.mark.parametrize("door", [{...config...}], indirect=True)`` sets it."""
    overrides = getattr(request, "param", {}) or {}
    sensor, task = await start_door(tmp_path, **overrides)
    running = Running(sensor, sensor.ctx.bus)  # type: ignore[arg-type]
    yield running
    await sensor.stop()
    task.cancel()


@pytest.fixture
def real_pg() -> int:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 5432), 2):
        return 5432
    unavailable("PostgreSQL 15 is not running on 127.0.0.1:5432")
    raise AssertionError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def auth_pg() -> Iterator[int]:
    """A private PostgreSQL 15 whose pg_hba asks md5user for md5, pwuser for a cleartext
    password and everyone else for SCRAM; roles alice/md5user/pwuser have password 'secret'."""
    if not (PG_BIN / "initdb").exists():
        unavailable("postgresql-15 server binaries are not installed")
    # not under pytest's 0700 temp root: the server runs as the postgres user when we are root
    base = Path(tempfile.mkdtemp(prefix="pn-authpg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            unavailable("runuser is missing (initdb refuses to run as root)")
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    data = base / "data"
    subprocess.run(
        [
            *run_as,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    hba = data / "pg_hba.conf"
    hba.write_text(
        "local all all trust\n"
        "host all md5user 127.0.0.1/32 md5\n"
        "host all pwuser 127.0.0.1/32 password\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            *run_as,
            str(PG_BIN / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(base),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "password_encryption=md5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            ok = subprocess.run(
                ["psql", "-h", str(base), "-p", str(port), "-U", "postgres", "-Atc", "select 1"],
                capture_output=True,
                timeout=30,
            )
            if ok.returncode == 0:
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("the reference PostgreSQL did not start")
            time.sleep(0.3)
        # md5user keeps an md5 verifier (so pg_hba's md5 really is md5); the others SCRAM
        sql = (
            "create role md5user login password 'secret';"
            "set password_encryption = 'scram-sha-256';"
            "create role alice login password 'secret';"
            "create role pwuser login password 'secret';"
        )
        subprocess.run(
            ["psql", "-h", str(base), "-p", str(port), "-U", "postgres", "-c", sql],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


# -- a raw protocol-3 client -------------------------------------------------------------------


@dataclass
class Msg:
    kind: bytes
    body: bytes

    def fields(self) -> dict[str, str]:
        """ErrorResponse/NoticeResponse fields."""
        out = {}
        for part in self.body.split(b"\0"):
            if part:
                out[chr(part[0])] = part[1:].decode()
        return out


def packet(payload: bytes) -> bytes:
    return struct.pack("!I", len(payload) + 4) + payload


def msg(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def startup_packet(user: str = "postgres", database: str = "postgres", **extra: str) -> bytes:
    body = struct.pack("!I", 196608) + f"user\0{user}\0database\0{database}\0".encode()
    for key, value in extra.items():
        body += f"{key}\0{value}\0".encode()
    return packet(body + b"\0")


def recv_all(sock: socket.socket, quiet: float = 0.5, total: float = 10.0) -> bytes:
    """Everything the server sends until it is quiet for ``quiet`` s or closes."""
    out = b""
    end = time.monotonic() + total
    sock.settimeout(quiet)
    while time.monotonic() < end:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            break
        if not data:
            break
        out += data
    return out


def parse(data: bytes) -> list[Msg]:
    out, pos = [], 0
    while pos + 5 <= len(data):
        kind = data[pos : pos + 1]
        length = struct.unpack("!I", data[pos + 1 : pos + 5])[0]
        out.append(Msg(kind, data[pos + 5 : pos + 1 + length]))
        pos += 1 + length
    return out


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def exchange(port: int, *sends: bytes, quiet: float = 0.5, login: str | None = None) -> list[bytes]:
    """Send each chunk in turn on one connection; what came back after each. With ``login``
    (a password), the first chunk is a startup packet answered by a cleartext password."""
    with connect(port) as sock:
        answers = []
        for i, chunk in enumerate(sends):
            sock.sendall(chunk)
            answer = recv_all(sock, quiet)
            if i == 0 and login is not None and answer.startswith(b"R\0\0\0\x08\0\0\0\x03"):
                sock.sendall(msg(b"p", login.encode() + b"\0"))
                answer = b"".join(
                    m.kind + struct.pack("!I", len(m.body) + 4) + m.body for m in until_ready(sock)
                )
            answers.append(answer)
        return answers


def closed(sock: socket.socket, wait: float = 5.0) -> bool:
    """Whether the server closes the connection within ``wait`` s (what it still sends first
    is read and dropped)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except ConnectionResetError:
            return True
        except (TimeoutError, OSError):
            return False
    return False


def until_ready(sock: socket.socket, total: float = 30.0) -> list[Msg]:
    """Messages up to and including ReadyForQuery (or what came before a close/timeout)."""
    data = b""
    end = time.monotonic() + total
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
        messages = parse(data)
        if any(
            m.kind in (b"Z", b"E") and (m.kind == b"Z" or m.fields().get("S") == "FATAL")
            for m in messages
        ):
            return messages
    return parse(data)
