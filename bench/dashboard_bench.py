"""Dashboard figures: bundle size, cold load of the overview over a big database, live feed.

    python bench/dashboard_bench.py                 # 1,000,000 stored events, SQLite
    python bench/dashboard_bench.py --events 100000 --db postgresql://127.0.0.1/pn_bench

1. Bundle: what the overview downloads first (entry JS + CSS + preloaded chunks), raw and
   gzip (the build writes .gz files the server sends), and every chunk.
2. Load: bench/dashboard/server.py (the real API, storage and writer) over ``--events``
   synthetic events spread over 7 days; headless Chromium (Debian's, via playwright-core)
   loads the overview ``--runs`` times with a cold cache. Time to interactive = the later of
   KPIs showing /api/stats data, the live stream connected, and the end of the last long task.
3. Stream: the same server publishing ``--rate`` events/s; frame times, long tasks, events
   received and click-to-paint latency over ``--seconds``.

Needs node, web/node_modules (``npm ci``) and a built dashboard (``make web``). The database is
kept in ``--data-dir`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
STATIC = ROOT / "src" / "phantomnet" / "dashboard" / "static"
SERVER = ROOT / "bench" / "dashboard" / "server.py"
BROWSER = ROOT / "bench" / "dashboard" / "bench.mjs"


def bundle() -> dict[str, Any]:
    """Sizes of the first-load files (from index.html) and of every chunk."""
    html = (STATIC / "index.html").read_text()
    first = re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', html)

    def sizes(rel: str) -> tuple[int, int]:
        raw = (STATIC / rel).read_bytes()
        return len(raw), len(gzip.compress(raw, 9))

    files = sorted((STATIC / "assets").glob("*"))
    chunks = {p.name: sizes(f"assets/{p.name}") for p in files if p.suffix in (".js", ".css")}
    return {
        "first_load_files": first,
        "first_load_raw": sum(sizes(f)[0] for f in first),
        "first_load_gzip": sum(sizes(f)[1] for f in first),
        "all_raw": sum(r for r, _ in chunks.values()),
        "all_gzip": sum(g for _, g in chunks.values()),
        "largest_chunks_gzip": sorted(((g, n) for n, (_, g) in chunks.items()), reverse=True)[:5],
    }


class Server:
    """bench/dashboard/server.py in a subprocess (stopped by its PID)."""

    def __init__(self, args: argparse.Namespace, rate: int, populate: bool) -> None:
        cmd = [sys.executable, str(SERVER), "--data-dir", str(args.data_dir), "--rate", str(rate)]
        if args.db:
            cmd += ["--db", args.db]
        if populate:
            cmd += ["--events", str(args.events), "--days", "7"]
        self.log = (args.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks while populating (bounded by --events)
        if not line:
            raise RuntimeError(f"bench server exited; see {args.data_dir / 'server.log'}")
        info = json.loads(line)
        self.url, self.token = info["url"], info["token"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def browser(mode: str, server: Server, arg: int) -> dict[str, Any]:
    out = subprocess.run(
        ["node", str(BROWSER), mode, server.url, server.token, str(arg)],
        capture_output=True, text=True, timeout=600, check=True, cwd=ROOT / "web",
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def preflight() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ROOT / "web" / "node_modules" / "playwright-core").is_dir():
        return "web/node_modules missing: run `cd web && npm ci`"
    if not (STATIC / "index.html").exists():
        return "dashboard not built: run `make web`"
    return None


def main() -> int:
    p = argparse.ArgumentParser(description="Dashboard benchmark")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--rate", type=int, default=500)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--db", default="")
    p.add_argument("--data-dir", type=Path, default=None)
    args = p.parse_args()
    problem = preflight()
    if problem:
        print(f"dashboard bench cannot run: {problem}", file=sys.stderr)
        return 1
    args.data_dir = args.data_dir or Path(f"/tmp/pn-dash-bench-{args.events}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    marker = args.data_dir / ("populated-pg" if args.db else "populated")
    print(json.dumps({"bundle": bundle()}), flush=True)
    t0 = time.perf_counter()
    server = Server(args, rate=0, populate=not marker.exists())
    marker.touch()
    print(json.dumps({"ready_after_s": round(time.perf_counter() - t0, 1)}), flush=True)
    try:
        print(json.dumps({"load": browser("load", server, args.runs)}), flush=True)
    finally:
        server.stop()
    server = Server(args, rate=args.rate, populate=False)
    try:
        print(json.dumps({"stream": browser("stream", server, args.seconds)}), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
