"""Vectorised bidirectional flow keys.

Both directions of a conversation get the same 64-bit key: endpoints are ordered the way
Community ID orders them (smaller address, then smaller port first), ICMP type/code are
mapped to Community ID's port equivalents, and one-way ICMP messages keep their direction.
The key mixes every tuple field with a multiply-xorshift hash; the table stores the full
tuple beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phantomnet.monitor.community_id import ICMP4_PAIRS, ICMP6_PAIRS
from phantomnet.monitor.decode import ICMP, ICMP6, L3_IPV4, L3_IPV6, Decoded

U64 = npt.NDArray[np.uint64]
_MUL = np.uint64(0x9E3779B97F4A7C15)
_S = np.uint64(29)


def _tables() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    t4 = np.full(256, -1, dtype=np.int32)
    t6 = np.full(256, -1, dtype=np.int32)
    for k, v in ICMP4_PAIRS.items():
        t4[k] = v
    for k, v in ICMP6_PAIRS.items():
        t6[k] = v
    return t4, t6


_PAIR4, _PAIR6 = _tables()


def mix(h: U64, v: U64) -> U64:
    """One round of the key hash (wrapping uint64 arithmetic)."""
    x = (h ^ v) * _MUL
    out: U64 = x ^ (x >> _S)
    return out


@dataclass(slots=True)
class FlowKeys:
    """Per-packet key material: ``ip`` marks packets that belong to a flow."""

    ip: npt.NDArray[np.bool_]
    key: U64
    swapped: npt.NDArray[np.bool_]
    a_hi: U64
    a_lo: U64
    b_hi: U64
    b_lo: U64
    a_port: npt.NDArray[np.uint16]
    b_port: npt.NDArray[np.uint16]


def flow_ports(
    dec: Decoded,
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16], npt.NDArray[np.bool_]]:
    """Ports used for flow identity (ICMP mapped) and the one-way mask."""
    icmp4 = dec.has_l4 & (dec.proto == ICMP)
    icmp6 = dec.has_l4 & (dec.proto == ICMP6)
    pair = np.where(icmp4, _PAIR4[dec.sport & 0xFF], np.where(icmp6, _PAIR6[dec.sport & 0xFF], -1))
    icmp = icmp4 | icmp6
    one_way = icmp & (pair < 0)
    dport = np.where(icmp & (pair >= 0), pair, dec.dport).astype(np.uint16)
    sport = np.where(dec.has_l4, dec.sport, 0).astype(np.uint16)
    dport = np.where(dec.has_l4, dport, 0).astype(np.uint16)
    return sport, dport, one_way


def flow_keys(dec: Decoded) -> FlowKeys:
    """Compute canonical endpoints and the 64-bit key of every IP packet."""
    ip = (dec.l3 == L3_IPV4) | (dec.l3 == L3_IPV6)
    sport, dport, one_way = flow_ports(dec)
    s_hi, s_lo, d_hi, d_lo = dec.src_hi, dec.src_lo, dec.dst_hi, dec.dst_lo
    greater = (s_hi > d_hi) | (
        (s_hi == d_hi) & ((s_lo > d_lo) | ((s_lo == d_lo) & (sport > dport)))
    )
    swapped = greater & ~one_way
    a_hi = np.where(swapped, d_hi, s_hi)
    a_lo = np.where(swapped, d_lo, s_lo)
    b_hi = np.where(swapped, s_hi, d_hi)
    b_lo = np.where(swapped, s_lo, d_lo)
    a_port = np.where(swapped, dport, sport).astype(np.uint16)
    b_port = np.where(swapped, sport, dport).astype(np.uint16)
    key = tuple_key(a_hi, a_lo, b_hi, b_lo, a_port, b_port, dec.proto, dec.vlan, one_way)
    return FlowKeys(ip, key, swapped, a_hi, a_lo, b_hi, b_lo, a_port, b_port)


def tuple_key(
    a_hi: U64,
    a_lo: U64,
    b_hi: U64,
    b_lo: U64,
    a_port: npt.NDArray[np.uint16],
    b_port: npt.NDArray[np.uint16],
    proto: npt.NDArray[np.uint8],
    vlan: npt.NDArray[np.int32],
    one_way: npt.NDArray[np.bool_],
) -> U64:
    """The 64-bit key of canonical tuples (same inputs, same key, across batches)."""
    with np.errstate(over="ignore"):
        h = np.full(a_hi.shape[0], 0x243F6A8885A308D3, dtype=np.uint64)
        h = mix(h, a_hi)
        h = mix(h, a_lo)
        h = mix(h, b_hi)
        h = mix(h, b_lo)
        ports = (a_port.astype(np.uint64) << np.uint64(16)) | b_port.astype(np.uint64)
        extra = (
            (proto.astype(np.uint64) << np.uint64(32))
            | ((vlan.astype(np.int64) + 1).astype(np.uint64) << np.uint64(40))
            | (one_way.astype(np.uint64) << np.uint64(60))
        )
        h = mix(h, ports | extra)
    return h
