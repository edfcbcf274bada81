"""Frame building and pcap writing for tests, golden files and benchmarks (never sends).

Checksums are left zero: the monitor never validates them (neither does a capture taken
with checksum offload).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from pathlib import Path

BROADCAST = "ff:ff:ff:ff:ff:ff"


def mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def eth(src: str, dst: str, etype: int, payload: bytes, vlan: int | None = None) -> bytes:
    head = mac(dst) + mac(src)
    if vlan is not None:
        head += struct.pack("!HH", 0x8100, vlan)
    return head + struct.pack("!H", etype) + payload


def ipv4(
    src: str, dst: str, proto: int, payload: bytes, ttl: int = 64, ident: int = 0, frag: int = 0
) -> bytes:
    head = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(payload),
        ident,
        frag,
        ttl,
        proto,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )
    return head + payload


def ipv6(src: str, dst: str, nxt: int, payload: bytes, hops: int = 64) -> bytes:
    head = struct.pack(
        "!IHBB16s16s",
        6 << 28,
        len(payload),
        nxt,
        hops,
        socket.inet_pton(socket.AF_INET6, src),
        socket.inet_pton(socket.AF_INET6, dst),
    )
    return head + payload


FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def tcp(
    sport: int,
    dport: int,
    flags: int,
    payload: bytes = b"",
    seq: int = 1000,
    ack: int = 0,
    window: int = 64240,
) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0) + payload


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(mtype: int, code: int, rest: bytes = b"\x00\x01\x00\x01", payload: bytes = b"") -> bytes:
    return struct.pack("!BBH", mtype, code, 0) + rest + payload


def arp(op: int, sender_mac: str, sender_ip: str, target_mac: str, target_ip: str) -> bytes:
    return struct.pack(
        "!HHBBH6s4s6s4s",
        1,
        0x0800,
        6,
        4,
        op,
        mac(sender_mac),
        socket.inet_aton(sender_ip),
        mac(target_mac),
        socket.inet_aton(target_ip),
    )


MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def tcp4(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    flags: int,
    payload: bytes = b"",
    seq: int = 1000,
    ack: int = 0,
    smac: str = MAC_A,
    dmac: str = MAC_B,
) -> bytes:
    """An Ethernet/IPv4/TCP frame."""
    return eth(smac, dmac, 0x0800, ipv4(src, dst, 6, tcp(sport, dport, flags, payload, seq, ack)))


def udp4(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    payload: bytes = b"",
    smac: str = MAC_A,
    dmac: str = MAC_B,
) -> bytes:
    """An Ethernet/IPv4/UDP frame."""
    return eth(smac, dmac, 0x0800, ipv4(src, dst, 17, udp(sport, dport, payload)))


def write_pcap(path: Path, packets: Iterable[tuple[float, bytes]], linktype: int = 1) -> int:
    """Write ``(timestamp, frame)`` pairs as a microsecond pcap; return the packet count."""
    count = 0
    with path.open("wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for ts, frame in packets:
            sec = int(ts)
            usec = round((ts - sec) * 1e6)
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            fh.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            fh.write(frame)
            count += 1
    return count


def write_pcapng(path: Path, packets: Iterable[tuple[float, bytes]], linktype: int = 1) -> int:
    """Write ``(timestamp, frame)`` pairs as pcapng (one interface, microseconds)."""
    count = 0
    with path.open("wb") as fh:
        shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        fh.write(_block(0x0A0D0D0A, shb_body))
        fh.write(_block(1, struct.pack("<HHI", linktype, 0, 262144)))
        for ts, frame in packets:
            stamp = round(ts * 1e6)
            pad = b"\x00" * (-len(frame) % 4)
            body = (
                struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
                + frame
                + pad
            )
            fh.write(_block(6, body))
            count += 1
    return count


def _block(btype: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", btype, length) + body + struct.pack("<I", length)


def _ext(etype: int, body: bytes) -> bytes:
    return struct.pack("!HH", etype, len(body)) + body


def _vec16(items: Iterable[int]) -> bytes:
    raw = b"".join(struct.pack("!H", i) for i in items)
    return struct.pack("!H", len(raw)) + raw


def client_hello(
    sni: str | None = "example.com",
    ciphers: tuple[int, ...] = (0x1301, 0x1302, 0xC02B, 0xC02F, 0x009C, 0x002F),
    versions: tuple[int, ...] = (0x0304, 0x0303),
    alpn: tuple[bytes, ...] = (b"h2", b"http/1.1"),
    groups: tuple[int, ...] = (0x001D, 0x0017),
    sig_algs: tuple[int, ...] = (0x0403, 0x0804, 0x0401),
    legacy_version: int = 0x0303,
) -> bytes:
    """A TLS record holding one ClientHello."""
    exts = b""
    if sni is not None:
        name = sni.encode()
        exts += _ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    exts += _ext(10, _vec16(groups)) + _ext(11, b"\x01\x00") + _ext(13, _vec16(sig_algs))
    if alpn:
        raw = b"".join(bytes([len(a)]) + a for a in alpn)
        exts += _ext(16, struct.pack("!H", len(raw)) + raw)
    if versions:
        raw = b"".join(struct.pack("!H", v) for v in versions)
        exts += _ext(43, bytes([len(raw)]) + raw)
    body = struct.pack("!H", legacy_version) + b"\x11" * 32 + b"\x00" + _vec16(ciphers)
    body += b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello(
    cipher: int = 0xC02F,
    version: int = 0x0303,
    selected: int | None = None,
    record_version: int = 0x0303,
) -> bytes:
    """A TLS record holding one ServerHello (``selected`` adds supported_versions)."""
    exts = _ext(0xFF01, b"\x00")
    if selected is not None:
        exts += _ext(43, struct.pack("!H", selected))
    body = struct.pack("!H", version) + b"\x22" * 32 + b"\x00" + struct.pack("!HB", cipher, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BH", 0x16, record_version) + struct.pack("!H", len(hs)) + hs


def certificate(ders: Iterable[bytes], record_version: int = 0x0303) -> bytes:
    """A TLS 1.2 record holding one Certificate message with the DER certificates ``ders``."""
    chain = b"".join(len(d).to_bytes(3, "big") + d for d in ders)
    body = len(chain).to_bytes(3, "big") + chain
    hs = b"\x0b" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BH", 0x16, record_version) + struct.pack("!H", len(hs)) + hs
