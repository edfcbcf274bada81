"""Build the enabled packet-level detectors and group their hooks by what they consume."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.detect.arp_spoof import ArpSpoof
from phantomnet.monitor.detect.brute_force import BruteForce
from phantomnet.monitor.detect.dns_spoof import DnsSpoof
from phantomnet.monitor.detect.icmp_flood import IcmpFlood
from phantomnet.monitor.detect.port_scan import PortScan
from phantomnet.monitor.detect.ssl_strip import SslStrip
from phantomnet.monitor.detect.syn_flood import SynFlood
from phantomnet.monitor.detect.udp_flood import UdpFlood
from phantomnet.monitor.detect.weak_tls import WeakTls
from phantomnet.monitor.detect.web import WebAttacks

HOOKS = ("on_batch", "on_outcomes", "on_dns", "on_http", "on_tls", "on_arp", "on_login_fail")


class Detectors:
    """All packet-level detectors of one pipeline, with one hook list per input kind."""

    def __init__(self, config: MonitorConfig, node: str) -> None:
        d = config.detectors
        self.all: list[Any] = [
            PortScan(d.port_scan, node),
            SynFlood(d.syn_flood, node),
            UdpFlood(d.udp_flood, node),
            IcmpFlood(d.icmp_flood, node),
            BruteForce(d.brute_force, node),
            ArpSpoof(d.arp_spoof, node),
            DnsSpoof(d.dns_spoof, node),
            SslStrip(d.ssl_strip, node),
            WeakTls(d.weak_tls, node),
            WebAttacks(d, node),
        ]
        hooks: dict[str, list[Callable[..., Any]]] = {h: [] for h in HOOKS}
        for det in self.all:
            for name in HOOKS:
                fn = getattr(det, name, None)
                if fn is not None:
                    hooks[name].append(fn)
        self.on_batch = hooks["on_batch"]
        self.on_outcomes = hooks["on_outcomes"]
        self.on_dns = hooks["on_dns"]
        self.on_http = hooks["on_http"]
        self.on_tls = hooks["on_tls"]
        self.on_arp = hooks["on_arp"]
        self.on_login_fail = hooks["on_login_fail"]
