"""A tiny authoritative-looking DNS responder for the lab (A records only, fixed answer).

Usage: pnm_resolver.py BIND_IP DELAY_S. Answers every query with 93.184.216.34 after
DELAY_S (so a forged answer can win the race, as on a real LAN), and exits after 120 s.
"""

from __future__ import annotations

import socket
import sys
import time

ANSWER = bytes([93, 184, 216, 34])


def answer(query: bytes) -> bytes:
    end = 12
    while end < len(query) and query[end]:
        end += 1 + query[end]
    question = query[12 : end + 5]
    head = query[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
    return head + question + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + ANSWER


def main() -> None:
    bind, delay = sys.argv[1], float(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, 53))
    sock.settimeout(1.0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            query, peer = sock.recvfrom(2048)
        except TimeoutError:
            continue
        if len(query) >= 12:
            time.sleep(delay)
            sock.sendto(answer(query), peer)


if __name__ == "__main__":
    main()
