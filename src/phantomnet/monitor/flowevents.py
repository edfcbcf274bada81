"""Turn ended flow-table slots into ``network.flow`` events."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from phantomnet.events import Endpoint, NetworkFlow, SensorRef
from phantomnet.events.network import Transport
from phantomnet.monitor.addr import ip_bytes, ip_text
from phantomnet.monitor.community_id import community_id
from phantomnet.monitor.decode import ICMP, ICMP6, SCTP, TCP, UDP
from phantomnet.monitor.flows import ACK, FIN, PSH, RST, SYN, URG, FlowTable, conn_state

TRANSPORTS: dict[int, Transport] = {
    TCP: "tcp",
    UDP: "udp",
    ICMP: "icmp",
    ICMP6: "icmp6",
    SCTP: "sctp",
}
PORTED = frozenset({TCP, UDP, SCTP})
APP_NAMES = ("", "dns", "http", "tls", "ssh", "ftp", "smtp", "other")


def when(ts: float) -> datetime:
    """Capture time as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def endpoints(t: FlowTable, slot: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(hi, lo, port) of the originator and the responder."""
    a = (int(t.a_hi[slot]), int(t.a_lo[slot]), int(t.a_port[slot]))
    b = (int(t.b_hi[slot]), int(t.b_lo[slot]), int(t.b_port[slot]))
    return (a, b) if t.orig_is_a[slot] else (b, a)


def flow_community_id(t: FlowTable, slot: int, seed: int = 0) -> str:
    """Community ID of the flow in ``slot``."""
    o, r = endpoints(t, slot)
    proto = int(t.proto[slot])
    # ICMP ports already hold (type, counterpart-or-code); community_id maps them the same.
    ports = (o[2], r[2]) if proto in PORTED or proto in (ICMP, ICMP6) else (None, None)
    return community_id(
        proto, ip_bytes(o[0], o[1]), ip_bytes(r[0], r[1]), ports[0], ports[1], seed=seed
    )


def flow_event(
    t: FlowTable, slot: int, sensor: SensorRef, reason: str, seed: int = 0
) -> NetworkFlow:
    """The ``network.flow`` event of one slot (``src`` is the originator)."""
    o, r = endpoints(t, slot)
    proto = int(t.proto[slot])
    ported = proto in PORTED
    pk = t.pkts[slot]
    total = int(pk[0] + pk[1])
    mean = float(t.len_sum[slot]) / total if total else 0.0
    var = max(float(t.len_sq[slot]) / total - mean * mean, 0.0) if total else 0.0
    n_iat = int(t.iat_n[slot])
    iat_mean = float(t.iat_sum[slot]) / n_iat if n_iat else None
    iat_std = None
    if iat_mean is not None:
        iat_std = math.sqrt(max(float(t.iat_sq[slot]) / n_iat - iat_mean * iat_mean, 0.0)) * 1e3
    fc = t.flagcnt[slot]
    flag_or = [sum(bit for j, bit in enumerate(_BITS) if fc[d, j] > 0) for d in (0, 1)]
    app = APP_NAMES[int(t.app[slot])] if int(t.app[slot]) < len(APP_NAMES) else "other"
    return NetworkFlow(
        sensor=sensor,
        occurred_at=when(float(t.last_ts[slot])),
        src=Endpoint(ip=ip_text(o[0], o[1]), port=o[2] if ported else None),
        dst=Endpoint(ip=ip_text(r[0], r[1]), port=r[2] if ported else None),
        community_id=flow_community_id(t, slot, seed),
        transport=TRANSPORTS.get(proto, "other"),
        started_at=when(float(t.first_ts[slot])),
        ended_at=when(float(t.last_ts[slot])),
        packets_out=int(pk[0]),
        packets_in=int(pk[1]),
        bytes_out=int(t.bytes[slot, 0]),
        bytes_in=int(t.bytes[slot, 1]),
        state=conn_state(t, slot) if proto == TCP else ("SF" if pk[1] else "S0"),
        tcp_flags_out=flag_or[0],
        tcp_flags_in=flag_or[1],
        syn_count=int(fc[:, SYN].sum()),
        rst_count=int(fc[:, RST].sum()),
        fin_count=int(fc[:, FIN].sum()),
        app=app or None,
        iat_mean_ms=iat_mean * 1e3 if iat_mean is not None else None,
        iat_std_ms=iat_std,
        payload_bytes_out=int(t.payload[slot, 0]),
        payload_bytes_in=int(t.payload[slot, 1]),
        pkt_len_min=int(t.len_min[slot]) if total else None,
        pkt_len_max=int(t.len_max[slot]) if total else None,
        pkt_len_mean=mean if total else None,
        pkt_len_std=math.sqrt(var) if total else None,
        iat_max_ms=float(t.iat_max[slot]) * 1e3 if n_iat else None,
        psh_count=int(fc[:, PSH].sum()),
        ack_count=int(fc[:, ACK].sum()),
        urg_count=int(fc[:, URG].sum()),
        end_reason=reason,
    )


_BITS = (0x02, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
