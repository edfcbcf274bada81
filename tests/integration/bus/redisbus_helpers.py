"""Helpers for the bus integration tests (imported by their conftest and test modules)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis
from tests.conftest import require_tool

from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.events import AuthAttempt, SensorRef

REF = SensorRef(node="n1", component="ssh")
MakeBus = Callable[..., RedisStreamsBus]


def auth(i: int) -> AuthAttempt:
    """A distinguishable event (``username`` = ``user<i>``)."""
    return AuthAttempt(sensor=REF, protocol="ssh", username=f"user{i}", accepted=False)


def usernames(events: object) -> list[str]:
    return [e.username for e in events if isinstance(e, AuthAttempt)]  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateRedis:
    """A throw-away redis-server on a free loopback port, stopped by its own PID.

    ``durable``: AOF with fsync always, so a ``stop`` (SIGTERM) and ``start`` keep the data,
    as a production broker would (the chaos tests)."""

    def __init__(self, workdir: Path, *, durable: bool = False) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.durable = durable
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        require_tool("redis-server")  # skips (fails with CI=true) without the binary
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else [
            "--appendonly", "no"]  # fmt: skip
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *aof, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"private redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)  # an AOF flush may take a while on a busy disk
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
