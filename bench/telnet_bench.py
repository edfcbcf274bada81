"""Telnet door figures against Debian's real inetutils telnetd in the same run: connections
to the login prompt per second (option dialogue included), full logins/s on the door
(login, prompt, ``exit``), and memory per idle connection at the login prompt (door: RSS
growth of its process; telnetd: RSS of the telnetd + login processes each connection
spawns). Prints figures; asserts nothing.

    .venv/bin/python bench/telnet_bench.py [--seconds 10] [--concurrency 20] [--idle 200]

Everything runs on 127.0.0.1; the real telnetd runs under inetutils-inetd (root needed) on a
free port. Every server is stopped by the PID we started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
DOOR = """
import asyncio, sys
from pathlib import Path
from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.telnet.sensor import TelnetConfig, TelnetSensor
async def main():
    bus = MemoryBus()
    cfg = TelnetConfig(host="127.0.0.1", port=int(sys.argv[1]), max_sessions=5000,
                       max_per_source=5000, max_per_net=5000, record=False)
    s = TelnetSensor(cfg, SensorContext(node="bench", bus=bus, data_dir=Path(sys.argv[2])))
    await s.start()
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def answers(buf: bytes) -> bytes:
    """Mirai-style option answers for what ``buf`` asked."""
    out = bytearray()
    for i in range(len(buf) - 2):
        if buf[i] == IAC and buf[i + 1] in (DO, WILL):
            opt = buf[i + 2]
            if buf[i + 1] == DO and opt == 31:
                out += bytes((IAC, WILL, 31, IAC, SB, 31, 0, 80, 0, 24, IAC, SE))
            elif buf[i + 1] == DO:
                out += bytes((IAC, WONT, opt))
            else:
                out += bytes((IAC, DO, opt))
    return bytes(out)


async def until(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, marker: bytes) -> None:
    seen = b""
    while marker not in seen:
        chunk = await reader.read(4096)
        if not chunk:
            raise ConnectionError("closed")
        reply = answers(chunk)
        if reply:
            writer.write(reply)
        seen = (seen + chunk)[-4096:]


async def to_prompt(port: int, login: tuple[str, str] | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await until(reader, writer, b"login: ")
        if login is not None:
            writer.write(login[0].encode() + b"\r\n")
            await until(reader, writer, b"Password: ")
            writer.write(login[1].encode() + b"\r\n")
            await until(reader, writer, b"# ")
            writer.write(b"exit\r\n")
            await until(reader, writer, b"logout")
    finally:
        writer.close()


async def rate(port: int, seconds: float, concurrency: int, login: tuple[str, str] | None) -> float:
    done = 0
    end = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < end:
            async with asyncio.timeout(30):
                await to_prompt(port, login)
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.monotonic() - start)


async def idle_kb(port: int, count: int, measure: list[int]) -> float:
    """Extra KB per connection held at the login prompt (RSS of ``measure`` pids + kids)."""

    def total() -> int:
        pids = set(measure)
        for p in measure:
            pids.update(descendants(p))
        return sum(rss_kb(p) for p in pids)

    before = total()
    held = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        async with asyncio.timeout(30):
            await until(reader, writer, b"login: ")
        held.append(writer)
    await asyncio.sleep(1)
    after = total()
    for w in held:
        w.close()
    return (after - before) / count


async def wait_port(port: int) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.1)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument("--real-idle", type=int, default=40)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="telnet-bench-"))
    door_port = free_port()
    door = subprocess.Popen([sys.executable, "-c", DOOR, str(door_port), str(tmp / "door")])
    real = None
    results: dict[str, float | str] = {"door_port": door_port}
    try:
        await wait_port(door_port)
        results["door_prompts_per_s"] = round(
            await rate(door_port, args.seconds, args.concurrency, None), 1
        )
        results["door_logins_per_s"] = round(
            await rate(door_port, args.seconds, args.concurrency, ("root", "123456")), 1
        )
        results["door_idle_kb_per_conn"] = round(await idle_kb(door_port, args.idle, [door.pid]), 1)
        inetd = shutil.which("inetutils-inetd")
        if inetd and os.geteuid() == 0 and os.path.exists("/usr/sbin/telnetd"):
            real_port = free_port()
            conf = tmp / "inetd.conf"
            conf.write_text(
                f"127.0.0.1:{real_port} stream tcp nowait root /usr/sbin/telnetd telnetd\n"
            )
            real = subprocess.Popen(
                [inetd, "-d", "--pidfile", str(tmp / "inetd.pid"), str(conf)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            await wait_port(real_port)
            results["telnetd_prompts_per_s"] = round(
                await rate(real_port, args.seconds, args.concurrency, None), 1
            )
            results["telnetd_idle_kb_per_conn"] = round(
                await idle_kb(real_port, args.real_idle, [real.pid]), 1
            )
        else:
            results["telnetd"] = "skipped: needs root and inetutils-inetd/inetutils-telnetd"
        results["load_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(results, indent=2))
    finally:
        for proc in (door, real):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
