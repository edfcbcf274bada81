"""ARP over Ethernet for IPv4 (RFC 826); anything else is an anomaly or ignored."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from phantomnet.analyzers.base import Anomaly

OPS = {1: "request", 2: "reply"}


@dataclass(frozen=True, slots=True)
class ArpMessage:
    op: str
    eth_src: str
    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def parse_arp(arp: bytes, eth_src: bytes) -> ArpMessage | Anomaly | None:
    """Parse an ARP packet (``arp`` starts at the ARP header); None if not Ethernet/IPv4."""
    if len(arp) < 8:
        return Anomaly("arp", "truncated")
    htype, ptype, hlen, plen = (
        int.from_bytes(arp[0:2], "big"),
        int.from_bytes(arp[2:4], "big"),
        arp[4],
        arp[5],
    )
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return None
    if len(arp) < 28:
        return Anomaly("arp", "truncated")
    op = int.from_bytes(arp[6:8], "big")
    return ArpMessage(
        op=OPS.get(op, "other"),
        eth_src=mac_text(eth_src),
        sender_mac=mac_text(arp[8:14]),
        sender_ip=socket.inet_ntoa(arp[14:18]),
        target_mac=mac_text(arp[18:24]),
        target_ip=socket.inet_ntoa(arp[24:28]),
    )
