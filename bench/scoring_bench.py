"""Scoring benchmarks: batch throughput and single threat-score request latency.

Prints figures; asserts nothing. Usage::

    .venv/bin/python bench/scoring_bench.py [--events 50000] [--requests 2000]

1. Batch throughput on one core: ``network.flow`` events (the lab captures in
   ``data/training`` replayed by the monitor, repeated to ``--events``) go through the
   FeatureExtractor and the shipped model in micro-batches of 512, as the service does.
   Reported separately: features only, model only, and both (events/s).
2. ``POST /api/v1/analyze/threat-score``: the FastAPI app in process (httpx ASGI transport,
   no sockets), distinct requests (no cache hits), p50/p99/max latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from phantomnet.events import NetworkFlow
from phantomnet.scoring.config import ScoringConfig
from phantomnet.scoring.dataset import item_flows, load_manifest
from phantomnet.scoring.models.scorer import ScoringModel
from phantomnet.scoring.service import Scorer

ROOT = Path(__file__).resolve().parents[1]
BATCH = 512


def lab_flows(limit: int) -> list[NetworkFlow]:
    from phantomnet.monitor.replay import events_from_pcap

    items = load_manifest(ROOT / "data" / "training")
    flows: list[NetworkFlow] = []
    for item in items:
        flows += item_flows(item, lambda p: events_from_pcap(p))
    if not flows:
        raise SystemExit("no flows: run scripts/gen_training_data.py first")
    reps = -(-limit // len(flows))
    return (flows * reps)[:limit]


def throughput(flows: list[NetworkFlow]) -> None:
    model = ScoringModel.load(ScoringConfig())
    scorer = Scorer(model, ScoringConfig())
    n = len(flows)
    t0 = time.perf_counter()
    vectors = [scorer.extractor.flows.vector(f) for f in flows]
    t_feat = time.perf_counter() - t0
    matrix = np.asarray(vectors, dtype=np.float64)
    t0 = time.perf_counter()
    for i in range(0, n, BATCH):
        model.score("flow", matrix[i : i + BATCH])
    t_model = time.perf_counter() - t0
    scorer = Scorer(model, ScoringConfig())
    t0 = time.perf_counter()
    published = 0
    for i in range(0, n, BATCH):
        subjects = [s for f in flows[i : i + BATCH] for s in scorer.extractor.observe(f)]
        published += len(scorer.to_publish(scorer.score_subjects(subjects)))
    t_all = time.perf_counter() - t0
    print(f"events                      {n}")
    print(f"features only               {n / t_feat:>10,.0f} events/s")
    print(f"model only (batches of {BATCH})  {n / t_model:>10,.0f} events/s")
    print(
        f"features + model + cache    {n / t_all:>10,.0f} events/s "
        f"({published} score events published)"
    )
    one = matrix[:1]
    for _ in range(20):
        model.score("flow", one)
    t0 = time.perf_counter()
    for _ in range(200):
        model.score("flow", one)
    print(f"one row per model call      {(time.perf_counter() - t0) / 200 * 1e3:>10.2f} ms/call")


async def latency(requests: int) -> None:
    import httpx

    from phantomnet.api import create_app
    from phantomnet.bus.memory import MemoryBus
    from phantomnet.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), node="bench", api={"auth": "off"})
        app = create_app(settings, bus=MemoryBus(queue_size=100))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            body = {
                "src_ip": "203.0.113.1",
                "dst_ip": "192.0.2.1",
                "dst_port": 80,
                "protocol": "TCP",
                "length": 60,
            }
            await client.post("/api/v1/analyze/threat-score", json=body)  # loads the model
            times: list[float] = []
            for i in range(requests):
                req = {
                    **body,
                    "src_ip": f"203.0.{i // 250}.{i % 250 + 1}",
                    "dst_port": 1 + i % 1000,
                    "length": 40 + i % 1400,
                }
                t0 = time.perf_counter()
                r = await client.post("/api/v1/analyze/threat-score", json=req)
                times.append((time.perf_counter() - t0) * 1e3)
                assert r.status_code == 200, r.text
        times.sort()
        p99 = times[int(len(times) * 0.99) - 1]
        print(f"threat-score requests       {requests} (distinct, no cache hits)")
        print(
            f"latency p50 / p99 / max     {statistics.median(times):.2f} / {p99:.2f} / "
            f"{times[-1]:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, one process, OMP threads 1, cpus {os.cpu_count()}")
    throughput(lab_flows(args.events))
    asyncio.run(latency(args.requests))


if __name__ == "__main__":
    main()
