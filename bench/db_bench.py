"""MySQL door figures next to the real MariaDB 10.11 on this machine, in the same run:
logins/s (connect, native-password login, COM_QUIT), queries/s (``SELECT 1`` on open
connections), and memory per idle logged-in connection. Optionally OpenCanary's and
Heralding's MySQL modules (``pip install opencanary`` / ``pip install heralding`` into throwaway
venvs under /tmp, never into the repo). Prints JSON; asserts nothing.

    .venv/bin/python bench/db_bench.py [--seconds 10] [--concurrency 50] [--idle 500]
                                      [--opencanary] [--heralding]

Heralding 1.0.7 (its last release, 2020) calls ``asyncio.start_server(loop=...)``, which
Python 3.10 removed, and its sdist bootstraps setuptools from the internet (``ez_setup``)
unless a setuptools with ``pkg_resources`` is already there: its venv is made with the
machine's Python 3.9 (or 3.8/3.7) and installed with ``--no-build-isolation``.

Everything runs on 127.0.0.1. The door runs in a child process (its own RSS); MariaDB's PID
comes from /run/mysqld/mysqld.pid. Every process is stopped by the PID we started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAPS = 0x000FA685 | 1 << 16 | 1 << 24
OPENCANARY_VENV = Path(tempfile.gettempdir()) / "phantomnet-bench-opencanary-venv"
HERALDING_VENV = Path(tempfile.gettempdir()) / "phantomnet-bench-heralding-venv"
HERALDING_PY311 = (
    "heralding 1.0.7 cannot run on Python >= 3.10 (asyncio.start_server(loop=...) was removed: "
    "TypeError: create_server() got an unexpected keyword argument 'loop')"
)
REFUSE_ONLY = ("opencanary", "heralding")  # they never let anyone in


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` (a figure load on the machine
    does not distort the way it distorts wall-clock rates)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def token(password: bytes, scramble: bytes) -> bytes:
    if not password:
        return b""
    h1 = hashlib.sha1(password).digest()
    h3 = hashlib.sha1(scramble + hashlib.sha1(h1).digest()).digest()
    return bytes(a ^ b for a, b in zip(h1, h3, strict=True))


async def packet(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    return await reader.readexactly(head[0] | head[1] << 8 | head[2] << 16)


def frame(seq: int, body: bytes) -> bytes:
    return struct.pack("<I", len(body))[:3] + bytes([seq]) + body


async def login(
    port: int, user: bytes, password: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:  # fmt: skip
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    g = await packet(reader)
    end = g.index(b"\x00", 1)
    scramble = g[end + 5 : end + 13] + g[end + 32 : end + 44]
    t = token(password, scramble)
    body = struct.pack("<IIB", CAPS, 1 << 24, 45) + bytes(23) + user + b"\x00"
    writer.write(frame(1, body + bytes([len(t)]) + t + b"mysql_native_password\x00"))
    answer = await packet(reader)
    if answer[:1] == b"\xfe":  # auth switch (OpenCanary, MySQL 8 style servers)
        writer.write(frame(3, token(password, answer[22:42])))
        answer = await packet(reader)
    return reader, writer, answer[:1] == b"\x00"


async def login_bench(
    port: int, user: bytes, pw: bytes, conc: int, seconds: float
) -> dict[str, float]:
    done = failed = errors = 0
    stop = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done, failed, errors
        while time.monotonic() < stop:
            try:
                _r, w, ok = await login(port, user, pw)
                w.write(frame(0, b"\x01"))
                w.close()
                done += ok
                failed += not ok
            except (OSError, asyncio.IncompleteReadError):
                errors += 1  # reset or closed without an answer: not counted as answered

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conc)))
    took = time.monotonic() - start
    return {"logins": done, "failed": failed, "errors": errors,
            "logins_per_s": round(done / took, 1),
            "answered_per_s": round((done + failed) / took, 1)}  # fmt: skip


async def query_bench(
    port: int, user: bytes, pw: bytes, conc: int, seconds: float
) -> dict[str, float]:
    done = 0
    stop = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        r, w, ok = await login(port, user, pw)
        if not ok:
            return
        while time.monotonic() < stop:
            w.write(frame(0, b"\x03SELECT 1"))
            while True:  # column count, column, (EOF), row, EOF/OK
                p = await packet(r)
                if p[:1] in (b"\xfe", b"\xff") and len(p) < 9:
                    break
            done += 1
        w.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conc)))
    took = time.monotonic() - start
    return {"queries": done, "queries_per_s": round(done / took, 1)}


async def idle_bench(pid: int, port: int, user: bytes, pw: bytes, n: int) -> dict[str, float]:
    before = rss_mb(pid)
    held = []
    for _ in range(n):
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            _r, w, ok = await login(port, user, pw)
            if ok:
                held.append(w)
    await asyncio.sleep(1.0)
    after = rss_mb(pid)
    for w in held:
        w.close()
    per_kb = (after - before) * 1024 / max(1, len(held))
    return {
        "idle_connections": len(held),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "kb_per_idle_connection": round(per_kb, 1),
    }


async def preauth_bench(pid: int, port: int, n: int) -> dict[str, float | None]:
    """Memory per connection that got its greeting and sent nothing yet (the one idle state
    a server that lets nobody in has; every server here waits at least 10 s for the
    handshake response, and the figure is taken 1 s after the last greeting)."""
    before = rss_mb(pid)
    held = []
    silent = None
    for _ in range(n):
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            try:  # Heralding accepts past its 800 sessions and never answers nor closes
                await asyncio.wait_for(packet(r), 5)
            except TimeoutError:
                silent = w
                break
            held.append(w)
    await asyncio.sleep(1.0)
    after = rss_mb(pid)
    for w in [*held, *([silent] if silent else [])]:
        w.close()
    per_kb = (after - before) * 1024 / max(1, len(held))
    return {"preauth_connections": len(held), "kb_per_preauth_connection": round(per_kb, 1),
            "preauth_silent_after": len(held) if silent else None}  # fmt: skip


async def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def serve_door(port: int, data_dir: str) -> None:
    """Child process: the MySQL door with an in-memory bus drained by a consumer."""
    from phantomnet.bus.memory import MemoryBus
    from phantomnet.sensors.base import SensorContext
    from phantomnet.sensors.mysql.config import MysqlConfig
    from phantomnet.sensors.mysql.sensor import MysqlSensor

    async def main() -> None:
        bus = MemoryBus()
        sub = bus.subscribe("drain")

        async def drain() -> None:
            async for batch in sub:
                await batch.ack()

        config = MysqlConfig(host="127.0.0.1", port=port, max_sessions=4000,
                             max_per_source=4000, max_per_net=4000, tls=False)  # fmt: skip
        sensor = MysqlSensor(config, SensorContext(node="bench", bus=bus, data_dir=Path(data_dir)))
        await sensor.start()
        task = asyncio.create_task(drain())
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await sensor.stop()
        task.cancel()

    asyncio.run(main())


def ensure_opencanary() -> Path | None:
    if not (OPENCANARY_VENV / "bin" / "opencanaryd").exists():
        subprocess.run([sys.executable, "-m", "venv", str(OPENCANARY_VENV)], check=True)
        subprocess.run([str(OPENCANARY_VENV / "bin" / "pip"), "install", "-q", "opencanary"],
                       check=False)  # fmt: skip
    return OPENCANARY_VENV if (OPENCANARY_VENV / "bin" / "opencanaryd").exists() else None


def start_opencanary(venv: Path, port: int, folder: Path) -> subprocess.Popen[bytes] | None:
    conf = {"device.node_id": "bench", "mysql.enabled": True, "mysql.port": port,
            "mysql.banner": "5.5.43-0ubuntu0.14.04.1", "logger": {"class": "PyLogger",
            "kwargs": {"handlers": {"file": {"class": "logging.FileHandler",
                                             "filename": str(folder / "oc.log")}}}}}  # fmt: skip
    (folder / "opencanary.conf").write_text(json.dumps(conf))
    twistd = venv / "bin" / "twistd"
    tac = next(
        iter(
            [
                *venv.glob("bin/opencanary.tac"),
                *venv.glob("lib/python*/site-packages/opencanary/opencanary.tac"),
            ]
        ),
        None,
    )
    if tac is None or not twistd.exists():
        return None
    return subprocess.Popen([str(twistd), "-n", "-y", str(tac), "--pidfile="], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def old_python() -> str | None:
    """A Python <= 3.9 on this machine (PATH or pyenv), for Heralding."""
    found = [shutil.which(f"python3.{minor}") for minor in (9, 8, 7)]
    found += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.[789].*/bin/python3"))]
    for exe in filter(None, found):
        probe = [exe, "-c", "import sys; sys.exit(sys.version_info[:2] > (3, 9))"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return exe
    return None


def ensure_heralding() -> tuple[Path | None, str]:
    """Heralding's venv, or None and the one-line reason it cannot run."""
    script = HERALDING_VENV / "bin" / "heralding"
    if not script.exists():
        python = old_python()
        if python is None:
            return None, HERALDING_PY311 + "; no Python <= 3.9 on this machine"
        pip = str(HERALDING_VENV / "bin" / "pip")
        subprocess.run([python, "-m", "venv", str(HERALDING_VENV)], check=True)
        subprocess.run([pip, "install", "-q", "setuptools<70", "wheel"], check=False)
        subprocess.run([pip, "install", "-q", "--no-build-isolation", "heralding"], check=False)
    if not script.exists():
        return None, "pip install heralding failed (see pip's output above)"
    return HERALDING_VENV, ""


