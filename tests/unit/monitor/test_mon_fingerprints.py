"""JA3/JA3S (against tshark), JA4 and HASSH (against FoxIO's expected values), vectors."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from mon_vectors import vectors
from tests.conftest import require_tool

from phantomnet.analyzers.fingerprints import _alpn2, ja3, ja4
from phantomnet.analyzers.tls import ClientHello
from phantomnet.events import NetworkSsh, NetworkTls, ParserAnomaly
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.replay import events_from_pcap

FOXIO = MonitorConfig(ja4_alpn_mode="foxio")


def _captures() -> list[Path]:
    return sorted(p for p in vectors("ja4").iterdir() if p.suffix in (".pcap", ".pcapng"))


def _tshark(pcap: Path) -> tuple[Counter[str], Counter[str]]:
    """tshark's JA3 of every ClientHello (TCP and QUIC) and JA3S of every TCP ServerHello."""
    out = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-Y",
            "tls.handshake.type == 1 || (tcp && tls.handshake.type == 2)",
            "-T",
            "fields",
            "-e",
            "tls.handshake.ja3",
            "-e",
            "tls.handshake.ja3s",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    ja3s: Counter[str] = Counter()
    ja3ss: Counter[str] = Counter()
    for line in out.splitlines():
        client, _, server = line.partition("\t")
        ja3s.update(h for h in client.split(",") if h)
        ja3ss.update(h for h in server.split(",") if h)
    return ja3s, ja3ss


def test_ja3_and_ja3s_equal_tshark_on_every_hello() -> None:
    require_tool("tshark")
    checked = quic = 0
    for pcap in _captures():
        tls = [e for e in events_from_pcap(pcap) if isinstance(e, NetworkTls)]
        ja3s = Counter(e.ja3 for e in tls if e.message == "client_hello")
        ja3ss = Counter(e.ja3s for e in tls if e.message == "server_hello")
        assert (ja3s, ja3ss) == _tshark(pcap), pcap.name
        checked += sum(ja3s.values())
        quic += sum(1 for e in tls if e.ja4 and e.ja4.startswith("q"))
    assert checked >= 100 and quic >= 20


def _stream_key(row: dict[str, str]) -> int:
    """Client port: FoxIO names the outer addresses of tunnelled streams, we the inner."""
    return int(row["srcport"])


def test_ja4_matches_foxio_expected_per_stream() -> None:
    compared = 0
    for expected in sorted(vectors("ja4").glob("*.expected.json")):
        rows = [r for r in json.loads(expected.read_text()) if "JA4.1" in r]
        if not rows:
            continue
        pcap = expected.with_name(expected.name.removesuffix(".expected.json"))
        ours: dict[int, list[str]] = {}
        for e in events_from_pcap(pcap, FOXIO):
            if isinstance(e, NetworkTls) and e.message == "client_hello" and e.src:
                ours.setdefault(e.src.port or 0, []).append(e.ja4 or "")
        for row in rows:
            got = ours.get(_stream_key(row), [])
            assert got[:1] == [row["JA4.1"]], (pcap.name, row["stream"])
            if "JA4.2" in row:
                assert got[1:2] == [row["JA4.2"]], (pcap.name, row["stream"])
            compared += 1
    assert compared >= 130


def test_hassh_matches_expected() -> None:
    compared = 0
    for expected in sorted(vectors("ja4").glob("*.expected.json")):
        rows = [r for r in json.loads(expected.read_text()) if "ssh_extras" in r]
        if not rows:
            continue
        pcap = expected.with_name(expected.name.removesuffix(".expected.json"))
        ssh = [e for e in events_from_pcap(pcap) if isinstance(e, NetworkSsh)]
        for row in rows:
            extras = row["ssh_extras"]
            client = [
                e for e in ssh if not e.is_server and e.src and e.src.port == _stream_key(row)
            ]
            server = [e for e in ssh if e.is_server and e.dst and e.dst.port == _stream_key(row)]
            if "hassh" in extras:
                assert [e.hassh or "" for e in client][:1] == [extras["hassh"]], pcap.name
            if "hassh_server" in extras:
                assert [e.hassh or "" for e in server][:1] == [extras["hassh_server"]], pcap.name
            if "ssh_protocol_client" in extras:
                assert client[0].banner == extras["ssh_protocol_client"]
            compared += 1
    assert compared >= 6


