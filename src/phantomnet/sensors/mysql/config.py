"""Settings of the MySQL/MariaDB door (``[sensors.mysql]``)."""

from __future__ import annotations

import ipaddress
import random
from collections import OrderedDict

from pydantic import BaseModel, ConfigDict, Field

from phantomnet.sensors.base import SensorConfig

MAX_TRACKED_SOURCES = 50_000


class SlowModeConfig(BaseModel):
    """The tarpit the seed asks for: answers to listed sources (IPs/CIDRs), or to a source
    that sent more than ``after_queries`` queries (0: off), are delayed by ``delay_s`` (with
    jitter), growing by ``growth`` per further query up to ``max_delay_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    sources: tuple[str, ...] = ()
    after_queries: int = Field(default=0, ge=0)
    delay_s: float = Field(default=2.0, ge=0)
    growth: float = Field(default=1.15, ge=1.0, le=10.0)
    max_delay_s: float = Field(default=30.0, ge=0)


class MysqlConfig(SensorConfig):
    """The MariaDB 10.11 door. Timeouts and limits follow the real server's defaults
    (``connect_timeout`` 10 s, ``max_allowed_packet`` 16 MiB); the idle timeout is the
    door's own (the server's ``wait_timeout`` is 8 h, too generous for a honeypot)."""

    port: int = Field(default=3307, ge=0, le=65535)
    #: offer TLS (the SSL capability) with the persona's certificate
    tls: bool = True
    max_allowed_packet: int = Field(default=16 * 1024 * 1024, ge=1024, le=1 << 30)
    #: cap on a packet before login (the handshake response is a few hundred bytes)
    max_handshake_bytes: int = Field(default=65536, ge=512)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    #: delay before the ``Access denied`` answer (MariaDB has none; brute-force slowing)
    auth_fail_delay_s: float = Field(default=0.0, ge=0)
    max_statements: int = Field(default=1024, ge=1)
    #: COM_STMT_SEND_LONG_DATA held per connection, all statements together
    max_long_data_bytes: int = Field(default=1024 * 1024, ge=1)
    slow: SlowModeConfig = SlowModeConfig()
    #: accounts ``IDENTIFIED VIA ed25519``: their logins switch to ``client_ed25519`` (a
    #: 32-byte scramble, a 64-byte signature back), as MariaDB with ``auth_ed25519`` does
    ed25519_users: tuple[str, ...] = ()


class SlowMode:
    """Decides the delay of each answer per source (bounded per-source counters)."""

    def __init__(self, config: SlowModeConfig) -> None:
        self.config = config
        self.networks = [ipaddress.ip_network(s, strict=False) for s in config.sources]
        self.queries: OrderedDict[str, int] = OrderedDict()
        self.delayed_total_s = 0.0

    def listed(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.networks)

    def delay(self, ip: str) -> float:
        """Count one query from ``ip`` and return how long to hold its answer."""
        cfg = self.config
        if not cfg.enabled:
            return 0.0
        n = self.queries.pop(ip, 0) + 1
        self.queries[ip] = n
        while len(self.queries) > MAX_TRACKED_SOURCES:
            self.queries.popitem(last=False)
        if self.listed(ip):
            over = n
        elif cfg.after_queries and n > cfg.after_queries:
            over = n - cfg.after_queries
        else:
            return 0.0
        base = cfg.delay_s * cfg.growth ** min(over - 1, 200)
        wait = min(cfg.max_delay_s, base * random.uniform(0.8, 1.2))
        self.delayed_total_s += wait
        return wait


class ThreadIds:
    """Connection ids like a server that has been up a while: a random start, increasing."""

    def __init__(self) -> None:
        self.next = random.randint(30, 4000)

    def take(self) -> int:
        tid = self.next
        self.next += 1 if random.random() < 0.8 else random.randint(2, 4)
        return tid & 0xFFFFFFFF
