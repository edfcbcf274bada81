"""Generate a mixed synthetic capture for the monitor benchmarks (written to /tmp).

Mix: TCP conversations (HTTP, TLS ClientHello, SSH banners, bulk data), DNS query/answer
pairs, ICMP echo, one SYN port scan and one short SYN flood burst. Deterministic (seeded).
"""

from __future__ import annotations

import argparse
import random
import struct
import time
from collections.abc import Iterator
from pathlib import Path

from phantomnet.monitor import craft

HELLO = craft.client_hello()


def _ip(rng: random.Random, net: int) -> str:
    return f"10.{net}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _dns(name: bytes, txid: int, answer: bool) -> bytes:
    q = b"".join(bytes([len(p)]) + p for p in name.split(b".")) + b"\x00\x00\x01\x00\x01"
    head = struct.pack("!HHHHHH", txid, 0x8180 if answer else 0x0100, 1, int(answer), 0, 0)
    body = head + q
    if answer:
        body += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22"
    return body


def _tcp_conv(rng: random.Random, t: float) -> Iterator[tuple[float, bytes]]:
    c, s = _ip(rng, 1), _ip(rng, 2)
    cp = rng.randrange(1024, 65000)
    kind = rng.random()
    sp, first = (443, HELLO) if kind < 0.5 else (80, b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    if kind > 0.85:
        sp, first = 22, b"SSH-2.0-OpenSSH_9.2p1\r\n"
    yield t, craft.tcp4(c, s, cp, sp, craft.SYN)
    yield t + 0.001, craft.tcp4(s, c, sp, cp, craft.SYN | craft.ACK)
    yield t + 0.002, craft.tcp4(c, s, cp, sp, craft.ACK)
    yield t + 0.003, craft.tcp4(c, s, cp, sp, craft.ACK | craft.PSH, first)
    body = b"x" * rng.choice((60, 600, 1400))
    for i in range(rng.randrange(4, 30)):
        yield t + 0.004 + i * 0.0005, craft.tcp4(s, c, sp, cp, craft.ACK, body, seq=2000 + i)
    yield t + 0.05, craft.tcp4(c, s, cp, sp, craft.FIN | craft.ACK)
    yield t + 0.051, craft.tcp4(s, c, sp, cp, craft.FIN | craft.ACK)
    yield t + 0.052, craft.tcp4(c, s, cp, sp, craft.ACK)


def packets(total: int, seed: int = 7) -> Iterator[tuple[float, bytes]]:
    rng = random.Random(seed)
    t = 1_700_000_000.0
    made = 0
    scan_at, flood_at = total // 3, 2 * total // 3
    while made < total:
        t += 0.0001
        r = rng.random()
        if made >= scan_at and scan_at >= 0:
            for port in range(1, 1001):
                yield t, craft.tcp4("10.9.9.9", "10.2.0.5", 61000, port, craft.SYN)
                yield (
                    t + 1e-4,
                    craft.tcp4("10.2.0.5", "10.9.9.9", port, 61000, craft.RST | craft.ACK),
                )
            made += 2000
            scan_at = -1
        elif made >= flood_at and flood_at >= 0:
            for i in range(20000):
                src = f"172.{16 + i % 16}.{(i >> 8) & 255}.{i & 255}"
                yield t + i * 2e-5, craft.tcp4(src, "10.2.0.6", 1024 + i % 60000, 80, craft.SYN)
            made += 20000
            flood_at = -1
        elif r < 0.8:
            for pkt in _tcp_conv(rng, t):
                yield pkt
                made += 1
        elif r < 0.95:
            c, s, txid = _ip(rng, 1), "10.0.0.53", rng.randrange(65536)
            cp = rng.randrange(1024, 65000)
            yield t, craft.udp4(c, s, cp, 53, _dns(b"www.example.com", txid, False))
            yield t + 0.002, craft.udp4(s, c, 53, cp, _dns(b"www.example.com", txid, True))
            made += 2
        else:
            c, s = _ip(rng, 1), _ip(rng, 2)
            ping = craft.ipv4(c, s, 1, craft.icmp(8, 0, payload=b"p" * 56))
            pong = craft.ipv4(s, c, 1, craft.icmp(0, 0, payload=b"p" * 56))
            yield t, craft.eth(craft.MAC_A, craft.MAC_B, 0x0800, ping)
            yield t + 0.001, craft.eth(craft.MAC_B, craft.MAC_A, 0x0800, pong)
            made += 2


def generate(path: Path, total: int, seed: int = 7) -> int:
    """Write about ``total`` packets to ``path``; return the exact count."""
    return craft.write_pcap(path, packets(total, seed))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("/tmp/pnm-bench-mixed.pcap"))
    ap.add_argument("--packets", type=int, default=1_000_000)
    args = ap.parse_args()
    start = time.perf_counter()
    count = generate(args.out, args.packets)
    print(f"wrote {count} packets to {args.out} in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