@pytest.mark.parametrize(
    "name",
    [
        "CVE-2018-6794.pcap",
        "badcurveball.pcap",
        "ssh2-malformed.pcap",
        "ssh2-moloch-crash.pcap",
        "gre-erspan-vxlan.pcap",
        "tcpdump-geneve.pcap",
    ],
)
def test_malformed_captures_decode_without_exception(name: str) -> None:
    events = list(events_from_pcap(vectors("ja4") / name))
    assert any(e.kind == "network.flow" for e in events)
    assert all(not isinstance(e, ParserAnomaly) or e.parser for e in events)


def test_published_ja3_vectors() -> None:
    hello = ClientHello(
        version=769,
        ciphers=(47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4),
        extensions=(0, 10, 11),
        groups=(23, 24, 25),
        point_formats=(0,),
    )
    assert ja3(hello) == (
        "ada70206e40642a3e4461f35503241d5",
        "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
    )
    bare = ClientHello(version=769, ciphers=(4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99), extensions=())
    assert ja3(bare)[0] == "de350869b8c85de67a350c8d186f11e6"
    grease = ClientHello(version=769, ciphers=(0x0A0A, 47), extensions=(0x1A1A,))
    assert ja3(grease)[1] == "769,47,,,"


def test_ja4_spec_example() -> None:
    ciphers = (
        0x1301,
        0x1302,
        0x1303,
        0xC02B,
        0xC02F,
        0xC02C,
        0xC030,
        0xCCA9,
        0xCCA8,
        0xC013,
        0xC014,
        0x009C,
        0x009D,
        0x002F,
        0x0035,
    )
    exts = (
        0x001B,
        0x0000,
        0x0033,
        0x0010,
        0x4469,
        0x0017,
        0x002D,
        0x000D,
        0x0005,
        0x0023,
        0x0012,
        0x002B,
        0xFF01,
        0x000B,
        0x000A,
        0x0015,
    )
    sigs = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
    hello = ClientHello(
        version=0x0303,
        ciphers=ciphers,
        extensions=exts,
        sig_algs=sigs,
        supported_versions=(0x0304, 0x0303),
        alpn=(b"h2",),
    )
    assert ja4(hello) == "t13d1516h2_8daaf6152771_e5627efa2ab1"


@pytest.mark.parametrize(
    ("alpn", "spec", "foxio"),
    [
        (b"http/1.1", "h1", "h1"),
        (b"b", "bb", "bb"),
        (b"\xab", "ab", "99"),
        (b"\xab\xcd", "ad", "99"),
        (b"\x30\xab", "3b", "09"),
        (b"\x01TE\x7f", "0f", "\x01\x7f"),
    ],
)
def test_ja4_alpn_edge_cases(alpn: bytes, spec: str, foxio: str) -> None:
    assert _alpn2((alpn,), "spec") == spec
    assert _alpn2((alpn,), "foxio") == foxio
    assert _alpn2((b"\x2a\x2a",), "spec") == "00"


def test_every_event_from_the_reference_captures_passes_the_validating_codec() -> None:
    """Events built without re-validation (fastmodel) equal their validated JSON round trip."""
    from phantomnet.events import dump_event, parse_event

    kinds: set[str] = set()
    for pcap in _captures():
        for event in events_from_pcap(pcap):
            assert parse_event(dump_event(event)) == event, (pcap.name, event.kind)
            kinds.add(event.kind)
    assert {"network.flow", "network.tls", "network.ssh", "network.dns", "network.http"} <= kinds