HERALDING_CONF = """public_ip_as_destination_ip: false
bind_host: 127.0.0.1
activity_logging:
  file: {{enabled: true, session_csv_log_file: log_session.csv,
         session_json_log_file: log_session.json, authentication_log_file: log_auth.csv}}
  syslog: {{enabled: false}}
  hpfeeds: {{enabled: false}}
  curiosum: {{enabled: false}}
hash_cracker: {{enabled: false}}
capabilities:
  mysql: {{enabled: true, port: {port}, timeout: 30}}
"""


def start_heralding(venv: Path, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """Heralding in the foreground with only its MySQL capability (it drops to nobody when
    started as root, so its folder must be writable by anyone)."""
    work = folder / "heralding"
    work.mkdir()
    work.chmod(0o777)
    (work / "heralding.yml").write_text(HERALDING_CONF.format(port=port))
    cmd = [str(venv / "bin" / "python"), str(venv / "bin" / "heralding"),
           "-c", "heralding.yml", "-l", "heralding.log"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process we started; SIGKILL it (same PID) if it is still there in 30 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


async def bench_target(name: str, pid: int, port: int, user: bytes, pw: bytes,
                       args: argparse.Namespace) -> dict[str, object]:  # fmt: skip
    out: dict[str, object] = {"target": name, "port": port}
    before = cpu_s(pid)
    denied = await login_bench(port, user, b"wrong-password-0", args.concurrency, args.seconds)
    used = cpu_s(pid) - before
    out["denied_logins_per_s"] = denied["answered_per_s"]
    out["denied_errors"] = denied["errors"]
    attempts = denied["logins"] + denied["failed"]
    out["server_cpu_ms_per_denied_login"] = round(used * 1000 / max(1, attempts), 3)
    # the real server's max_connections is 151, and other tests share it; it is not sent
    # half-opened connections either (handshake errors are what max_connect_errors counts)
    # (the door's is measured in a fresh process: memory the allocator keeps from one
    # phase is reused by the next, so the two idle figures cannot share one)
    idle = args.idle if name != "mariadb-10.11" else min(args.idle, 100)
    if name in REFUSE_ONLY:
        out.update(await preauth_bench(pid, port, idle))
    if name not in REFUSE_ONLY:
        before = cpu_s(pid)
        logins = await login_bench(port, user, pw, args.concurrency, args.seconds)
        used = cpu_s(pid) - before
        out.update(logins)
        out["server_cpu_ms_per_login"] = round(used * 1000 / max(1, logins["logins"]), 3)
        before = cpu_s(pid)
        queries = await query_bench(port, user, pw, args.concurrency, args.seconds)
        used = cpu_s(pid) - before
        out.update(queries)
        out["server_cpu_ms_per_query"] = round(used * 1000 / max(1, queries["queries"]), 3)
        out.update(await idle_bench(pid, port, user, pw, idle))
    return out


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="phantomnet-dbbench-"))
    try:
        results = await run_all(args, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)  # the door's state, the honeypots' logs
    print(json.dumps(results, indent=1))


