"""Crafted traffic for detector tests: (timestamp, frame) lists, written to pcaps."""

from __future__ import annotations

import struct
from pathlib import Path

from phantomnet.events import Detection, Event
from phantomnet.monitor import craft
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.replay import events_from_pcap

A, SY, F, R, P = craft.ACK, craft.SYN, craft.FIN, craft.RST, craft.PSH
Packets = list[tuple[float, bytes]]


def conn(
    c: str, s: str, cport: int, sport: int, t: float, req: bytes = b"", resp: bytes = b""
) -> Packets:
    """A complete TCP connection with one request and one response."""
    pk = [
        (t, craft.tcp4(c, s, cport, sport, SY, seq=100)),
        (t + 0.001, craft.tcp4(s, c, sport, cport, SY | A, seq=500, ack=101)),
        (t + 0.002, craft.tcp4(c, s, cport, sport, A, seq=101, ack=501)),
    ]
    if req:
        pk.append((t + 0.003, craft.tcp4(c, s, cport, sport, A | P, req, seq=101, ack=501)))
    if resp:
        pk.append(
            (t + 0.004, craft.tcp4(s, c, sport, cport, A | P, resp, seq=501, ack=101 + len(req)))
        )
    pk += [
        (t + 0.005, craft.tcp4(c, s, cport, sport, F | A, seq=101 + len(req))),
        (t + 0.006, craft.tcp4(s, c, sport, cport, F | A, seq=501 + len(resp))),
        (t + 0.007, craft.tcp4(c, s, cport, sport, A, seq=102 + len(req))),
    ]
    return pk


def dns_query(name: str, txid: int, answers: tuple[str, ...] = (), response: bool = False) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
    flags = 0x8180 if response else 0x0100
    body = struct.pack("!HHHHHH", txid, flags, 1, len(answers), 0, 0) + q
    for ip in answers:
        body += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes(
            int(x) for x in ip.split(".")
        )
    return body


def with_sensors(config: MonitorConfig | None = None) -> MonitorConfig:
    """``config`` with the login ports the runtime learns from the default sensors."""
    from phantomnet.monitor.config import with_doors
    from phantomnet.runtime.build import door_ports
    from phantomnet.settings import Settings

    return with_doors(config or MonitorConfig(), door_ports(Settings()))


def run(tmp: Path, packets: Packets, config: MonitorConfig | None = None) -> list[Event]:
    """Replay ``packets``; by default with the monitor config the runtime would build."""
    path = tmp / "t.pcap"
    craft.write_pcap(path, sorted(packets, key=lambda p: p[0]))
    return list(events_from_pcap(path, config if config is not None else with_sensors()))


def detections(events: list[Event], rule: str | None = None) -> list[Detection]:
    return [e for e in events if isinstance(e, Detection) and (rule is None or e.rule == rule)]
