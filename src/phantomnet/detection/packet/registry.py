"""Build the enabled packet-level detectors and group their hooks by what they consume."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phantomnet.detection.config import DetectorsConfig
from phantomnet.detection.packet.arp_spoof import ArpSpoof
from phantomnet.detection.packet.brute_force import BruteForce
from phantomnet.detection.packet.cert_change import CertChange
from phantomnet.detection.packet.dns_spoof import DnsSpoof
from phantomnet.detection.packet.icmp_flood import IcmpFlood
from phantomnet.detection.packet.port_scan import PortScan
from phantomnet.detection.packet.ssl_strip import SslStrip
from phantomnet.detection.packet.syn_flood import SynFlood
from phantomnet.detection.packet.udp_flood import UdpFlood
from phantomnet.detection.packet.weak_tls import WeakTls
from phantomnet.detection.packet.web import WebAttacks

HOOKS = ("on_batch", "on_outcomes", "on_dns", "on_http", "on_tls", "on_arp", "on_login_fail")


class Detectors:
    """All packet-level detectors of one pipeline, with one hook list per input kind."""

    def __init__(self, config: DetectorsConfig, node: str) -> None:
        d = config
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
            CertChange(d.cert_change, node),
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