async def run_all(args: argparse.Namespace, data: Path) -> list[dict[str, object]]:
    results: list[dict[str, object]] = [{"load_average_at_start": os.getloadavg()}]
    port = free_port()
    door = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(data)])
    try:
        await wait_port(port)
        results.append(await bench_target("phantomnet", door.pid, port, b"root", b"root", args))
    finally:
        stop_process(door)
    door = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(data)])
    try:
        await wait_port(port)
        results[-1].update(await preauth_bench(door.pid, port, args.idle))
    finally:
        stop_process(door)
    pidfile = Path("/run/mysqld/mysqld.pid")
    if pidfile.exists():
        real = int(pidfile.read_text().strip())
        results.append(await bench_target("mariadb-10.11", real, 3306, b"root", b"", args))
    if args.opencanary:
        venv = ensure_opencanary()
        oc_port = free_port()
        proc = start_opencanary(venv, oc_port, data) if venv else None
        if proc is None:
            results.append({"target": "opencanary", "error": "pip install opencanary failed"})
        else:
            try:
                await wait_port(oc_port, 30)
                results.append(await bench_target("opencanary", proc.pid, oc_port, b"root",
                                                  b"root", args))  # fmt: skip
            except RuntimeError as exc:
                results.append({"target": "opencanary", "error": str(exc)})
            finally:
                stop_process(proc)
    if args.heralding:
        results.append(await bench_heralding(data, args))
    results.append({"load_average_at_end": os.getloadavg()})
    return results


async def bench_heralding(data: Path, args: argparse.Namespace) -> dict[str, object]:
    venv, why = ensure_heralding()
    if venv is None:
        return {"target": "heralding", "error": why}
    port = free_port()
    proc = start_heralding(venv, port, data)
    try:
        await wait_port(port, 30)
        return await bench_target("heralding", proc.pid, port, b"root", b"root", args)
    except RuntimeError as exc:
        return {"target": "heralding", "error": str(exc)}
    finally:
        stop_process(proc)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_door(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--opencanary", action="store_true")
    parser.add_argument("--heralding", action="store_true")
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 65536), hard), hard))
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main(parser.parse_args()))
