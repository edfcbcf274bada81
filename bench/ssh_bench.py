"""SSH honeypot figures: logins/s and login latency at 100 concurrent clients (PhantomNet and
Cowrie from PyPI, same client, same run), and RSS with 1,000 / 10,000 idle tarpitted
connections. Prints figures; asserts nothing.

    .venv/bin/python bench/ssh_bench.py [--seconds 20] [--concurrency 100] [--no-cowrie]

Everything runs on 127.0.0.1. Cowrie is installed with ``pip install cowrie`` into a temporary
venv under /tmp (outside the repo) and, because it refuses to run as root, started as
``nobody`` when the bench runs as root. Every server is stopped by the PID we started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

PASSWORD = "password"  # accepted by both: PhantomNet's default list and Cowrie's userdb
CLIENT = {
    "known_hosts": None, "username": "root", "password": PASSWORD, "client_keys": None,
    "agent_path": None, "kex_algs": ["curve25519-sha256", "curve25519-sha256@libssh.org"],
    "server_host_key_algs": ["ssh-ed25519"], "encryption_algs": ["aes128-ctr"],
    "mac_algs": ["hmac-sha2-256"], "compression_algs": ["none"], "connect_timeout": 30,
}  # fmt: skip
COWRIE_VENV = Path(tempfile.gettempdir()) / "phantomnet-bench-cowrie-venv"


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
    """User + system CPU seconds used so far by ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(pid: int, port: int, concurrency: int, seconds: float) -> dict[str, float]:
    """``login_bench`` plus the server's CPU per login (capacity, independent of the client)."""
    before = cpu_s(pid)
    result = await login_bench(port, concurrency, seconds)
    used = cpu_s(pid) - before
    result["server_cpu_s"] = round(used, 2)
    result["server_cpu_ms_per_login"] = round(used * 1000 / max(1, result["logins"]), 2)
    result["logins_per_server_cpu_s"] = round(result["logins"] / used, 1) if used else 0.0
    return result


def raise_nofile(target: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(max(soft, target), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return new


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


# -- servers ---------------------------------------------------------------------------------
def serve_phantom(port: int, data_dir: str, tarpit: bool) -> None:
    """Child process: the SSH sensor with an in-memory bus drained by a consumer."""
    from phantomnet.bus.memory import MemoryBus
    from phantomnet.deception.credentials import CredentialPolicyConfig
    from phantomnet.deception.host import FakeHost
    from phantomnet.sensors.base import SensorContext
    from phantomnet.sensors.ssh.config import SshConfig
    from phantomnet.sensors.ssh.sensor import SshSensor

    async def main() -> None:
        bus = MemoryBus()
        sub = bus.subscribe("drain")

        async def drain() -> None:
            async for batch in sub:
                await batch.ack()

        config = SshConfig(
            host="127.0.0.1", port=port, max_sessions=2000, max_per_source=2000,
            tarpit={"sources": ["127.0.0.0/8"] if tarpit else [], "interval_s": 10},
        )  # fmt: skip
        ctx = SensorContext(node="bench", bus=bus, data_dir=Path(data_dir))
        # credentials are a [deception] setting (every door): set on the shared fake host
        host = ctx.shared_object("fake_host", lambda: FakeHost.load(Path(data_dir)))
        host.policy.config = CredentialPolicyConfig(accept=("root:password", "*:password"))
        sensor = SshSensor(config, ctx)
        await sensor.start()
        task = asyncio.create_task(drain())
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await sensor.stop()
        task.cancel()

    asyncio.run(main())


def start_phantom(port: int, data_dir: Path, tarpit: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(data_dir), "1" if tarpit else "0"]
    )


def ensure_cowrie() -> Path | None:
    if not (COWRIE_VENV / "bin" / "cowrie").exists():
        base = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
        subprocess.run([base, "-m", "venv", str(COWRIE_VENV)], check=True)
        subprocess.run([str(COWRIE_VENV / "bin" / "pip"), "install", "-q", "cowrie"], check=False)
    return COWRIE_VENV if (COWRIE_VENV / "bin" / "cowrie").exists() else None


def start_cowrie(venv: Path, port: int, folder: Path) -> subprocess.Popen[bytes]:
    for sub in (
        "etc",
        "var/lib/cowrie/downloads",
        "var/lib/cowrie/tty",
        "var/log/cowrie",
        "var/run",
    ):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    dist = next(venv.glob("lib/python3*/site-packages/cowrie/data/etc/cowrie.cfg.dist"))
    shutil.copy(dist, folder / "etc" / "cowrie.cfg.dist")
    (folder / "etc" / "userdb.txt").write_text("*:x:password\n")
    (folder / "etc" / "cowrie.cfg").write_text(
        f"[ssh]\nlisten_endpoints = tcp:{port}:interface=127.0.0.1\n[telnet]\nenabled = false\n"
    )
    env = {"HOME": str(folder), "PATH": f"{venv}/bin:/usr/bin:/bin", "COWRIE_STDOUT": "yes"}
    argv = [str(venv / "bin" / "cowrie"), "start"]
    if os.geteuid() == 0:  # Cowrie refuses to run as root
        subprocess.run(["chown", "-R", "65534:65534", str(folder)], check=True)
        argv = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *argv]
    return subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- measurements ----------------------------------------------------------------------------
