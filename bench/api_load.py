"""API load benchmark: ``/api/events`` p50/p99 with 1,000,000 stored events.

Creates a temporary PostgreSQL database, fills ``event`` with 1,000,000 rows server-side
(``INSERT ... SELECT generate_series``), starts uvicorn on 127.0.0.1 and runs
``wrk -t2 -c50 -d10s`` with bench/api_events.lua (plain pages, deep cursors, kind / src_ip /
level / protocol / time filters), prints the figures and drops the database.

    .venv/bin/python bench/api_load.py [--events 1000000] [--workers 1] [--duration 10s]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from phantomnet.api.auth import create_token
from phantomnet.api.params import encode_cursor
from phantomnet.settings import async_url, load_settings
from phantomnet.storage.tables import Base

ADMIN_URL = os.environ.get("PHANTOMNET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
HERE = Path(__file__).resolve().parent

FILL_SQL = """
INSERT INTO event (event_id, kind, occurred_at, node, component, session_id, src_ip, src_port,
                   dst_ip, dst_port, protocol, level, score, payload)
SELECT gen_random_uuid(),
       (ARRAY['connection.opened','auth.attempt','command.input','network.flow','score',
              'http.request','detection','connection.closed'])[1 + i % 8],
       now() - make_interval(secs => ($1 - i) * 0.5),
       'bench-node',
       (ARRAY['ssh','http','ftp','monitor'])[1 + i % 4],
       CASE WHEN i % 3 = 0 THEN NULL ELSE gen_random_uuid() END,
       '10.' || (i % 200) || '.' || ((i / 200) % 250) || '.' || (i % 7 + 1),
       1024 + i % 60000, '127.0.0.1', 2222,
       (ARRAY['ssh','http','ftp','tcp','udp'])[1 + i % 5],
       CASE WHEN i % 8 = 4 THEN (ARRAY['LOW','MEDIUM','HIGH'])[1 + i % 3] END,
       CASE WHEN i % 8 = 4 THEN (i % 101)::float END,
       jsonb_build_object('schema_version', 1, 'kind', 'auth.attempt', 'username', 'root',
                          'password', 'pw' || (i % 1000), 'accepted', false,
                          'sensor', jsonb_build_object('node', 'bench-node', 'component', 'ssh'),
                          'src', jsonb_build_object('ip', '10.0.0.1', 'port', 4000),
                          'client_version', 'SSH-2.0-libssh_0.9.6', 'n', i)
FROM generate_series($2::bigint, $3::bigint) AS i
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_app() -> object:
    """Uvicorn factory: settings from PHANTOMNET_* variables (set by this script)."""
    from phantomnet.api import create_app

    return create_app(load_settings())


async def fill(url: str, n: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        step = 100_000
        for lo in range(1, n + 1, step):
            await conn.execute(FILL_SQL, n, lo, min(n, lo + step - 1))
        await conn.execute("ANALYZE event")
    finally:
        await conn.close()


async def prepare(db_url: str, n: int) -> str:
    engine = create_async_engine(async_url(db_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        start = time.perf_counter()
        await fill(db_url, n)
        print(f"loaded {n:,} events in {time.perf_counter() - start:.1f} s")
        return await create_token(engine, role="viewer", name="bench")
    finally:
        await engine.dispose()


def paths(n: int) -> list[str]:
    """A mix of the requests the dashboard makes."""
    out = [
        "/api/events",
        "/api/events?limit=100",
        "/api/events?kind=auth.attempt",
        "/api/events?kind=detection,score",
        "/api/events?level=HIGH",
        "/api/events?protocol=ssh",
        "/api/events?sensor=http",
        "/api/events?src_ip=10.1.2.3",
        "/api/events?src_ip=10.150.40.1&kind=auth.attempt",
    ]
    for k in range(1, 21):
        cursor = encode_cursor(n - k * (n // 21))
        out.append(f"/api/events?cursor={cursor}")
        out.append(f"/api/events?kind=command.input&cursor={cursor}")
    out.append("/api/events?since=2020-01-01T00:00:00Z&until=2099-01-01T00:00:00Z")
    for days in (1, 3, 5):
        until = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(f"/api/events?until={until}")
        out.append(f"/api/events?kind=auth.attempt&until={until}")
    return out


def run_wrk(url: str, token: str, duration: str, connections: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths(1_000_000)) + "\n")
    env = {**os.environ, "PN_TOKEN": token, "PN_PATHS": f.name}
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(HERE / "api_events.lua"),
        url,
    ]
    try:
        return subprocess.run(
            cmd, env=env, capture_output=True, text=True, check=True, timeout=120
        ).stdout
    finally:
        os.unlink(f.name)


def start_server(db_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PHANTOMNET_DATABASE__URL": db_url,
        "PHANTOMNET_API__AUTH": "on",
        "PHANTOMNET_DATABASE__POOL_SIZE": "20",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api_load:make_app",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("uvicorn did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its child processes (uvicorn workers), in seconds."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def summary(report: str) -> str:
    pick = {k: re.search(rf"^\s+{k}%\s+(\S+)", report, re.M) for k in ("50", "90", "99")}
    rps = re.search(r"Requests/sec:\s+(\S+)", report)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    parts = [f"p{k} {m.group(1)}" for k, m in pick.items() if m]
    parts.append(f"{rps.group(1) if rps else '?'} req/s")
    parts.append(f"non-2xx {errors.group(1) if errors else 0}")
    return ", ".join(parts)


def measure(
    db_url: str, token: str, workers: int, duration: str, events: int, connections: int
) -> str:
    """Run uvicorn with ``workers`` and wrk against it; one summary line."""
    port = free_port()
    proc = start_server(db_url, port, workers)
    try:
        before = cpu_seconds(proc.pid)
        report = run_wrk(f"http://127.0.0.1:{port}", token, duration, connections)
        used = cpu_seconds(proc.pid) - before
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    print(report)
    done = re.search(r"(\d+) requests in", report)
    per = used / int(done.group(1)) * 1000 if done and int(done.group(1)) else float("nan")
    return (
        f"/api/events, {events:,} events, {workers} worker(s), "
        f"wrk -t2 -c{connections} -d{duration}: "
        f"{summary(report)}; server CPU {per:.2f} ms/request; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--workers", default="1,2", help="comma list of uvicorn worker counts")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--connections", default="50", help="comma list of wrk connection counts")
    args = ap.parse_args()
    name = f"pn_bench_{uuid.uuid4().hex[:10]}"
    base, admin = ADMIN_URL.rsplit("/", 1)[0], ADMIN_URL.rsplit("/", 1)[0] + "/postgres"
    db_url = f"{base}/{name}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        token = asyncio.run(prepare(db_url, args.events))
        lines = [
            measure(db_url, token, int(w), args.duration, args.events, int(c))
            for w in args.workers.split(",")
            for c in args.connections.split(",")
        ]
        print("\n".join(lines))
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
