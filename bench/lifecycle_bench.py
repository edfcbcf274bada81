"""Figures that used to be assertions in tests (timings belong here, not in a test):

- how long ``phantomnet up`` takes to exit after Ctrl-C (SIGINT), every door listening;
- how long the HTTP door's SQL injection (on the fake host's SQL engine) takes to cut a
  runaway query (step and time budget).

Prints figures; asserts nothing.

    .venv/bin/python bench/lifecycle_bench.py [--runs 3]

Everything runs on 127.0.0.1 with free ports and a temporary data dir; the process is
stopped by the PID we started.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from phantomnet import plugins
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.http.shopdb import ShopDb

BIN = Path(sys.executable).with_name("phantomnet")
RUNAWAY = (
    "1 AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c)>0"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(tmp: Path) -> Path:
    lines = [f'data_dir = "{tmp / "data"}"', "[api]", f"port = {free_port()}"]
    for name in plugins.available(plugins.SENSORS):
        lines += [f"[sensors.{name}]", 'host = "127.0.0.1"', f"port = {free_port()}"]
        if name == "http":
            lines.append(f"tls_port = {free_port()}")
    path = tmp / "phantomnet.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stop_seconds() -> float | None:
    """Seconds from SIGINT to exit, once the start-up summary is logged (None: never ready)."""
    with tempfile.TemporaryDirectory(prefix="pn-bench-") as tmp:
        log = Path(tmp) / "up.log"
        env = {"PATH": "/usr/bin:/bin", "PHANTOMNET_CONFIG": str(config(Path(tmp)))}
        with log.open("wb") as out:
            proc = subprocess.Popen([str(BIN), "up"], env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 180
            while b"dashboard and API at" not in log.read_bytes():
                if proc.poll() is not None or time.monotonic() > deadline:
                    return None
                time.sleep(0.2)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(120)
            return time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def budget_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = ShopDb(FakeHost.load(Path(tmp)))
        db.product("192.0.2.1", "1")  # the seed is built before the clock starts
        t0 = time.perf_counter()
        db.product("192.0.2.1", RUNAWAY)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cuts = [budget_seconds() for _ in range(args.runs)]
    print(f"web SQL injection runaway query cut after: median {statistics.median(cuts):.3f} s, "
          f"max {max(cuts):.3f} s ({args.runs} runs)")  # fmt: skip
    stops = [s for s in (stop_seconds() for _ in range(args.runs)) if s is not None]
    if stops:
        print(f"phantomnet up exit after SIGINT: median {statistics.median(stops):.2f} s, "
              f"max {max(stops):.2f} s ({len(stops)} of {args.runs} runs ready)")  # fmt: skip
    else:
        print("phantomnet up never logged its start-up summary")


if __name__ == "__main__":
    main()
