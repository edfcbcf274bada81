"""Private Redis and PostgreSQL servers a chaos test owns (free loopback ports, temp dirs,
stopped and started by the PIDs and data directories we created), and the SMTP client load.

Never the shared 6379/5432. Redis keeps its data across a restart (AOF, fsync always), as a
production broker would; PostgreSQL is a throw-away cluster made by ``initdb``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import smtplib
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.e2e.harness import free_port
from tests.integration.bus.redisbus_helpers import PrivateRedis

PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_DEADLINE_S = 60


def DurableRedis(workdir: Path) -> PrivateRedis:
    """redis-server with AOF on a free port; ``stop`` (SIGTERM) and ``start`` keep the data."""
    return PrivateRedis(workdir, durable=True)


class PrivatePostgres:
    """A PostgreSQL 15 cluster of our own (``initdb`` as user postgres when we are root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pn-chaos-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "pg.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.logfile), "-w", "-t", str(START_DEADLINE_S), "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class SmtpLoad:
    """A real SMTP client sending distinct messages (``msg-<i>``) until stopped or ``limit``.

    Each message is its own connection; ``sent`` counts those the server accepted (250).
    """

    def __init__(self, port: int, *, limit: int = 400, pause_s: float = 0.1) -> None:
        self.port, self.limit, self.pause_s = port, limit, pause_s
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smtp-load", daemon=True)

    def start(self) -> SmtpLoad:
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.sent

    def _run(self) -> None:
        for i in range(self.limit):
            if self._stop.is_set():
                return
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
                    client.ehlo("chaos-client")
                    client.sendmail(
                        "a@remote.example",
                        ["b@corp.example"],
                        f"From: a@remote.example\r\nSubject: msg-{i}\r\n\r\nbody {i}\r\n".encode(),
                    )
                self.sent += 1
            except (OSError, smtplib.SMTPException):
                self.failed += 1
            self._stop.wait(self.pause_s)
