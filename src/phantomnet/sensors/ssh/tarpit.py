"""endlessh-style tarpit: hold a client before the banner by dripping random lines.

RFC 4253 lets a server send other lines before its ``SSH-`` identification line, so a client
waits forever for a banner that never comes. One timer task serves every held connection (no
task per connection), sockets get tiny kernel buffers, and a held connection is just its
transport plus a few bytes here, so 10,000 of them fit in a few tens of MB.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import time
from collections import deque

from phantomnet.sensors.ssh.config import TarpitConfig

_ALPHABET = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TarpitPolicy:
    """Which sources to tarpit: listed networks, or too many recent connections."""

    def __init__(self, config: TarpitConfig) -> None:
        self.config = config
        self.networks = [ipaddress.ip_network(s, strict=False) for s in config.sources]
        self.recent: dict[str, deque[float]] = {}

    def should_hold(self, ip: str, now: float | None = None) -> bool:
        addr = ipaddress.ip_address(ip)
        if any(addr in net for net in self.networks):
            return True
        limit = self.config.after_connections
        if not limit:
            return False
        now = time.monotonic() if now is None else now
        times = self.recent.setdefault(ip, deque())
        times.append(now)
        while times and times[0] < now - self.config.window_s:
            times.popleft()
        if len(self.recent) > 50_000:
            self.recent = {
                k: v for k, v in self.recent.items() if v and v[-1] > now - self.config.window_s
            }
        return len(times) > limit


def random_line(max_len: int) -> bytes:
    """A random pre-banner line that never starts with ``SSH-``."""
    raw = os.urandom(max_len)
    n = 3 + raw[0] % (max_len - 2)
    return bytes(_ALPHABET[b % len(_ALPHABET)] for b in raw[1 : n + 1]) + b"\r\n"


class Tarpit:
    """Holds transports and drips a line to each every ``interval_s``."""

    def __init__(self, config: TarpitConfig) -> None:
        self.config = config
        self.held: dict[asyncio.Transport, float] = {}
        self.total = 0
        #: ``max_held``, lowered at start when the descriptors cannot cover it
        self.cap = config.max_held

    def full(self) -> bool:
        return len(self.held) >= self.cap

    def hold(self, transport: asyncio.Transport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1024)
            except OSError:
                pass
        self.held[transport] = time.monotonic() + self.config.hold_s
        self.total += 1
        transport.write(random_line(self.config.line_max))

    def forget(self, transport: asyncio.Transport) -> None:
        self.held.pop(transport, None)

    def tick(self) -> None:
        """Send one line to everyone; drop the expired and those not reading."""
        now = time.monotonic()
        for transport, deadline in list(self.held.items()):
            if transport.is_closing():
                self.held.pop(transport, None)
                continue
            if now > deadline or transport.get_write_buffer_size() > 4096:
                self.held.pop(transport, None)
                transport.abort()  # its protocol reports connection.closed (reason tarpit)
                continue
            transport.write(random_line(self.config.line_max))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.config.interval_s)
            self.tick()

    def close_all(self) -> None:
        for transport in list(self.held):
            transport.abort()
        self.held.clear()
