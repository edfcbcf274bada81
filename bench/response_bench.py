"""Active-defense figures, measured inside a network namespace this script creates.

1. Decision -> rule in place: a ``score`` event with decision BLOCK goes through the policy,
   the database (SQLite file) and the firewall (``nft``/``ipset``) plus the conntrack kill;
   the time until the element is in the kernel set is recorded (p50/p95/max).
2. 60,000 active blocks: loaded into the database, enforced by one reconciliation pass,
   checked by a second pass after a pause (drift must be 0), then the set is flushed and the
   repair pass is timed.

Usage (root): ``python bench/response_bench.py [--backend nftables|iptables|both]
[--decisions 200] [--blocks 60000]``. Prints figures; asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.events import Endpoint, Score, SensorRef
from phantomnet.response.component import ResponseComponent
from phantomnet.response.config import AutoBlockConfig, ResponseConfig
from phantomnet.response.factory import build_blocker
from phantomnet.response.reconcile import Reconciler
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService
from phantomnet.storage.blocks import SqlBlockStore, ensure_schema
from phantomnet.storage.db import make_engine
from phantomnet.storage.tables import Block

SENSOR = SensorRef(node="bench", component="scoring")


def ns_add() -> str:
    name = f"pnr-bench-{random.randrange(16**6):06x}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    return name


def addresses(count: int, seed: int) -> list[str]:
    """Distinct public-looking IPv4 addresses in 100.64.0.0/10 (never routed here)."""
    rng = random.Random(seed)
    base = int(ipaddress.IPv4Address("100.64.0.0"))
    picks = rng.sample(range(1, 2**22 - 1), count)
    return [str(ipaddress.IPv4Address(base + p)) for p in picks]


def service_for(ns: str, backend: str, engine: AsyncEngine) -> ResponseService:
    config = ResponseConfig(
        backend=backend,  # type: ignore[arg-type]
        netns=ns,
        command_timeout_s=120,
        auto=AutoBlockConfig(enabled=True),
    )
    blocker = build_blocker(config)
    return ResponseService(
        config,
        SqlBlockStore.from_engine(engine),
        blocker,
        Safety(config, blocker.runner),
        node="bench",
    )


async def decisions(
    ns: str, backend: str, engine: AsyncEngine, count: int
) -> tuple[list[float], list[float]]:
    service = service_for(ns, backend, engine)
    component = ResponseComponent(service, None)
    await component.start()
    took, done = [], []
    for ip in addresses(count, seed=1):
        event = Score(
            sensor=SENSOR,
            src=Endpoint(ip=ip),
            subject_kind="network.flow",
            score=99,
            level="HIGH",
            decision="BLOCK",
            confidence=0.9,
            model_version="bench",
        )
        started = time.perf_counter()
        await component.handle(event)
        done.append((time.perf_counter() - started) * 1000)
        took.append((service.last_applied - started) * 1000)
    held = await service.blocker.listing()
    assert all(ip in held for ip in addresses(count, seed=1)), "a decision is not in the kernel"
    await service.blocker.teardown()
    return took, done


async def load_blocks(engine: AsyncEngine, count: int) -> None:
    now = datetime.now(UTC)
    rng = random.Random(2)
    rows = [
        {
            "target": ip,
            "source": "policy",
            "reason": "bench",
            "created_at": now,
            "expires_at": now + timedelta(seconds=rng.randrange(3600, 7 * 86_400)),
            "active": True,
            "offence": 1,
            "backend": "bench",
            "applied": False,
        }
        for ip in addresses(count, seed=3)
    ]
    async with engine.begin() as conn:
        for start in range(0, count, 5000):
            await conn.execute(insert(Block), rows[start : start + 5000])


async def hold(ns: str, backend: str, engine: AsyncEngine, count: int) -> dict[str, float]:
    await load_blocks(engine, count)
    service = service_for(ns, backend, engine)
    await service.blocker.check()
    reconciler = Reconciler(service)
    first = await reconciler.run_once()
    await asyncio.sleep(5)
    steady = await reconciler.run_once()
    sabotage = (
        ["nft", "flush", "set", "inet", "phantomnet", "addr4"]
        if backend == "nftables"
        else ["ipset", "flush", "phantomnet-4"]
    )
    subprocess.run(["ip", "netns", "exec", ns, *sabotage], check=True, timeout=60)
    repair = await reconciler.run_once()
    after = await reconciler.run_once()
    await service.blocker.teardown()
    return {
        "initial_load_s": first.seconds,
        "initial_missing": first.missing,
        "steady_pass_s": steady.seconds,
        "steady_drift": steady.drift,
        "held": steady.held,
        "repair_pass_s": repair.seconds,
        "repaired_missing": repair.missing,
        "after_repair_drift": after.drift,
    }


async def run_backend(backend: str, count: int, blocks: int) -> None:
    ns = ns_add()
    try:
        with tempfile.TemporaryDirectory(prefix="pnr-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = make_engine(url)
            await ensure_schema(engine, url)
            took, done = await decisions(ns, backend, engine, count)
            for what, values in (("rule in place", took), ("recorded + flows killed", done)):
                q = statistics.quantiles(values, n=100)
                print(
                    f"[{backend}] score BLOCK -> {what} ({count} events): p50 {q[49]:.1f} ms,"
                    f" p95 {q[94]:.1f} ms, max {max(values):.1f} ms"
                )
            await engine.dispose()
            url = f"sqlite:///{Path(tmp) / 'hold.db'}"
            engine = make_engine(url)
            await ensure_schema(engine, url)
            figures = await hold(ns, backend, engine, blocks)
            await engine.dispose()
            print(
                f"[{backend}] {blocks} active blocks: "
                + ", ".join(
                    f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in figures.items()
                )
            )
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False, timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["nftables", "iptables", "both"], default="both")
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=60_000)
    args = parser.parse_args()
    for backend in ["nftables", "iptables"] if args.backend == "both" else [args.backend]:
        asyncio.run(run_backend(backend, args.decisions, args.blocks))


if __name__ == "__main__":
    main()
