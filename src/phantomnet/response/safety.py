"""The allowlist that can never be blocked.

Built in: loopback, the host's own addresses, its default gateways and its DNS resolvers
(``/etc/resolv.conf``, or ``/etc/netns/<ns>/resolv.conf`` inside a namespace), plus the
configured management networks (and private ranges when ``protect_private`` is on). A target
that overlaps any of them is refused with :class:`BlockRefused`. Host facts are re-read at most
every ``safety_refresh_s`` seconds so a new address or gateway is protected soon after it
appears. The parsers are pure and never raise.
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phantomnet.errors import BlockRefused, ResponseError
from phantomnet.response.config import ResponseConfig
from phantomnet.response.runner import Runner
from phantomnet.response.targets import IPNetwork, Target

LOOPBACK = ("127.0.0.0/8", "::1/128")
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


@dataclass(frozen=True)
class Protected:
    """One allowlisted network and why."""

    network: IPNetwork
    why: str

    @property
    def span(self) -> tuple[int, int, int]:
        """(version, first address, last address) as integers, for fast overlap tests."""
        return span(self.network)


def span(network: IPNetwork) -> tuple[int, int, int]:
    first = int(network.network_address)
    return network.version, first, first + network.num_addresses - 1


def _net(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text.split("%", 1)[0], strict=False)
    except ValueError:
        return None


def _json_list(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def parse_ip_addr(text: str) -> list[str]:
    """Local addresses from ``ip -j addr show``."""
    found = []
    for link in _json_list(text):
        for info in link.get("addr_info", []) if isinstance(link, dict) else []:
            local = info.get("local") if isinstance(info, dict) else None
            if isinstance(local, str) and _net(local) is not None:
                found.append(local)
    return found


def parse_gateways(text: str) -> list[str]:
    """Gateways (including multipath next hops) from ``ip -j route show default``."""
    found = []
    for route in _json_list(text):
        if not isinstance(route, dict):
            continue
        hops = [route, *[h for h in route.get("nexthops", []) if isinstance(h, dict)]]
        found += [
            h["gateway"]
            for h in hops
            if isinstance(h.get("gateway"), str) and _net(h["gateway"]) is not None
        ]
    return found


def parse_resolv_conf(text: str) -> list[str]:
    """``nameserver`` addresses of a resolv.conf."""
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver" and _net(parts[1]) is not None:
            found.append(parts[1].split("%", 1)[0])
    return found


class Safety:
    """Decides whether a target may be blocked."""

    def __init__(self, config: ResponseConfig, runner: Runner | None = None) -> None:
        self.config = config
        self.runner = runner or Runner(config.netns, config.command_timeout_s)
        self._host: list[Protected] = []
        self._read_at: float | None = None
        self._static = self._static_list()
        self._spans: list[tuple[tuple[int, int, int], Protected]] = []

    def static(self) -> list[Protected]:
        """What never depends on the host: loopback, management (and private) networks."""
        return list(self._static)

    def _static_list(self) -> list[Protected]:
        out = [Protected(ipaddress.ip_network(n), "loopback") for n in LOOPBACK]
        out += [
            Protected(ipaddress.ip_network(n), "management network")
            for n in self.config.management_networks
        ]
        if self.config.protect_private:
            out += [
                Protected(ipaddress.ip_network(n), "private network (protect_private)")
                for n in PRIVATE
            ]
        return out

    def _resolv_path(self) -> Path:
        if self.config.netns:
            own = Path("/etc/netns") / self.config.netns / "resolv.conf"
            if own.exists():
                return own
        return Path("/etc/resolv.conf")

    async def _read_host(self) -> list[Protected]:
        facts: list[Protected] = []
        addrs = await self.runner.run("ip", "-j", "addr", "show")
        if not addrs.ok:
            raise ResponseError(f"cannot read the host's addresses: {addrs.brief()}")
        facts += [
            Protected(n, "own address")
            for a in parse_ip_addr(addrs.stdout)
            if (n := _net(a)) is not None
        ]
        for family in ("-4", "-6"):
            routes = await self.runner.run("ip", "-j", family, "route", "show", "default")
            facts += [
                Protected(n, "gateway")
                for g in parse_gateways(routes.stdout)
                if (n := _net(g)) is not None
            ]
        try:
            resolv = self._resolv_path().read_text(encoding="utf-8", errors="replace")
        except OSError:
            resolv = ""
        facts += [
            Protected(n, "DNS resolver")
            for r in parse_resolv_conf(resolv)
            if (n := _net(r)) is not None
        ]
        return facts

    async def protected(self) -> list[Protected]:
        """The whole allowlist, re-reading host facts when they are older than the refresh."""
        now = time.monotonic()
        stale = self._read_at is None or now - self._read_at >= self.config.safety_refresh_s
        if stale:
            self._host = await self._read_host()
            self._read_at = now
            self._spans = [(p.span, p) for p in self._static + self._host]
        return self._static + self._host

    async def refuse_reason(self, target: Target) -> str | None:
        """Why ``target`` must not be blocked, or None when it may be."""
        await self.protected()
        version, first, last = span(target.network)
        for (v, lo, hi), item in self._spans:
            if v == version and first <= hi and lo <= last:
                return f"{target} overlaps {item.network} ({item.why})"
        return None

    async def check(self, target: Target) -> None:
        """Raise :class:`BlockRefused` if ``target`` is allowlisted."""
        reason = await self.refuse_reason(target)
        if reason is not None:
            raise BlockRefused(f"refusing to block {target}: it {reason}, which is never blocked")
