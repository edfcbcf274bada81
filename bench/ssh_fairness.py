"""SSH fairness: another client's login + command latency while 8 CPU-hog shell sessions
from one source run (issue 11: 0.16 s -> 3.1 s on main). Prints figures; asserts nothing.

    .venv/bin/python bench/ssh_fairness.py [--samples 15] [--hogs 8] [--sources 1]
        [--line loop|builtin]

``--line loop`` (default) hogs with shell loops (time-sliced between commands);
``--line builtin`` with heavy builtins over ~600 KB (sort, grep, sed, awk, tr, rev, tac,
base64, cut, uniq), whose budget checks run inside the builtins' loops. Besides logins,
the victim's *command* latency is measured: ``echo hi`` on an already open connection.

The sensor runs in its own process (``ssh_bench.serve_phantom``); hogs are OpenSSH
sessions bound to 127.0.2.2 (``--sources N``: spread over N addresses) that feed CPU-heavy
lines without pause; the measured client (asyncssh) logs in from 127.0.0.1, runs
``echo hi`` and disconnects, one sample at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

sys.path.insert(0, str(Path(__file__).parent))
from ssh_bench import CLIENT, cpu_s, free_port, start_phantom, stop, wait_port

HOGS = {
    "loop": "for i in $(seq 2000); do for j in $(seq 2000); do x=$i$j; done; done\n",
    # each line runs until its CPU budget ends it ("Killed"), then the next one starts
    "builtin": "seq 100000 > /tmp/n; while true; do sort -r /tmp/n | grep 9 | sed 's/1/x/g'"
    " | awk '{print $1}' | tr 0-9 a-j | rev | tac | base64 | cut -c1-20 | uniq -c | wc -l;"
    " done\n",
}


async def one_login(port: int) -> float:
    start = time.perf_counter()
    async with asyncssh.connect("127.0.0.1", port, **CLIENT) as conn:
        result = await conn.run("echo hi", check=True)
        assert result.stdout == "hi\n"
    return time.perf_counter() - start


async def sample(port: int, n: int) -> list[float]:
    """``n`` sequential login+command latencies (a failed or timed-out try counts as 30 s)."""
    out = []
    for _ in range(n):
        try:
            out.append(await one_login(port))
        except (OSError, asyncssh.Error, TimeoutError):
            out.append(30.0)
    return out


async def commands(port: int, n: int) -> list[float]:
    """``n`` sequential ``echo hi`` latencies on one open connection (no login cost)."""
    out = []
    async with asyncssh.connect("127.0.0.1", port, **CLIENT) as conn:
        for _ in range(n):
            start = time.perf_counter()
            try:
                async with asyncio.timeout(30):
                    result = await conn.run("echo hi", check=True)
                assert result.stdout == "hi\n"
                out.append(time.perf_counter() - start)
            except (OSError, asyncssh.Error, TimeoutError):
                out.append(30.0)
    return out


async def hog(port: int, script: Path, source: str) -> asyncio.subprocess.Process:
    """An OpenSSH client from ``source`` feeding hog lines (its own process: the bench's
    loop stays free for the measured client)."""
    return await asyncio.create_subprocess_exec(
        "sshpass", "-p", CLIENT["password"], "ssh", "-T", "-b", source,
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-p", str(port), "root@127.0.0.1",
        stdin=script.open("rb"), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def summary(xs: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(xs), 3),
        "p90_s": round(sorted(xs)[int(len(xs) * 0.9) - 1], 3),
        "max_s": round(max(xs), 3),
    }


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="pn-fair-"))
    proc = start_phantom(port, data, tarpit=False)
    try:
        await wait_port(port)
        await sample(port, 3)  # warm-up
        idle = await sample(port, args.samples)
        idle_cmd = await commands(port, args.samples * 4)
        script = data / "hog.sh"
        script.write_text(HOGS[args.line] * 5000)
        hogs = [
            await hog(port, script, f"127.0.{2 + i % args.sources}.2") for i in range(args.hogs)
        ]
        await asyncio.sleep(3)
        before = cpu_s(proc.pid)
        t0 = time.perf_counter()
        busy = await sample(port, args.samples)
        busy_cmd = await commands(port, args.samples * 4)
        load = (cpu_s(proc.pid) - before) / (time.perf_counter() - t0)
        alive = sum(h.returncode is None for h in hogs)
        for h in hogs:
            if h.returncode is None:
                h.kill()
            await h.wait()
        report = {
            "line": args.line,
            "hogs": args.hogs,
            "hog_sources": args.sources,
            "idle": summary(idle),
            "with_hogs": summary(busy),
            "ratio_median": round(statistics.median(busy) / statistics.median(idle), 2),
            "ratio_p90": round(summary(busy)["p90_s"] / summary(idle)["p90_s"], 2),
            "command_idle": summary(idle_cmd),
            "command_with_hogs": summary(busy_cmd),
            "command_ratio_median": round(
                statistics.median(busy_cmd) / statistics.median(idle_cmd), 2
            ),
            "command_ratio_p90": round(summary(busy_cmd)["p90_s"] / summary(idle_cmd)["p90_s"], 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "server_cpu_load_during_hogs": round(load, 2),
            "hogs_still_running_at_end": alive,
        }
        print(json.dumps(report, indent=2))
    finally:
        stop(proc)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--hogs", type=int, default=8)
    parser.add_argument("--sources", type=int, default=1, help="spread the hogs over N sources")
    parser.add_argument("--line", choices=sorted(HOGS), default="loop", help="what the hogs run")
    asyncio.run(main(parser.parse_args()))
