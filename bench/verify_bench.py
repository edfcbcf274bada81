"""Multi-path verification figures (issue 14): latency at N = 10 paths, 100 concurrent, memory.

Builds its own lab of network namespaces with the pieces of ``tests/integration/verify/lab.py``
(``Lab.add_ns``, ``Lab.dnsmasq``, ``Lab.start``, ``SITE``, ``Lab.close``)::

    WAN (pnv<tag>wan)   lo: authoritative dnsmasq 10.77.200.53 (www/ok.lab.test -> .80),
                        the site 10.77.200.80 and the attacker's site 10.77.200.66 (HTTP)
    pnv<tag>p0..p9      10.77.i.2, default route to the WAN, a dnsmasq resolver forwarding
                        to the WAN's; p3's is poisoned (www.lab.test -> 10.77.200.66)

Each path is a ``netns`` path wrapping a ``dns`` path (the namespace's resolver) and, for the
DNS+HTTP question, an ``http`` path fetching directly with that resolver (p3's fetch lands
on the attacker's site). It measures, for a DNS-only and a DNS+HTTP verification of
``http://www.lab.test/``:

- ``phantomnet verify`` as a user runs it (a process per verification, TOML config file);
- in process, ``phantomnet.verify.service.verify_url`` one at a time, then 100 at once
  (``asyncio.gather``): per-verification p50/p95/max, wall time, verifications/s;
- the peak RSS of this process (``resource.getrusage``) and of the CLI process (``wait4``);
- the peer baseline: a plain ``dig`` (dnsutils) against each path's resolver.

Prints medians over ``--rounds`` and one ``summary ...`` line; asserts nothing.

    sudo nice -n 15 .venv/bin/python bench/verify_bench.py [--rounds 5]

Needs root (namespaces), ``ip``, ``dnsmasq``, ``dig``. No namespace has a link to the host's
network; every daemon is stopped by its PID and every namespace deleted, on error and on
SIGTERM/SIGINT too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the lab lives in tests/integration/verify/lab.py

from tests.integration.verify.lab import (  # noqa: E402
    AUTH_DNS,
    EVIL_IP,
    SITE,
    SITE_IP,
    TITLE,
    Lab,
    sh,
)

from phantomnet.verify.config import VerifyConfig, verify_config  # noqa: E402
from phantomnet.verify.engine import ask_all  # noqa: E402
from phantomnet.verify.path import Question, VerifyPath  # noqa: E402
from phantomnet.verify.service import combine, verify_url  # noqa: E402
from phantomnet.verify.verifier import Verifier  # noqa: E402

N_PATHS = 10
POISONED = 3
CONCURRENT = 100
SEQUENTIAL = 10  # in-process verifications one at a time, per round
DIGS = 3  # dig queries per path, per round
URL = "http://www.lab.test/"
NAME = "www.lab.test"
TIMEOUT_S = 30.0  # per question (config timeout_s): generous on a loaded 2-core machine
ROUND_S = 180.0  # hard limit of one round
CLI_S = 120.0  # hard limit of one CLI run
BIN = Path(sys.executable).with_name("phantomnet")
T = TypeVar("T")


def addr(i: int) -> str:
    """Path ``p<i>``'s own address: its resolver listens there."""
    return f"10.77.{i}.2"


