"""Turn ended flow-table slots into ``network.flow`` events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from phantomnet.events import NetworkFlow, SensorRef
from phantomnet.events.network import Transport
from phantomnet.monitor.addr import ip_bytes, ip_text
from phantomnet.monitor.community_id import community_id
from phantomnet.monitor.decode import ICMP, ICMP6, SCTP, TCP, UDP
from phantomnet.monitor.fastmodel import build, endpoint
from phantomnet.monitor.flows import ACK, FIN, PSH, RST, SYN, URG, FlowTable, conn_state

TRANSPORTS: dict[int, Transport] = {
    TCP: "tcp",
    UDP: "udp",
    ICMP: "icmp",
    ICMP6: "icmp6",
    SCTP: "sctp",
}
I64 = npt.NDArray[np.int64]
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


def flow_events(
    t: FlowTable, slots: I64, sensor: SensorRef, reason: str, seed: int = 0
) -> list[NetworkFlow]:
    """``network.flow`` events of ended slots (``src`` is the originator).

    Columns are fetched once for all slots and events are built with ``model_construct``:
    every value comes from our own decoder (canonical IP text, bounded integers), so
    they are built with :func:`fastmodel.build` (see there). The unit
    tests round-trip these events through the validating JSON codec.
    """
    if slots.size == 0:
        return []
    cols = _columns(t, slots)
    ends = [_end_of(t, int(s)) for s in slots.tolist()]
    out: list[NetworkFlow] = []
    for i, slot in enumerate(slots.tolist()):
        out.append(_one(t, slot, cols, i, ends[i], sensor, reason, seed))
    return out


def _columns(t: FlowTable, slots: I64) -> dict[str, list[Any]]:
    total = t.pkts[slots].sum(axis=1)
    safe = np.maximum(total, 1)
    mean = t.len_sum[slots] / safe
    std = np.sqrt(np.maximum(t.len_sq[slots] / safe - mean * mean, 0.0))
    n_iat = t.iat_n[slots]
    iat_mean = t.iat_sum[slots] / np.maximum(n_iat, 1)
    iat_std = np.sqrt(np.maximum(t.iat_sq[slots] / np.maximum(n_iat, 1) - iat_mean**2, 0.0))
    fc = t.flagcnt[slots]
    bits = np.asarray(_BITS, dtype=np.int64)
    flag_or = ((fc > 0) * bits).sum(axis=2)
    return {
        "proto": t.proto[slots].tolist(),
        "first": t.first_ts[slots].tolist(),
        "last": t.last_ts[slots].tolist(),
        "pkts": t.pkts[slots].tolist(),
        "bytes": t.bytes[slots].tolist(),
        "payload": t.payload[slots].tolist(),
        "total": total.tolist(),
        "mean": mean.tolist(),
        "std": std.tolist(),
        "lmin": t.len_min[slots].tolist(),
        "lmax": t.len_max[slots].tolist(),
        "n_iat": n_iat.tolist(),
        "iat_mean": (iat_mean * 1e3).tolist(),
        "iat_std": (iat_std * 1e3).tolist(),
        "iat_max": (t.iat_max[slots] * 1e3).tolist(),
        "flag_or": flag_or.tolist(),
        "fsum": fc.sum(axis=1).tolist(),
        "app": t.app[slots].tolist(),
    }


def _end_of(t: FlowTable, slot: int) -> tuple[str, str, int, int, str]:
    o, r = endpoints(t, slot)
    proto = int(t.proto[slot])
    ports = (o[2], r[2]) if proto in PORTED or proto in (ICMP, ICMP6) else (None, None)
    cid = community_id(proto, ip_bytes(o[0], o[1]), ip_bytes(r[0], r[1]), ports[0], ports[1])
    state = conn_state(t, slot) if proto == TCP else ("SF" if t.pkts[slot, 1] else "S0")
    return ip_text(o[0], o[1]), ip_text(r[0], r[1]), o[2], r[2], cid + "|" + state


def _one(
    t: FlowTable,
    slot: int,
    c: dict[str, list[Any]],
    i: int,
    ends: tuple[str, str, int, int, str],
    sensor: SensorRef,
    reason: str,
    seed: int,
) -> NetworkFlow:
    src_ip, dst_ip, sport, dport, extra = ends
    cid, state = extra.split("|", 1)
    if seed:
        cid = flow_community_id(t, slot, seed)
    proto = c["proto"][i]
    ported = proto in PORTED
    total = c["total"][i]
    has_iat = c["n_iat"][i] > 0
    fsum = c["fsum"][i]
    app = int(c["app"][i])
    return build(
        NetworkFlow,
        dict(
            sensor=sensor,
            occurred_at=when(c["last"][i]),
            src=endpoint(src_ip, sport if ported else None),
            dst=endpoint(dst_ip, dport if ported else None),
            community_id=cid,
            transport=TRANSPORTS.get(proto, "other"),
            started_at=when(c["first"][i]),
            ended_at=when(c["last"][i]),
            packets_out=c["pkts"][i][0],
            packets_in=c["pkts"][i][1],
            bytes_out=c["bytes"][i][0],
            bytes_in=c["bytes"][i][1],
            state=state,
            tcp_flags_out=c["flag_or"][i][0],
            tcp_flags_in=c["flag_or"][i][1],
            syn_count=fsum[SYN],
            rst_count=fsum[RST],
            fin_count=fsum[FIN],
            app=APP_NAMES[app] if 0 < app < len(APP_NAMES) else None,
            iat_mean_ms=c["iat_mean"][i] if has_iat else None,
            iat_std_ms=c["iat_std"][i] if has_iat else None,
            payload_bytes_out=c["payload"][i][0],
            payload_bytes_in=c["payload"][i][1],
            pkt_len_min=c["lmin"][i] if total else None,
            pkt_len_max=c["lmax"][i] if total else None,
            pkt_len_mean=c["mean"][i] if total else None,
            pkt_len_std=c["std"][i] if total else None,
            iat_max_ms=c["iat_max"][i] if has_iat else None,
            psh_count=fsum[PSH],
            ack_count=fsum[ACK],
            urg_count=fsum[URG],
            end_reason=reason,
        ),
    )


_BITS = (0x02, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