async def login_bench(port: int, concurrency: int, seconds: float) -> dict[str, float]:
    """``concurrency`` workers log in and disconnect in a loop for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                async with asyncssh.connect("127.0.0.1", port, **CLIENT):  # type: ignore[arg-type]
                    latencies.append(time.perf_counter() - start)
            except (OSError, asyncssh.Error, TimeoutError):
                errors += 1
                await asyncio.sleep(0.05)

    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    latencies.sort()
    pick = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))])
        if latencies
        else (lambda q: 0.0)
    )
    return {
        "logins": len(latencies), "errors": errors, "seconds": round(elapsed, 1),
        "logins_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pick(0.50) * 1000, 1), "p99_ms": round(pick(0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
    }  # fmt: skip


async def hydra_bench(pid: int, port: int, folder: Path, users: int = 3000) -> dict[str, float]:
    """Load from hydra (C, libssh): 2 processes x 50 tasks = 100 concurrent clients, each
    login a different user with the accepted password, so every login is a full connection.
    Far cheaper per login than the Python client, so the server is closer to saturation."""
    lists = []
    for half in range(2):
        path = folder / f"users{half}.txt"
        path.write_text("".join(f"u{half}x{i}\n" for i in range(users // 2)))
        lists.append(path)
    before = cpu_s(pid)
    began = time.monotonic()
    procs = [
        await asyncio.create_subprocess_exec(
            "hydra", "-L", str(path), "-p", PASSWORD, "-t", "50", "-I", "-s", str(port),
            "ssh://127.0.0.1", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, cwd=folder,
        )
        for path in lists
    ]  # fmt: skip
    outs = await asyncio.gather(*(p.communicate() for p in procs))
    elapsed = time.monotonic() - began
    used = cpu_s(pid) - before
    found = sum(out.count(b" login: ") for out, _ in outs)
    return {
        "logins": found, "seconds": round(elapsed, 1),
        "logins_per_s": round(found / elapsed, 1),
        "server_cpu_ms_per_login": round(used * 1000 / max(1, found), 2),
    }  # fmt: skip


async def tarpit_rss(pid: int, port: int, counts: list[int]) -> dict[str, float]:
    """Open idle connections in steps and read the server's RSS after each step."""
    held: list[asyncio.StreamWriter] = []
    out = {"baseline_mb": round(rss_mb(pid), 1)}
    sem = asyncio.Semaphore(400)

    async def one() -> None:
        async with sem:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            line = await asyncio.wait_for(reader.readline(), 30)
            assert not line.startswith(b"SSH-"), "not tarpitted"
            held.append(writer)

    for count in counts:
        results = await asyncio.gather(
            *(one() for _ in range(count - len(held))), return_exceptions=True
        )
        failed = sum(isinstance(r, BaseException) for r in results)
        await asyncio.sleep(3)
        out[f"held_{count}"] = len(held)
        out[f"failed_{count}"] = failed
        out[f"rss_{count}_mb"] = round(rss_mb(pid), 1)
    for w in held:
        w.close()
    return out


