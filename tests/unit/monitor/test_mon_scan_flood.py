"""port_scan (TRW) and the flood detectors, with benign negatives and Zeek's scan pcaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from mon_traffic import SY, A, F, P, R, conn, detections, run
from mon_vectors import vectors

from phantomnet.detection.config import DetectorsConfig, PortScanConfig
from phantomnet.monitor import craft
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.replay import events_from_pcap

SCANNER, VICTIM = "10.0.0.66", "10.0.0.5"


def test_syn_vertical_scan_flagged_within_five_failures(tmp_path: Path) -> None:
    pk = []
    for i, port in enumerate(range(20, 120)):
        t = 1.0 + i * 0.001
        pk.append((t, craft.tcp4(SCANNER, VICTIM, 40000, port, SY)))
        pk.append((t + 0.0005, craft.tcp4(VICTIM, SCANNER, port, 40000, R | A)))
    found = detections(run(tmp_path, pk), "port_scan")
    assert found, "no detection"
    first = found[0]
    assert first.src is not None and first.src.ip == SCANNER
    assert first.target is not None and first.target.ip == VICTIM
    assert first.count <= 5
    assert "vertical" in first.summary and "SYN" in first.summary
    assert all(ev.startswith("packet:") for ev in first.evidence)


@pytest.mark.parametrize(("flags", "label"), [(F, "FIN"), (0, "NULL"), (F | P | craft.URG, "Xmas")])
def test_stealth_scans(tmp_path: Path, flags: int, label: str) -> None:
    pk = [
        (1.0 + i * 0.01, craft.tcp4(SCANNER, VICTIM, 40000, port, flags))
        for i, port in enumerate(range(1, 30))
    ]
    found = detections(run(tmp_path, pk), "port_scan")
    assert found and label in found[0].summary


def test_udp_scan_via_icmp_port_unreachable(tmp_path: Path) -> None:
    pk = []
    for i, port in enumerate(range(100, 130)):
        probe = craft.ipv4(SCANNER, VICTIM, 17, craft.udp(50000, port))
        pk.append((1.0 + i * 0.01, craft.eth(craft.MAC_A, craft.MAC_B, 0x0800, probe)))
        err = craft.ipv4(VICTIM, SCANNER, 1, craft.icmp(3, 3, b"\x00" * 4, probe[:28]))
        pk.append((1.0 + i * 0.01 + 0.001, craft.eth(craft.MAC_B, craft.MAC_A, 0x0800, err)))
    found = detections(run(tmp_path, pk), "port_scan")
    assert found and "UDP" in found[0].summary and found[0].protocol == "udp"
    assert found[0].last_seen.timestamp() < 1.1  # failed at once, not after a timeout


def test_horizontal_scan(tmp_path: Path) -> None:
    pk = [
        (1.0 + i * 0.01, craft.tcp4(SCANNER, f"10.0.1.{i}", 40000, 445, SY)) for i in range(1, 40)
    ]
    found = detections(run(tmp_path, pk), "port_scan")
    assert found and "horizontal" in found[0].summary and found[0].target is None


def test_benign_client_with_a_few_failures_is_not_a_scanner(tmp_path: Path) -> None:
    pk = []
    for i in range(40):
        pk += conn("10.0.0.7", f"10.0.2.{i % 8}", 30000 + i, 443, 1.0 + i * 0.1, b"x", b"y")
    for i, port in enumerate((8080, 8443, 9000)):  # three refused services
        pk.append((10.0 + i, craft.tcp4("10.0.0.7", "10.0.2.1", 31000 + i, port, SY)))
        pk.append((10.0 + i + 0.001, craft.tcp4("10.0.2.1", "10.0.0.7", port, 31000 + i, R | A)))
    assert detections(run(tmp_path, pk)) == []


def test_allowlisted_scanner_is_not_flagged(tmp_path: Path) -> None:
    pk = [
        (1.0 + i * 0.01, craft.tcp4(SCANNER, VICTIM, 40000, port, SY))
        for i, port in enumerate(range(1, 30))
    ]
    cfg = MonitorConfig(
        detectors=DetectorsConfig(port_scan=PortScanConfig(allowlist=("10.0.0.0/24",)))
    )
    assert detections(run(tmp_path, pk, cfg), "port_scan") == []


ZEEK = {
    "port_scan.pcap": ("192.168.2.154", "vertical"),
    "445_scan.pcap": ("176.192.150.3", "horizontal"),
    "multiport_scan.pcap": ("125.27.226.209", "mixed"),
    "scan_with_zero_windows.pcap": ("10.0.0.1", "horizontal"),
}


@pytest.mark.parametrize("name", sorted(ZEEK))
def test_zeek_simple_scan_captures(name: str) -> None:
    attacker, shape = ZEEK[name]
    found = detections(list(events_from_pcap(vectors("scan") / name)), "port_scan")
    assert {d.src.ip for d in found if d.src} == {attacker}
    assert shape in found[0].summary


def test_zeek_backscatter_raises_nothing() -> None:
    events = list(events_from_pcap(vectors("scan") / "backscatter.trace"))
    assert sum(e.kind == "network.flow" for e in events) > 100
    assert detections(events) == []


def test_spoofed_syn_flood(tmp_path: Path) -> None:
    pk = [
        (1.0 + i * 0.0002, craft.tcp4(f"172.16.{i >> 8 & 255}.{i & 255}", VICTIM, 1024 + i, 80, SY))
        for i in range(4000)
    ]
    found = detections(run(tmp_path, pk), "syn_flood")
    assert found and found[0].src is None and found[0].target is not None
    assert (found[0].target.ip, found[0].target.port) == (VICTIM, 80)
    assert found[0].count >= 1000 and "spoofed" in found[0].summary


def test_busy_web_server_is_not_a_syn_flood(tmp_path: Path) -> None:
    pk = []
    for i in range(1500):
        pk += conn(
            f"172.16.{i >> 8 & 255}.{i & 255}",
            VICTIM,
            20000 + i % 40000,
            80,
            1.0 + i * 0.0006,
            b"GET / HTTP/1.1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
        )
    assert detections(run(tmp_path, pk)) == []


def test_udp_and_icmp_floods(tmp_path: Path) -> None:
    pk = [
        (1.0 + i * 0.0001, craft.udp4("172.16.0.9", VICTIM, 5000 + i % 100, 9999, b"x" * 64))
        for i in range(6000)
    ]
    ping = craft.ipv4("172.16.0.8", VICTIM, 1, craft.icmp(8, 0, payload=b"p" * 32))
    pk += [
        (1.0 + i * 0.0004, craft.eth(craft.MAC_A, craft.MAC_B, 0x0800, ping)) for i in range(2000)
    ]
    events = run(tmp_path, pk)
    udp, icmp = detections(events, "udp_flood"), detections(events, "icmp_flood")
    assert udp and udp[0].src is not None and udp[0].src.ip == "172.16.0.9"
    assert icmp and icmp[0].src is not None and icmp[0].src.ip == "172.16.0.8"


def test_dns_server_answering_is_not_a_udp_flood(tmp_path: Path) -> None:
    pk = []
    for i in range(6000):
        pk.append(
            (
                1.0 + i * 0.0001,
                craft.udp4(
                    f"10.1.{i >> 8 & 255}.{i & 255}", VICTIM, 5000 + i % 1000, 53, b"q" * 30
                ),
            )
        )
        pk.append(
            (
                1.0 + i * 0.0001 + 0.00005,
                craft.udp4(
                    VICTIM, f"10.1.{i >> 8 & 255}.{i & 255}", 53, 5000 + i % 1000, b"a" * 60
                ),
            )
        )
    assert detections(run(tmp_path, pk), "udp_flood") == []


def test_window_with_only_other_traffic(tmp_path: Path) -> None:
    """A batch whose later window holds no flood-like packet (regression from the bench)."""
    pk = [(1.5, craft.tcp4("172.16.0.1", VICTIM, 1000, 80, SY))]
    pk += [(2.5 + i * 0.001, craft.tcp4("172.16.0.1", VICTIM, 1000, 80, A)) for i in range(5)]
    assert detections(run(tmp_path, pk)) == []
