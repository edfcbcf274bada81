"""Network monitor benchmarks (prints figures; never asserts).

    python bench/monitor_bench.py replay   # >=1M-packet mixed pcap: pipeline vs tshark vs dpkt
    python bench/monitor_bench.py flood    # 1,000,000 spoofed SYN sources: memory + syn_flood
    python bench/monitor_bench.py live     # tcpreplay 50k pps x 20 s into a veth (root)

Captures are generated under /tmp (not committed). Run on an otherwise idle machine for
meaningful numbers; the figures in docs/benchmarks.md say what the machine was doing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

from monitor_gen import generate

from phantomnet.monitor import craft
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.pcapfile import read_batches
from phantomnet.monitor.pipeline import Pipeline

MIXED = Path("/tmp/pnm-bench-mixed.pcap")
FLOOD = Path("/tmp/pnm-bench-synflood.pcap")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pipeline_pps(path: Path) -> tuple[int, float, dict[str, int]]:
    """Full pipeline (decode, flows, parsers, fingerprints, detectors, events)."""
    pipe = Pipeline(MonitorConfig(), "bench")
    kinds: dict[str, int] = {}
    start = time.perf_counter()
    n = 0
    for batch in read_batches(path):
        n += len(batch)
        for e in pipe.process(batch):
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
    for e in pipe.finish():
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    return n, time.perf_counter() - start, kinds


def dpkt_pps(path: Path, limit: int) -> tuple[int, float]:
    """dpkt object decode with the fields a monitor needs (the research file's method)."""
    import dpkt

    n = 0
    start = time.perf_counter()
    with path.open("rb") as fh:
        for _ts, buf in dpkt.pcap.Reader(fh):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if isinstance(ip, dpkt.ip.IP):
                l4 = ip.data
                _ = (ip.src, ip.dst, ip.p, getattr(l4, "sport", 0), getattr(l4, "dport", 0))
            n += 1
            if n >= limit:
                break
    return n, time.perf_counter() - start


def tshark_pps(path: Path, limit: int) -> tuple[int, float]:
    start = time.perf_counter()
    subprocess.run(
        ["tshark", "-r", str(path), "-c", str(limit)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=1800,
    )
    return limit, time.perf_counter() - start


def replay(args: argparse.Namespace) -> None:
    if not MIXED.exists() or args.regenerate:
        count = generate(MIXED, args.packets)
        print(f"generated {count} packets -> {MIXED}")
    n, dt, kinds = pipeline_pps(MIXED)
    print(
        f"phantomnet pipeline: {n} packets in {dt:.2f}s = {n / dt:,.0f} pkt/s "
        f"(max RSS {rss_mb():.0f} MB)"
    )
    print(f"  events: {json.dumps(kinds, sort_keys=True)}")
    n2, dt2 = dpkt_pps(MIXED, args.compare_limit)
    print(f"dpkt object loop:    {n2} packets in {dt2:.2f}s = {n2 / dt2:,.0f} pkt/s")
    n3, dt3 = tshark_pps(MIXED, args.compare_limit)
    print(f"tshark -r:           {n3} packets in {dt3:.2f}s = {n3 / dt3:,.0f} pkt/s")


def flood(args: argparse.Namespace) -> None:
    total = args.sources
    if not FLOOD.exists() or args.regenerate:

        def frames():  # type: ignore[no-untyped-def]
            for i in range(total):
                src = f"{10 + (i >> 24)}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
                yield (
                    1_700_000_000 + i * 2e-5,
                    craft.tcp4(src, "192.0.2.80", 1024 + i % 60000, 80, craft.SYN),
                )

        craft.write_pcap(FLOOD, frames())
        print(f"generated {total} SYNs from {total} distinct sources -> {FLOOD}")
    before = rss_mb()
    pipe = Pipeline(MonitorConfig(), "bench")
    peak_flows = 0
    fired = []
    start = time.perf_counter()
    for batch in read_batches(FLOOD):
        for e in pipe.process(batch):
            if e.kind == "detection":
                fired.append(e)
        peak_flows = max(peak_flows, len(pipe.table))
    pipe.finish()
    dt = time.perf_counter() - start
    print(
        f"SYN flood, {total} spoofed sources: {total / dt:,.0f} pkt/s, peak flow-table "
        f"entries {peak_flows}, packets shed to sketches {pipe.table.shed_packets}, "
        f"max RSS {rss_mb():.0f} MB (before {before:.0f} MB)"
    )
    rules = sorted({d.rule for d in fired})  # type: ignore[attr-defined]
    print(f"  detections: {len(fired)} {rules}; first: {fired[0].summary if fired else 'none'}")  # type: ignore[attr-defined]


def live(args: argparse.Namespace) -> None:
    """tcpreplay in one namespace, capture+pipeline in another (see --help)."""
    send, recv = "pnm-bsend", "pnm-brecv"
    for ns in (send, recv):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
    try:
        for cmd in (
            ["ip", "netns", "add", send],
            ["ip", "netns", "add", recv],
            [
                "ip",
                "link",
                "add",
                "pnm-bs0",
                "netns",
                send,
                "type",
                "veth",
                "peer",
                "name",
                "pnm-br0",
                "netns",
                recv,
            ],
            ["ip", "-n", send, "link", "set", "pnm-bs0", "up"],
            ["ip", "-n", recv, "link", "set", "pnm-br0", "up"],
        ):
            subprocess.run(cmd, check=True, capture_output=True)
        if not MIXED.exists():
            generate(MIXED, 1_000_000)
        probe = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                recv,
                sys.executable,
                __file__,
                "_capture",
                "--seconds",
                str(args.seconds + 8),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(5)
        pkts = args.pps * args.seconds
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                send,
                "tcpreplay",
                "-q",
                "-i",
                "pnm-bs0",
                f"--pps={args.pps}",
                f"--limit={pkts}",
                str(MIXED),
            ],
            check=False,
            timeout=args.seconds * 3,
            capture_output=True,
        )
        out, _ = probe.communicate(timeout=args.seconds + 60)
        print(out.strip())
    finally:
        for ns in (send, recv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _capture(args: argparse.Namespace) -> None:
    from phantomnet.monitor.afpacket import AfPacketCapture

    cfg = MonitorConfig()
    cap = AfPacketCapture(
        "pnm-br0",
        block_kib=cfg.ring_block_kib,
        blocks=cfg.ring_blocks,
        block_timeout_ms=cfg.block_timeout_ms,
        promiscuous=True,
    )
    pipe = Pipeline(cfg, "bench")
    deadline = time.monotonic() + args.seconds
    events = 0
    busy = 0.0
    for batch in cap.batches():
        if batch is not None:
            t = time.perf_counter()
            events += len(pipe.process(batch))
            busy += time.perf_counter() - t
        cap.read_stats()
        if time.monotonic() > deadline:
            break
    stats = cap.read_stats()
    cap.close()
    total = stats.received
    share = 100.0 * stats.dropped / total if total else 0.0
    print(
        f"live: kernel received {total}, dropped {stats.dropped} ({share:.3f} %), "
        f"pipeline processed {pipe.packets} packets ({events} events, busy {busy:.1f}s), "
        f"max RSS {rss_mb():.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("replay")
    r.add_argument("--packets", type=int, default=1_000_000)
    r.add_argument("--compare-limit", type=int, default=1_000_000)
    r.add_argument("--regenerate", action="store_true")
    f = sub.add_parser("flood")
    f.add_argument("--sources", type=int, default=1_000_000)
    f.add_argument("--regenerate", action="store_true")
    lv = sub.add_parser("live")
    lv.add_argument("--pps", type=int, default=50_000)
    lv.add_argument("--seconds", type=int, default=20)
    c = sub.add_parser("_capture")
    c.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    {"replay": replay, "flood": flood, "live": live, "_capture": _capture}[args.cmd](args)


if __name__ == "__main__":
    main()
