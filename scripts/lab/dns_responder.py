"""Minimal lab DNS responder (UDP): answers every A query with one fixed address.

Used only inside the training lab's network namespace so that real ``dig`` clients have a
local resolver. Bounded: stops after ``--seconds``.
"""

from __future__ import annotations

import argparse
import socket
import struct
import time


def answer(query: bytes, addr: bytes) -> bytes | None:
    """Build a response to ``query`` (None when the packet is not a parsable query)."""
    if len(query) < 12:
        return None
    txid, flags, qd = struct.unpack_from("!HHH", query)
    if flags & 0x8000 or qd != 1:
        return None
    pos = 12
    while pos < len(query) and query[pos] != 0:
        pos += query[pos] + 1
    end = pos + 5
    if end > len(query):
        return None
    qtype = struct.unpack_from("!H", query, pos + 1)[0]
    question = query[12:end]
    header = struct.pack("!HHHHHH", txid, 0x8180, 1, 1 if qtype == 1 else 0, 0, 0)
    if qtype != 1:
        return header + question
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + addr
    return header + question + rr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--answer", default="10.231.0.1")
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    addr = socket.inet_aton(args.answer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    sock.settimeout(1.0)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        try:
            data, peer = sock.recvfrom(2048)
        except TimeoutError:
            continue
        reply = answer(data, addr)
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
