"""pcap/pcapng reading and vectorised decoding on crafted frames."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from phantomnet.errors import CaptureError
from phantomnet.monitor import craft
from phantomnet.monitor.addr import ip_text
from phantomnet.monitor.decode import L3_ARP, L3_IPV4, L3_IPV6, decode
from phantomnet.monitor.pcapfile import read_batches

FRAMES = [
    craft.tcp4("10.0.0.1", "10.0.0.2", 40000, 80, craft.SYN),
    craft.eth(
        craft.MAC_A,
        craft.MAC_B,
        0x0800,
        craft.ipv4("10.0.0.3", "10.0.0.4", 17, craft.udp(5353, 53, b"xyz")),
        vlan=42,
    ),
    craft.eth(
        craft.MAC_A,
        craft.MAC_B,
        0x86DD,
        craft.ipv6("2001:db8::1", "2001:db8::2", 6, craft.tcp(1234, 443, craft.ACK, b"hi")),
    ),
    craft.eth(
        craft.MAC_A,
        craft.BROADCAST,
        0x0806,
        craft.arp(1, craft.MAC_A, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.254"),
    ),
    craft.eth(
        craft.MAC_A,
        craft.MAC_B,
        0x0800,
        craft.ipv4("10.0.0.1", "10.0.0.9", 1, craft.icmp(8, 0, payload=b"ping")),
    ),
    b"\x00\x01\x02",  # runt frame
    craft.tcp4("10.0.0.1", "10.0.0.2", 40000, 80, craft.SYN)[:40],  # truncated TCP header
]


def _batches(path: Path) -> list:
    return list(read_batches(path, batch_size=4))


@pytest.mark.parametrize("writer", [craft.write_pcap, craft.write_pcapng])
def test_reader_yields_every_packet_in_order(tmp_path: Path, writer) -> None:
    path = tmp_path / "x.cap"
    writer(path, [(1000.0 + i * 0.5, f) for i, f in enumerate(FRAMES)])
    batches = _batches(path)
    assert [len(b) for b in batches] == [4, 3]
    got = [b.packet(i) for b in batches for i in range(len(b))]
    assert got == FRAMES
    numbers = np.concatenate([b.number for b in batches]).tolist()
    assert numbers == list(range(1, len(FRAMES) + 1))
    ts = np.concatenate([b.ts for b in batches])
    assert ts[3] == pytest.approx(1001.5)


def test_decode_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.pcap"
    craft.write_pcap(path, [(1.0, f) for f in FRAMES])
    (batch,) = list(read_batches(path))
    d = decode(batch)
    assert d.l3.tolist() == [L3_IPV4, L3_IPV4, L3_IPV6, L3_ARP, L3_IPV4, 0, L3_IPV4]
    assert ip_text(int(d.src_hi[0]), int(d.src_lo[0])) == "10.0.0.1"
    assert ip_text(int(d.dst_hi[2]), int(d.dst_lo[2])) == "2001:db8::2"
    assert d.proto.tolist()[:3] == [6, 17, 6]
    assert (int(d.sport[0]), int(d.dport[0]), int(d.flags[0])) == (40000, 80, craft.SYN)
    assert d.vlan.tolist()[:2] == [-1, 42]
    assert (int(d.dport[1]), int(d.pl_len[1])) == (53, 3)
    assert int(d.pl_len[2]) == 2
    assert (int(d.sport[4]), int(d.dport[4])) == (8, 0)  # ICMP type, code
    assert not d.has_l4[5] and not d.has_l4[6]  # runt and truncated TCP header


def test_not_a_capture_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(b"hello world, not a pcap")
    with pytest.raises(CaptureError, match="not a pcap"):
        _batches(path)
    with pytest.raises(CaptureError, match="not found"):
        _batches(tmp_path / "missing.pcap")


def test_corrupt_record_length_raises_capture_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pcap"
    craft.write_pcap(path, [(1.0, FRAMES[0])])
    with path.open("ab") as fh:
        fh.write(struct.pack("<IIII", 1, 0, 1 << 30, 60))
    with pytest.raises(CaptureError, match="corrupt record"):
        _batches(path)


def test_truncated_last_record_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    craft.write_pcap(path, [(1.0, FRAMES[0]), (2.0, FRAMES[0])])
    path.write_bytes(path.read_bytes()[:-10])
    assert sum(len(b) for b in _batches(path)) == 1
