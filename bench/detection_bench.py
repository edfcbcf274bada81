"""Detector engine benchmark: event-level throughput with and without the replay filter.

Prints figures; asserts nothing. Usage::

    .venv/bin/python bench/detection_bench.py [--events 100000]

Failed ``auth.attempt`` events from 65,536 sources go through :class:`DetectorEngine` with the
built-in ``brute_force`` detector, alternately with the event-id LRU effectively off
(``seen_ids=1``) and at its default size, twice each, on one core, in process (no bus).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.detection.engine import DetectorEngine
from phantomnet.events import AuthAttempt, Endpoint, SensorRef


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    n = parser.parse_args().events
    ref, t0 = SensorRef(node="n", component="ssh"), datetime(2026, 11, 21, tzinfo=UTC)
    events = [
        AuthAttempt(
            sensor=ref,
            protocol="ssh",
            username="root",
            password="p",
            accepted=False,
            src=Endpoint(ip=f"198.51.{i // 256 % 256}.{i % 256}", port=4000),
            dst=Endpoint(ip="10.0.0.1", port=22),
            occurred_at=t0 + timedelta(milliseconds=i),
        )
        for i in range(n)
    ]
    for seen in (1, 200_000, 1, 200_000):  # twice each: the first pass warms up
        engine = DetectorEngine(None, [BruteForce(BruteForceConfig(), "n")], seen_ids=seen)  # type: ignore[arg-type]
        start = time.perf_counter()
        for event in events:
            engine.observe(event)
        took = time.perf_counter() - start
        print(f"seen_ids={seen:>7}: {n / took:>10,.0f} events/s")


if __name__ == "__main__":
    main()
