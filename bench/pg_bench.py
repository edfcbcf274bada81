"""PostgreSQL door figures: SCRAM-SHA-256 logins/s and queries/s of the door and of a real
PostgreSQL 15 (same client, same run), and the door's memory per idle logged-in connection.
Prints figures; asserts nothing.

    .venv/bin/python bench/pg_bench.py [--seconds 10] [--concurrency 20] [--idle 500]

The real server is a private cluster started from Debian's postgresql-15 binaries (as the
``postgres`` user when run as root) with scram-sha-256 in pg_hba.conf, so both sides run the
same password exchange; the door runs in its own process so its RSS can be read. Everything
is on 127.0.0.1 and every server is stopped by the PID we started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DOOR = """
import asyncio, sys
from pathlib import Path
from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.credentials import CredentialPolicyConfig
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.postgres.sensor import PostgresConfig, PostgresSensor

async def main():
    data = Path(sys.argv[1])
    bus = MemoryBus()
    sub = bus.subscribe("bench")
    async def sink():
        async for _ in sub:
            pass
    asyncio.create_task(sink())
    ctx = SensorContext(node="bench", bus=bus, data_dir=data)
    policy = CredentialPolicyConfig(accept=("bench:secret",))
    ctx.shared["fake_host"] = FakeHost.load(data, credentials=policy)
    s = PostgresSensor(PostgresConfig(host="127.0.0.1", port=0, ssl=False, max_sessions=5000,
                                      max_per_source=5000, max_per_net=5000), ctx)
    await s.start()
    print(s.bound_port, flush=True)
    await s.run()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split among their users), from smaps_rollup."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(ppid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == ppid:
                    out.add(int(entry.name))
    return out


def postmaster_pid(data_dir: Path) -> int:
    """The first line of postmaster.pid (the server runs under runuser when we are root)."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


@contextlib.contextmanager
def real_server() -> Iterator[tuple[int, int] | None]:
    if not (PG_BIN / "initdb").exists():
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="pn-pgbench-"))
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(base, "postgres")
    port = free_port()
    proc = None
    try:
        subprocess.run(
            [
                *run_as,
                str(PG_BIN / "initdb"),
                "-D",
                str(base / "d"),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        proc = subprocess.Popen(
            [
                *run_as,
                str(PG_BIN / "postgres"),
                "-D",
                str(base / "d"),
                "-p",
                str(port),
                "-k",
                str(base),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            ok = subprocess.run(
                [
                    "psql",
                    "-h",
                    str(base),
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    "-c",
                    "create role bench login password 'secret'",
                ],
                capture_output=True,
            )
            if ok.returncode == 0:
                break
            time.sleep(0.3)
        yield port, postmaster_pid(base / "d")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(base, ignore_errors=True)


async def connect(port: int) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1",
        port=port,
        user="bench",
        password="secret",
        database="postgres",
        ssl=False,
        timeout=30,
    )


async def logins(port: int, concurrency: int, seconds: float) -> float:
    done = 0
    end = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < end:
            conn = await connect(port)
            await conn.close()
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


async def queries(port: int, concurrency: int, seconds: float, sql: str) -> float:
    conns = [await connect(port) for _ in range(concurrency)]
    done = 0
    end = time.monotonic() + seconds

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal done
        while time.monotonic() < end:
            await conn.execute(sql)  # simple protocol
            await conn.fetch(sql)  # extended protocol
            done += 2

    started = time.monotonic()
    await asyncio.gather(*(worker(c) for c in conns))
    rate = done / (time.monotonic() - started)
    for conn in conns:
        await conn.close()
    return rate


async def real_idle_memory(postmaster: int, port: int, count: int) -> float:
    """KiB of PSS per idle backend (each connection is a forked process)."""
    before = children(postmaster)
    conns = [await connect(port) for _ in range(count)]
    await asyncio.sleep(1)
    backends = children(postmaster) - before
    per = sum(pss_kib(p) for p in backends) / max(1, len(backends))
    for conn in conns:
        await conn.close()
    return per


async def idle_memory(pid: int, port: int, count: int) -> float:
    before = rss_mb(pid)
    conns = [await connect(port) for _ in range(count)]
    await asyncio.sleep(1)
    per = (rss_mb(pid) - before) * 1024 / count
    for conn in conns:
        await conn.close()
    return per


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--idle", type=int, default=500)
    args = ap.parse_args()
    sql = "SELECT 1 AS one"
    data = Path(tempfile.mkdtemp(prefix="pn-pgbench-door-"))
    door = subprocess.Popen(
        [sys.executable, "-c", DOOR, str(data)], stdout=subprocess.PIPE, text=True
    )
    results: dict[str, object] = {}
    try:
        assert door.stdout is not None
        port = int(door.stdout.readline())
        await (await connect(port)).close()  # warm the SCRAM key cache like a stored verifier
        results["door_logins_per_s"] = round(await logins(port, args.concurrency, args.seconds), 1)
        results["door_queries_per_s"] = round(
            await queries(port, args.concurrency, args.seconds, sql), 1
        )
        results["door_kib_per_idle_connection"] = round(
            await idle_memory(door.pid, port, args.idle), 1
        )
        with real_server() as real:
            if real is None:
                results["real"] = "postgresql-15 binaries not installed"
            else:
                real_port, postmaster = real
                results["real_logins_per_s"] = round(
                    await logins(real_port, args.concurrency, args.seconds), 1
                )
                results["real_queries_per_s"] = round(
                    await queries(real_port, args.concurrency, args.seconds, sql), 1
                )
                results["real_kib_pss_per_idle_connection"] = round(
                    await real_idle_memory(postmaster, real_port, min(args.idle, 150)), 1
                )
    finally:
        door.terminate()
        door.wait(30)
        shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