def build_lab(tmp: Path, paths: int = N_PATHS, poisoned: int = POISONED) -> Lab:
    """The WAN and ``paths`` path namespaces (see the module docstring).

    The caller closes the returned lab (``lab.close()``) in a ``finally``; if building fails
    half-way, this closes what was built before re-raising.
    """
    for tool in ("ip", "dnsmasq"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is not installed")
    if os.geteuid() != 0:
        raise SystemExit("the lab needs root (network namespaces)")
    lab = Lab(tag=secrets.token_hex(2), tmp=tmp)
    try:
        wan = lab.add_ns("wan")
        for ip in (AUTH_DNS, SITE_IP, EVIL_IP):
            sh("ip", "-n", wan, "addr", "add", f"{ip}/32", "dev", "lo")
        lab.dnsmasq(
            wan,
            AUTH_DNS,
            f"--host-record={NAME},{SITE_IP}",
            f"--host-record=ok.lab.test,{SITE_IP}",
            "--local=/lab.test/",
        )
        site = tmp / "site.py"
        site.write_text(SITE)
        lab.start(wan, [sys.executable, str(site), SITE_IP, TITLE, "honest lab content"], "ready")
        lab.start(wan, [sys.executable, str(site), EVIL_IP, "Login to continue", "phish"], "ready")
        for i in range(paths):
            ns = lab.add_ns(f"p{i}")
            w, p = f"pnv{lab.tag}w{i}", f"pnv{lab.tag}p{i}"
            # both ends are created inside the namespaces: nothing ever sits in the host's
            sh("ip", "link", "add", w, "netns", wan, "type", "veth", "peer", "name", p, "netns", ns)
            sh("ip", "-n", wan, "addr", "add", f"10.77.{i}.1/24", "dev", w)
            sh("ip", "-n", ns, "addr", "add", f"{addr(i)}/24", "dev", p)
            sh("ip", "-n", wan, "link", "set", w, "up")
            sh("ip", "-n", ns, "link", "set", p, "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", f"10.77.{i}.1")
            poison = [f"--address=/{NAME}/{EVIL_IP}"] if i == poisoned else []
            lab.dnsmasq(ns, addr(i), f"--server={AUTH_DNS}", *poison)
    except BaseException:
        lab.close()
        raise
    return lab


def leftovers(lab: Lab) -> list[str]:
    """Namespaces of this lab still listed, and its daemons still running (after close)."""
    listed = sh("ip", "netns", "list").stdout.split()
    left = [n for n in listed if n.startswith(f"pnv{lab.tag}")]
    return left + [f"pid {p.pid}" for p in lab.procs if p.poll() is None]


# --- the configuration a user writes ----------------------------------------------------


def path_specs(lab: Lab, *, http: bool) -> list[dict[str, Any]]:
    specs = []
    for i in range(N_PATHS):
        inner: list[tuple[str, dict[str, Any]]] = [
            ("dns", {"server": f"{addr(i)}:53", "types": ["A"]})
        ]
        if http:
            inner.append(("http", {"resolver": addr(i)}))
        for kind, settings in inner:
            specs.append(
                {
                    "name": f"p{i}-{kind}",
                    "kind": "netns",
                    "settings": {
                        "namespace": lab.ns(f"p{i}"),
                        "path": {"kind": kind, "settings": settings},
                    },
                    "labels": {"namespace": f"p{i}"},
                }
            )
    return specs


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def write_config(tmp: Path, lab: Lab, *, http: bool) -> Path:
    lines = [f"data_dir = {toml_value(str(tmp / 'data'))}", "", "[verify]"]
    lines += [f"timeout_s = {TIMEOUT_S}", "early_stop = true"]
    for spec in path_specs(lab, http=http):
        lines += ["", "[[verify.paths]]"] + [f"{k} = {toml_value(v)}" for k, v in spec.items()]
    path = tmp / f"verify-{'dns-http' if http else 'dns'}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def config(lab: Lab, *, http: bool) -> VerifyConfig:
    return verify_config(
        {"timeout_s": TIMEOUT_S, "early_stop": True, "paths": path_specs(lab, http=http)}
    )


def named(report: dict[str, Any]) -> bool:
    """The verdict a correct run gives: attack detected, p3 (and only p3) named."""
    return (
        bool(report["attack_detected"])
        and all(p.startswith(f"p{POISONED}-") for p in report["compromised_paths"])
        and bool(report["compromised_paths"])
    )


# --- measurements -----------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cli_once(tmp: Path, cfg_file: Path) -> tuple[float, float, bool]:
    """One ``phantomnet verify`` process: (wall ms, its peak RSS MB, verdict correct).

    The peak RSS comes from GNU time (``%M``): a child forked from this (large) process
    inherits its high-water mark, one forked from ``time`` does not.
    """
    usage = tmp / "cli.rss"
    argv = ["/usr/bin/time", "-f", "%M", "-o", str(usage)]
    argv += [str(BIN), "verify", URL, "--config", str(cfg_file)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: time and the CLI, stopped together
    )
    try:
        text, _ = proc.communicate(timeout=CLI_S)
    finally:
        if proc.returncode is None:  # over time (or interrupted): stop the group we started
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    wall = (time.perf_counter() - t0) * 1000
    try:
        ok = proc.returncode == 1 and named(json.loads(text))
    except (json.JSONDecodeError, KeyError):
        ok = False
    return wall, int(usage.read_text().split()[-1]) / 1024, ok


def reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM), so that each phase has its own."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    """This process's peak RSS (VmHWM) since the last ``reset_peak``, with getrusage's."""
    status = Path("/proc/self/status").read_text()
    hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return max(hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


class Engine:
    """``ask_all`` on paths built once (``verify_url`` builds them on every call)."""

    def __init__(self, cfg: VerifyConfig) -> None:
        self.cfg = cfg
        built = Verifier(cfg)  # the server's way: paths built once
        self.asks: list[tuple[Question, list[VerifyPath]]] = [
            (Question("dns", NAME), built.paths_for("dns")),
            (Question("http", URL), built.paths_for("http")),
        ]
        self.asks = [(q, paths) for q, paths in self.asks if len(paths) >= 2]

    async def __call__(self) -> dict[str, Any]:
        cfg, verdicts = self.cfg, []
        for question, paths in self.asks:
            verdicts.append(
                await ask_all(question, paths, timeout_s=cfg.timeout_s, early_stop=cfg.early_stop)
            )
        return combine(URL, verdicts)


Verify = Callable[[], Any]


def service(cfg: VerifyConfig) -> Verify:
    return lambda: verify_url(URL, cfg)


async def timed(verify: Verify) -> tuple[float, bool]:
    t0 = time.perf_counter()
    report = await verify()
    return (time.perf_counter() - t0) * 1000, named(report)


async def sequential(verify: Verify) -> tuple[list[float], int]:
    out = [await timed(verify) for _ in range(SEQUENTIAL)]
    return [ms for ms, _ in out], sum(ok for _, ok in out)


async def concurrent(verify: Verify) -> tuple[list[float], float, int]:
    t0 = time.perf_counter()
    out = await asyncio.gather(*(timed(verify) for _ in range(CONCURRENT)))
    wall = time.perf_counter() - t0
    return [ms for ms, _ in out], wall, sum(ok for _, ok in out)


def bounded(measure: Callable[[Verify], Coroutine[Any, Any, T]], verify: Verify) -> T:
    """One round of ``measure``, cut at ``ROUND_S`` (a hard limit: TimeoutError)."""
    return asyncio.run(asyncio.wait_for(measure(verify), ROUND_S))


QUERY_TIME = re.compile(r";; Query time: (\d+) msec")


def dig_once(lab: Lab, i: int) -> tuple[float, float]:
    """(wall ms of ``ip netns exec … dig``, dig's own query time ms) against p<i>'s resolver."""
    argv = ["ip", "netns", "exec", lab.ns(f"p{i}"), "dig", f"@{addr(i)}", NAME, "A"]
    t0 = time.perf_counter()
    done = subprocess.run(
        [*argv, "+tries=1", "+time=5"], capture_output=True, text=True, timeout=30, check=True
    )
    wall = (time.perf_counter() - t0) * 1000
    found = QUERY_TIME.search(done.stdout)
    expected = EVIL_IP if i == POISONED else SITE_IP
    if expected not in done.stdout:
        raise RuntimeError(f"dig via p{i} did not answer {expected}: {done.stdout[-500:]}")
    return wall, float(found.group(1)) if found else float("nan")


def med(values: list[float]) -> float:
    return statistics.median(values)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextmanager
def signals_unwind() -> Iterator[None]:
    """SIGTERM/SIGINT raise SystemExit so the ``finally`` below tears the lab down."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def run(lab: Lab, tmp: Path, rounds: int) -> dict[str, float]:
    modes = {"dns": False, "dns+http": True}
    files = {m: write_config(tmp, lab, http=h) for m, h in modes.items()}
    cfgs = {m: config(lab, http=h) for m, h in modes.items()}
    #: (mode, api): verify_url as the CLI calls it, and ask_all on paths built once
    apis: dict[tuple[str, str], Verify] = {}
    for m in modes:
        apis[(m, "verify_url")] = service(cfgs[m])
        apis[(m, "ask_all")] = Engine(cfgs[m])
    # warm-up: namespace threads started, resolver caches filled (as in steady use)
    for verify in apis.values():
        bounded(sequential, verify)
    loads = [loadavg()]
    cli: dict[str, list[tuple[float, float, bool]]] = {m: [] for m in modes}
    seq: dict[tuple[str, str], list[tuple[float, float, int]]] = {k: [] for k in apis}
    conc: dict[tuple[str, str], list[tuple[float, float, float, float, float, int]]] = {
        k: [] for k in apis
    }
    peaks: dict[tuple[str, str], list[float]] = {k: [] for k in apis}
    overall = peak_mb()
    base = overall
    digs: dict[int, list[tuple[float, float]]] = {i: [] for i in range(N_PATHS)}
    for r in range(rounds):
        for i in range(N_PATHS):
            digs[i] += [dig_once(lab, i) for _ in range(DIGS)]
        for m in modes:
            cli[m].append(cli_once(tmp, files[m]))
        for key, verify in apis.items():
            lat, ok = bounded(sequential, verify)
            seq[key].append((pct(lat, 0.5), pct(lat, 0.95), ok))
            overall = max(overall, peak_mb())
            reset_peak()
            lat, wall, ok = bounded(concurrent, verify)
            peaks[key].append(peak_mb())
            conc[key].append((pct(lat, 0.5), pct(lat, 0.95), max(lat), wall, CONCURRENT / wall, ok))
        loads.append(loadavg())
        print(f"round {r + 1}/{rounds} done, load average {loads[-1]}", flush=True)
    rss = max(overall, *(max(v) for v in peaks.values()), peak_mb())

    print(f"\npeer baseline: dig @resolver {NAME} A, {DIGS * rounds} per path (median ms)")
    print("path  dig process wall  dig query time")
    for i in range(N_PATHS):
        walls, qt = [w for w, _ in digs[i]], [q for _, q in digs[i]]
        mark = "  (poisoned)" if i == POISONED else ""
        print(f"p{i}    {med(walls):10.1f}        {med(qt):6.1f}{mark}")
    dig_wall = med([w for i in digs for w, _ in digs[i]])
    dig_qt = med([q for i in digs for _, q in digs[i]])
    print(f"all   {dig_wall:10.1f}        {dig_qt:6.1f}")

    print(f"\nmedians over {rounds} rounds, N={N_PATHS} paths per question, ms")
    for m in modes:
        c = cli[m]
        print(f"\n[{m}]")
        print(
            f"  CLI `phantomnet verify` (one process): wall {med([x[0] for x in c]):.0f} "
            f"(min {min(x[0] for x in c):.0f}, max {max(x[0] for x in c):.0f}), "
            f"peak RSS {med([x[1] for x in c]):.1f} MB, correct {sum(x[2] for x in c)}/{len(c)}"
        )
        for api in ("verify_url", "ask_all"):
            s, k = seq[(m, api)], conc[(m, api)]
            print(
                f"  {api}, one at a time ({SEQUENTIAL}/round): p50 {med([x[0] for x in s]):.1f} "
                f"p95 {med([x[1] for x in s]):.1f}, correct {sum(x[2] for x in s)}/"
                f"{SEQUENTIAL * rounds}"
            )
            print(
                f"  {api}, {CONCURRENT} concurrent: per verification p50 "
                f"{med([x[0] for x in k]):.0f} p95 {med([x[1] for x in k]):.0f} max "
                f"{med([x[2] for x in k]):.0f}; wall {med([x[3] for x in k]) * 1000:.0f}; "
                f"{med([x[4] for x in k]):.1f} verifications/s; correct "
                f"{sum(x[5] for x in k)}/{CONCURRENT * rounds}; peak RSS during it "
                f"{med(peaks[(m, api)]):.0f} MB"
            )
    print(f"\npeak RSS of this process: {base:.1f} MB after the warm-up, {rss:.1f} MB overall")
    print(f"load average (1/5/15 min) before and after each round: {' | '.join(loads)}")
    full, svc, eng = "dns+http", ("dns+http", "verify_url"), ("dns+http", "ask_all")
    return {
        "p50_ms": med([x[0] for x in cli[full]]),
        "p95_ms": pct([x[0] for x in cli[full]], 0.95),
        "rps": med([x[4] for x in conc[svc]]),
        "rss_mb": rss,
        "engine_rss_mb": med(peaks[eng]),
        "dig_p50_ms": dig_wall,
        "dig_query_ms": dig_qt,
        "inproc_p50_ms": med([x[0] for x in seq[svc]]),
        "engine_p50_ms": med([x[0] for x in seq[eng]]),
        "engine_rps": med([x[4] for x in conc[eng]]),
        "dns_rps": med([x[4] for x in conc[("dns", "verify_url")]]),
        "dns_engine_rps": med([x[4] for x in conc[("dns", "ask_all")]]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 51), metavar="1..50")
    args = parser.parse_args()
    if shutil.which("dig") is None:
        raise SystemExit("dig (dnsutils) is not installed")
    with signals_unwind(), tempfile.TemporaryDirectory(prefix="pnv-bench-") as folder:
        tmp = Path(folder)
        lab = build_lab(tmp)
        try:
            print(f"lab pnv{lab.tag}: WAN + {N_PATHS} paths, p{POISONED} poisoned", flush=True)
            figures = run(lab, tmp, args.rounds)
        finally:
            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the teardown
            lab.close()
            left = leftovers(lab)
            if left:
                print(f"LEFT BEHIND: {left}", file=sys.stderr)
    print(
        f"summary paths={N_PATHS} p50_ms={figures['p50_ms']:.0f} p95_ms={figures['p95_ms']:.0f} "
        f"concurrent={CONCURRENT} rps={figures['rps']:.1f} rss_mb={figures['rss_mb']:.1f} "
        f"dig_p50_ms={figures['dig_p50_ms']:.1f} dig_query_ms={figures['dig_query_ms']:.0f} "
        f"inproc_p50_ms={figures['inproc_p50_ms']:.0f} "
        f"engine_p50_ms={figures['engine_p50_ms']:.0f} "
        f"engine_rps={figures['engine_rps']:.1f} dns_rps={figures['dns_rps']:.1f} "
        f"dns_engine_rps={figures['dns_engine_rps']:.1f} "
        f"engine_rss_mb={figures['engine_rss_mb']:.0f}"
    )
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
