"""Bidirectional flows: TCP state, counts, timeouts, batching invariance, flood shedding."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.events import NetworkFlow, dump_event, parse_event
from phantomnet.monitor import craft
from phantomnet.monitor.config import FlowConfig, MonitorConfig
from phantomnet.monitor.pcapfile import read_batches
from phantomnet.monitor.pipeline import Pipeline
from phantomnet.monitor.replay import events_from_pcap

C, S = "10.0.0.1", "10.0.0.2"
A, SY, F, R, P = craft.ACK, craft.SYN, craft.FIN, craft.RST, craft.PSH


def conversation() -> list[tuple[float, bytes]]:
    t = 100.0
    pk = [
        (t, craft.tcp4(C, S, 40000, 80, SY)),
        (t + 0.01, craft.tcp4(S, C, 80, 40000, SY | A)),
        (t + 0.02, craft.tcp4(C, S, 40000, 80, A)),
        (t + 0.03, craft.tcp4(C, S, 40000, 80, A | P, b"GET / HTTP/1.1\r\n\r\n")),
        (t + 0.05, craft.tcp4(S, C, 80, 40000, A | P, b"HTTP/1.1 200 OK\r\n\r\n")),
        (t + 0.06, craft.tcp4(C, S, 40000, 80, F | A)),
        (t + 0.07, craft.tcp4(S, C, 80, 40000, F | A)),
        (t + 0.08, craft.tcp4(C, S, 40000, 80, A)),
        (t + 0.5, craft.tcp4(C, S, 40001, 81, SY)),  # closed port
        (t + 0.51, craft.tcp4(S, C, 81, 40001, R | A)),
        (t + 0.6, craft.tcp4(C, S, 40002, 82, SY)),  # no answer
        (t + 0.7, craft.udp4(C, S, 5555, 53, b"q")),
        (t + 0.71, craft.udp4(S, C, 53, 5555, b"answer")),
        (
            t + 0.8,
            craft.eth(craft.MAC_A, craft.MAC_B, 0x0800, craft.ipv4(C, S, 1, craft.icmp(8, 0))),
        ),
        (
            t + 0.81,
            craft.eth(craft.MAC_B, craft.MAC_A, 0x0800, craft.ipv4(S, C, 1, craft.icmp(0, 0))),
        ),
        (t + 200.0, craft.udp4(C, S, 5555, 53, b"q2")),  # after udp idle: a new flow
    ]
    return pk


def flows(path: Path, batch_size: int = 32768) -> dict[tuple, NetworkFlow]:
    cfg = MonitorConfig(batch_size=batch_size)
    out: dict[tuple, NetworkFlow] = {}
    for e in events_from_pcap(path, cfg):
        if isinstance(e, NetworkFlow):
            key = (e.src.ip, e.src.port, e.dst.ip, e.dst.port, e.transport, e.started_at)
            out[key] = e
    return out


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "conv.pcap"
    craft.write_pcap(path, conversation())
    return path


def test_tcp_states_and_counts(capture: Path) -> None:
    by_port = {(f.dst.port, f.transport): f for f in flows(capture).values()}
    web = by_port[(80, "tcp")]
    assert (web.src.ip, web.dst.ip) == (C, S)
    assert (web.packets_out, web.packets_in) == (5, 3)
    assert web.state == "SF" and web.end_reason == "closed"
    assert web.payload_bytes_out == 18 and web.payload_bytes_in == 19
    assert web.syn_count == 2 and web.fin_count == 2
    assert web.bytes_out == 4 * 40 + 58
    assert web.tcp_flags_out & craft.SYN and web.tcp_flags_in & craft.FIN
    assert web.iat_mean_ms is not None and web.iat_mean_ms == pytest.approx(80 / 7, rel=1e-3)
    assert by_port[(81, "tcp")].state == "REJ"
    assert by_port[(82, "tcp")].state == "S0"
    assert by_port[(None, "icmp")].packets_in == 1
    assert web.community_id and web.community_id.startswith("1:")


def test_udp_idle_timeout_splits_flows(capture: Path) -> None:
    dns = [f for f in flows(capture).values() if f.transport == "udp"]
    assert sorted((f.packets_out, f.packets_in) for f in dns) == [(1, 0), (1, 1)]
    assert {f.end_reason for f in dns} == {"timeout", "end"}


def test_batch_size_does_not_change_flows(capture: Path) -> None:
    big = flows(capture)
    small = flows(capture, batch_size=1)
    assert big.keys() == small.keys()
    for key, flow in big.items():
        a = flow.model_dump(exclude={"event_id", "sensor", "src", "dst"})
        b = small[key].model_dump(exclude={"event_id", "sensor", "src", "dst"})
        assert a == pytest.approx(b), key


def test_spoofed_syn_flood_does_not_grow_the_table(tmp_path: Path) -> None:
    path = tmp_path / "flood.pcap"
    pk = [
        (
            1.0 + i * 1e-5,
            craft.tcp4(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", S, 1024 + i % 60000, 80, SY),
        )
        for i in range(20000)
    ]
    craft.write_pcap(path, pk)
    pipe = Pipeline(MonitorConfig(flows=FlowConfig(shed_min=64)), "t")
    peak = 0
    for batch in read_batches(path, 4096):
        pipe.process(batch)
        peak = max(peak, len(pipe.table))
    assert peak < 100
    assert pipe.table.shed_packets >= 19000


def test_flow_events_pass_the_validating_codec(capture: Path) -> None:
    for flow in flows(capture).values():
        again = parse_event(dump_event(flow))
        assert again == flow
        NetworkFlow.model_validate(flow.model_dump())
