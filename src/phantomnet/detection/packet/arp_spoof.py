"""``arp_spoof``: IP-to-MAC changes, unsolicited replies, Ethernet/ARP sender mismatch.

Messages follow arpwatch's names: ``changed ethernet address``, ``flip flop`` (back to a
MAC the IP had before), ``ethernet mismatch`` (frame source differs from the ARP sender),
``unsolicited reply`` (``unsolicited_threshold`` replies nobody asked for within
``window_s``, bettercap's 1 Hz re-poisoning), and ``gateway mismatch`` when a configured
gateway IP is claimed by another MAC (checked first). VRRP/HSRP virtual MACs are allowed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from phantomnet.analyzers.arp import ArpMessage
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import ArpSpoofConfig
from phantomnet.events import Detection, Severity


@dataclass(slots=True)
class _Binding:
    mac: str
    since: float
    previous: tuple[str, ...] = ()


class ArpSpoof:
    rule = "arp_spoof"

    def __init__(self, config: ArpSpoofConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.bindings: Lru[str, _Binding] = Lru(config.max_hosts)
        self.owner: Lru[str, str] = Lru(config.max_hosts)  # MAC -> first IP it announced
        self.asked: Lru[tuple[str, str], float] = Lru(config.max_hosts)  # (asker, wanted)
        self.unsolicited: Lru[str, deque[tuple[float, int]]] = Lru(config.max_hosts)
        self.reported: Lru[tuple[str, str, str], float] = Lru(config.max_hosts)
        self.gateways = {ip: mac.lower() for ip, mac in config.gateways.items()}

    def _virtual(self, mac: str) -> bool:
        return any(mac.startswith(p) for p in self.cfg.virtual_mac_prefixes)

    def on_arp(self, msg: ArpMessage, ts: float, number: int) -> list[Detection]:
        if not self.cfg.enabled:
            return []
        found: list[Detection | None] = []
        if msg.op == "request":
            self.asked.set((msg.sender_ip, msg.target_ip), ts)
        if msg.eth_src != msg.sender_mac and not self._virtual(msg.sender_mac):
            found.append(
                self._emit(
                    "ethernet mismatch",
                    msg,
                    ts,
                    number,
                    "high",
                    f"frame from {msg.eth_src} claims ARP sender {msg.sender_mac}",
                )
            )
        if msg.op == "reply":
            found.append(self._unsolicited(msg, ts, number))
        if msg.sender_ip != "0.0.0.0":
            found.append(self._binding(msg, ts, number))
        return [d for d in found if d is not None]

    def _unsolicited(self, msg: ArpMessage, ts: float, number: int) -> Detection | None:
        asked = self.asked.peek((msg.target_ip, msg.sender_ip))
        if asked is not None:
            self.asked.pop((msg.target_ip, msg.sender_ip))  # one request, one answer
            if ts - asked <= self.cfg.window_s:
                return None
        if msg.sender_ip == msg.target_ip:
            return None  # gratuitous announcement
        hits = self.unsolicited.get(msg.sender_mac, deque)
        hits.append((ts, number))
        while hits and hits[0][0] < ts - self.cfg.window_s:
            hits.popleft()
        if len(hits) < self.cfg.unsolicited_threshold:
            return None
        return self._emit(
            "unsolicited reply",
            msg,
            hits[0][0],
            number,
            None,
            f"{len(hits)} unsolicited replies in {self.cfg.window_s:g}s: "
            f"{msg.sender_ip} is-at {msg.sender_mac}",
            count=len(hits),
            evidence=[n for _, n in hits],
        )

    def _binding(self, msg: ArpMessage, ts: float, number: int) -> Detection | None:
        ip, mac = msg.sender_ip, msg.sender_mac
        self.owner.get(mac, lambda: ip)
        gateway = self.gateways.get(ip)
        if gateway is not None and mac != gateway and not self._virtual(mac):
            return self._emit(
                "gateway mismatch",
                msg,
                ts,
                number,
                "critical",
                f"gateway {ip} claimed by {mac} (expected {gateway})",
            )
        known = self.bindings.peek(ip)
        if known is None:
            self.bindings.get(ip, lambda: _Binding(mac, ts))
            return None
        if known.mac == mac or self._virtual(mac) or self._virtual(known.mac):
            return None
        what = "flip flop" if mac in known.previous else "changed ethernet address"
        old = known.mac
        known.previous = (*known.previous[-4:], known.mac)
        known.mac, known.since = mac, ts
        return self._emit(
            what,
            msg,
            ts,
            number,
            "high" if ip in self.gateways else None,
            f"{ip} changed from {old} to {mac}",
        )

    def _emit(
        self,
        what: str,
        msg: ArpMessage,
        ts: float,
        number: int,
        severity: Severity | None,
        detail: str,
        count: int = 1,
        evidence: list[int] | None = None,
    ) -> Detection | None:
        attacker = self.owner.peek(msg.sender_mac)
        if attacker == msg.sender_ip and what != "ethernet mismatch":
            attacker = None  # the MAC's first IP is the one it claims: owner unknown
        if self.cfg.allowed(attacker) or self.cfg.allowed(msg.sender_ip):
            return None
        key = (what, msg.sender_ip, msg.sender_mac)
        window = self.cfg.window_s
        cooldown = window if what == "unsolicited reply" else max(60.0, window)
        if not self.reported.due(key, ts, cooldown):
            return None
        target = msg.target_ip if msg.target_ip != "0.0.0.0" else None
        return self.report.detection(
            attacker=attacker,
            target=target,
            first=ts,
            last=ts,
            count=count,
            summary=f"{what}: {detail}",
            evidence=evidence or [number],
            protocol="arp",
            severity=severity,
        )
