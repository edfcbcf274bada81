"""Map an ICMP error back to the flow it reports on (UDP/TCP port unreachable, etc.).

An ICMP(v6) error carries the offending packet's IP header and first 8 transport bytes; its
tuple gives the flow key, so a UDP probe answered by "port unreachable" fails at once.
"""

from __future__ import annotations

import numpy as np

from phantomnet.monitor.addr import V4_PREFIX
from phantomnet.monitor.decode import ICMP6, Decoded
from phantomnet.monitor.dispatch import payload_of
from phantomnet.monitor.flowkey import tuple_key
from phantomnet.monitor.flows import FlowTable


def _inner(data: bytes, v6: bool) -> tuple[int, int, int, int, int, int, int] | None:
    """(proto, src_hi, src_lo, dst_hi, dst_lo, sport, dport) of the embedded packet."""
    if v6:
        if len(data) < 48 or data[0] >> 4 != 6:
            return None
        proto, off = data[6], 40
        s_hi, s_lo = int.from_bytes(data[8:16], "big"), int.from_bytes(data[16:24], "big")
        d_hi, d_lo = int.from_bytes(data[24:32], "big"), int.from_bytes(data[32:40], "big")
    else:
        if len(data) < 28 or data[0] >> 4 != 4:
            return None
        off = (data[0] & 15) * 4
        proto = data[9]
        s_hi, s_lo = 0, V4_PREFIX | int.from_bytes(data[12:16], "big")
        d_hi, d_lo = 0, V4_PREFIX | int.from_bytes(data[16:20], "big")
    if len(data) < off + 4 or proto not in (6, 17, 132):
        return None
    sport = int.from_bytes(data[off : off + 2], "big")
    dport = int.from_bytes(data[off + 2 : off + 4], "big")
    return proto, s_hi, s_lo, d_hi, d_lo, sport, dport


def embedded_flow_key(dec: Decoded, i: int, table: FlowTable) -> int:
    """Slot of the flow an ICMP error at row ``i`` refers to, or -1."""
    inner = _inner(payload_of(dec, i), int(dec.proto[i]) == ICMP6)
    if inner is None:
        return -1
    proto, s_hi, s_lo, d_hi, d_lo, sport, dport = inner
    a, b = (s_hi, s_lo, sport), (d_hi, d_lo, dport)
    if a > b:
        a, b = b, a
    u64 = np.uint64
    key = tuple_key(
        np.array([a[0]], dtype=u64),
        np.array([a[1]], dtype=u64),
        np.array([b[0]], dtype=u64),
        np.array([b[1]], dtype=u64),
        np.array([a[2]], dtype=np.uint16),
        np.array([b[2]], dtype=np.uint16),
        np.array([proto], dtype=np.uint8),
        dec.vlan[i : i + 1],
        np.zeros(1, dtype=np.bool_),
    )
    return table.index.get(int(key[0]), -1)
