"""HTTP/FTP/SMTP honeypot figures: HTTP requests/s and p99 with wrk on the decoy pages, beside
OpenCanary's HTTP module in the same run; RSS of the FTP+SMTP sensors holding idle connections.

    .venv/bin/python bench/web_bench.py [--duration 10] [--idle 1000] [--opencanary-venv DIR]

OpenCanary is installed from PyPI into a temporary venv outside the repo (or the one given).
Every server is a subprocess on 127.0.0.1 stopped by its PID; wrk runs -t2 -c50 for
--duration seconds per page. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES = ("/", "/wp-login.php", "/products.php?id=2", "/nope-404")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(kind: str, data: str, ports: list[int]) -> None:
    """Child process: run the honeypot(s) with a draining in-memory bus."""
    from phantomnet.bus.memory import MemoryBus
    from phantomnet.sensors.base import SensorContext
    from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
    from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
    from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor

    bus = MemoryBus()
    ctx = SensorContext(node="bench", bus=bus, data_dir=Path(data))
    big = {"host": "127.0.0.1", "max_sessions": 5000, "max_per_source": 5000}
    sensors = (
        [HttpSensor(HttpConfig(port=ports[0], tls_port=None, **big), ctx)]  # type: ignore[arg-type]
        if kind == "http"
        else [FtpSensor(FtpConfig(port=ports[0], **big), ctx),  # type: ignore[arg-type]
              SmtpSensor(SmtpConfig(port=ports[1], **big), ctx)]  # type: ignore[arg-type]
    )  # fmt: skip
    sub = bus.subscribe("bench")
    for sensor in sensors:
        await sensor.start()

    async def drain() -> None:
        async for batch in sub:
            await batch.ack()

    print("ready", flush=True)
    await asyncio.gather(drain(), *(s.run() for s in sensors))


def start(cmd: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a server whose output goes to ``log`` (a full pipe would stall it)."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"port {port} never opened")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else float("nan")


def wrk(url: str, duration: int) -> tuple[float, str, int]:
    """(requests/s, p99 latency, non-2xx/3xx responses) of one wrk run."""
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, timeout=duration + 60).stdout  # fmt: skip
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return (float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "?",
            int(bad.group(1)) if bad else 0)  # fmt: skip


def bench_phantomnet(duration: int, tmp: Path) -> dict[str, tuple[float, str, int]]:
    port = free_port()
    proc = start([sys.executable, __file__, "--serve", "http", str(tmp / "pn"), str(port)],
                 tmp / "pn.log")  # fmt: skip
    try:
        wait_port(port)
        results = {page: wrk(f"http://127.0.0.1:{port}{page}", duration) for page in PAGES}
        print(f"phantomnet http RSS after load: {rss_mb(proc.pid):.1f} MB")
        return results
    finally:
        stop(proc)


def opencanary_venv(given: str | None, tmp: Path) -> Path:
    if given:
        return Path(given)
    venv = tmp / "opencanary-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin/pip"), "install", "-q", "opencanary"], check=True,
                   timeout=900)  # fmt: skip
    return venv


def bench_opencanary(venv: Path, duration: int, tmp: Path) -> dict[str, tuple[float, str, int]]:
    port = free_port()
    work = tmp / "oc"
    work.mkdir()
    config = {"device.node_id": "bench-1", "http.enabled": True, "http.port": port,
              "http.banner": "Apache/2.2.22 (Ubuntu)", "http.skin": "basicLogin",
              "logger": {"class": "PyLogger", "kwargs": {"handlers": {"file": {
                  "class": "logging.FileHandler", "filename": str(work / "oc.log")}}}}}  # fmt: skip
    for key in ("ftp", "ssh", "telnet", "mysql", "smb", "rdp", "sip", "snmp", "ntp", "tftp",
                "vnc", "redis", "tcpbanner", "git", "httpproxy", "mssql", "portscan"):  # fmt: skip
        config[f"{key}.enabled"] = False
    (work / "opencanary.conf").write_text(json.dumps(config))
    # opencanaryd --dev is `sudo twistd -noy opencanary.tac`: run twistd itself (our PID)
    tac = str(venv / "bin/opencanary.tac")
    proc = start([str(venv / "bin/twistd"), "--pidfile=", "-noy", tac], work / "out.log", work)
    try:
        wait_port(port)
        results = {page: wrk(f"http://127.0.0.1:{port}{page}", duration)
                   for page in ("/", "/index.html", "/nope-404")}  # fmt: skip
        print(f"opencanary http RSS after load: {rss_mb(proc.pid):.1f} MB")
        return results
    finally:
        stop(proc)


async def _hold(
    ports: list[int], n: int
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    conns = []
    for i in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[i % 2])
        await reader.readline()  # the banner: the session really started
        conns.append((reader, writer))
    return conns


def bench_idle(n: int, tmp: Path) -> None:
    ports = [free_port(), free_port()]
    cmd = [sys.executable, __file__, "--serve", "idle", str(tmp / "idle"), *map(str, ports)]
    proc = start(cmd, tmp / "idle.log")
    try:
        wait_port(ports[0])
        wait_port(ports[1])
        before = rss_mb(proc.pid)

        async def run() -> None:
            conns = await _hold(ports, 2 * n)
            await asyncio.sleep(2)
            after = rss_mb(proc.pid)
            per = (after - before) * 1024 / (2 * n)
            print(f"idle FTP+SMTP: {n} FTP + {n} SMTP connections, RSS {before:.1f} MB -> "
                  f"{after:.1f} MB ({per:.1f} KB/connection)")  # fmt: skip
            for _, writer in conns:
                writer.close()

        asyncio.run(run())
    finally:
        stop(proc)


def table(name: str, results: dict[str, tuple[float, str, int]]) -> None:
    for page, (rps, p99, bad) in results.items():
        print(f"{name:<11} {page:<22} {rps:>9.0f} req/s  p99 {p99:>8}  non-2xx/3xx {bad}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--opencanary-venv")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * args.idle + 1024)), hard))
    if args.serve:
        kind, data, *ports = args.serve
        asyncio.run(_serve(kind, data, [int(p) for p in ports]))
        return
    with tempfile.TemporaryDirectory(prefix="pn-web-bench-") as name:
        tmp = Path(name)
        ours = bench_phantomnet(args.duration, tmp)
        table("phantomnet", ours)
        venv = opencanary_venv(args.opencanary_venv, tmp)
        theirs = bench_opencanary(venv, args.duration, tmp)
        table("opencanary", theirs)
        for label, a, b in (("login page", "/wp-login.php", "/index.html"),
                            ("404 page", "/nope-404", "/nope-404")):  # fmt: skip
            ratio = ours[a][0] / theirs[b][0] if theirs[b][0] else float("nan")
            print(f"req/s ratio phantomnet/opencanary, {label}: {ratio:.2f}")
        bench_idle(args.idle, tmp)


if __name__ == "__main__":
    main()