async def run_all(args: argparse.Namespace) -> dict[str, object]:
    limit = raise_nofile(65536)
    results: dict[str, object] = {"nofile": limit, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="pn-ssh-bench-") as tmp:
        os.chmod(tmp, 0o755)  # Cowrie runs as nobody and must reach its folder
        port = free_port()
        proc = start_phantom(port, Path(tmp) / "phantom", tarpit=False)
        try:
            await wait_port(port)
            await login_bench(port, 10, 2)  # warm-up (host keys, caches)
            results["phantomnet"] = await measured(proc.pid, port, args.concurrency, args.seconds)
            if shutil.which("hydra"):
                results["phantomnet_hydra"] = await hydra_bench(proc.pid, port, Path(tmp))
        finally:
            stop(proc)
        if not args.no_cowrie and (venv := ensure_cowrie()) is not None:
            cport = free_port()
            cproc = start_cowrie(venv, cport, Path(tmp) / "cowrie")
            try:
                await wait_port(cport, timeout=90)
                await login_bench(cport, 10, 2)
                results["cowrie"] = await measured(cproc.pid, cport, args.concurrency, args.seconds)
                if shutil.which("hydra"):
                    results["cowrie_hydra"] = await hydra_bench(cproc.pid, cport, Path(tmp))
            finally:
                stop(cproc)
            p, c = results["phantomnet"], results["cowrie"]
            for key in ("logins_per_s", "logins_per_server_cpu_s"):
                theirs = c[key]  # type: ignore[index]
                ratio = round(p[key] / theirs, 2) if theirs else None  # type: ignore[index]
                results[f"ratio_{key}"] = ratio
            if "cowrie_hydra" in results:
                ph, ch = results["phantomnet_hydra"], results["cowrie_hydra"]
                theirs = ch["logins_per_s"]  # type: ignore[index]
                ratio = round(ph["logins_per_s"] / theirs, 2) if theirs else None  # type: ignore[index]
                results["ratio_hydra_logins_per_s"] = ratio
        tport = free_port()
        tproc = start_phantom(tport, Path(tmp) / "tarpit", tarpit=True)
        try:
            await wait_port_tarpit(tport)
            results["tarpit"] = await tarpit_rss(tproc.pid, tport, [1000, 10000])
        finally:
            stop(tproc)
    return results


async def wait_port_tarpit(port: int) -> None:
    await wait_port(port)
    await asyncio.sleep(0.5)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        raise_nofile(65536)
        serve_phantom(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--no-cowrie", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run_all(args))
    print(json.dumps(results, indent=2))
    with contextlib.suppress(KeyError, TypeError):
        p, c = results["phantomnet"], results.get("cowrie")
        for name, r in (("PhantomNet", p), ("Cowrie", c)):
            if r:
                print(
                    f"{name:<11} {r['logins_per_s']} logins/s, p50 {r['p50_ms']} ms, "  # type: ignore[index]
                    f"p99 {r['p99_ms']} ms, {r['server_cpu_ms_per_login']} server CPU ms/login"
                )  # type: ignore[index]
        if c:
            print(
                f"ratio logins/s {results['ratio_logins_per_s']}x, "
                f"per server CPU second {results['ratio_logins_per_server_cpu_s']}x"
            )
        for name, key in (("PhantomNet", "phantomnet_hydra"), ("Cowrie", "cowrie_hydra")):
            if key in results:
                h = results[key]
                print(
                    f"{name:<11} hydra load: {h['logins_per_s']} logins/s "  # type: ignore[index]
                    f"({h['server_cpu_ms_per_login']} server CPU ms/login)"
                )  # type: ignore[index]
        if "ratio_hydra_logins_per_s" in results:
            print(f"ratio logins/s under hydra load {results['ratio_hydra_logins_per_s']}x")


if __name__ == "__main__":
    main()
