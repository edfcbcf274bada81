"""Tunnel decapsulation: GRE (incl. ERSPAN II/III), VXLAN and Geneve.

Packets whose outer headers are a known tunnel are decoded again from the inner frame
(Ethernet or raw IP), up to ``MAX_DEPTH`` nested tunnels, and the inner columns replace the
outer ones: flows, parsers and detectors then see the encapsulated conversation, as Zeek
and Suricata do. Vectorised like :mod:`decode`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from phantomnet.monitor.batch import RawBatch
from phantomnet.monitor.decode import UDP, Decoded, _Gather

I64 = npt.NDArray[np.int64]
GRE = 47
VXLAN_PORT = 4789
GENEVE_PORT = 6081
MAX_DEPTH = 3
ETHERNET, RAW = 1, 101


def _gre(g: _Gather, dec: Decoded, l4off: I64) -> tuple[I64, npt.NDArray[np.int32]]:
    """(inner offset or -1, inner link type) of GRE packets."""
    n = len(dec)
    inner = np.full(n, -1, dtype=np.int64)
    link = np.full(n, ETHERNET, dtype=np.int32)
    gre = (dec.proto == GRE) & ~dec.fragment & g.fits(l4off, 4)
    if not gre.any():
        return inner, link
    flags = g.u16(l4off)
    ptype = g.u16(l4off + 2)
    hdr = 4 + 4 * (
        ((flags & 0x8000) != 0).astype(np.int64) + ((flags & 0x2000) != 0) + ((flags & 0x1000) != 0)
    )
    ok = gre & ((flags & 0x7) == 0)
    base = l4off + hdr
    erspan3_extra = np.where((g.u8(base + 11) & 1) == 1, 8, 0)
    rules = (
        (0x6558, 0, ETHERNET),
        (0x0800, 0, RAW),
        (0x86DD, 0, RAW),
        (0x88BE, 8, ETHERNET),
    )
    for proto, skip, kind in rules:
        m = ok & (ptype == proto)
        inner = np.where(m, base + skip, inner)
        link = np.where(m, kind, link).astype(np.int32)
    m = ok & (ptype == 0x22EB)
    inner = np.where(m, base + 12 + erspan3_extra, inner)
    return inner, link


def _udp_tunnels(g: _Gather, dec: Decoded) -> I64:
    """Inner Ethernet offset of VXLAN and Geneve packets (-1 otherwise)."""
    udp = dec.has_l4 & (dec.proto == UDP)
    start = dec.pl_off
    vx = udp & (dec.dport == VXLAN_PORT) & g.fits(start, 8 + 14) & ((g.u8(start) & 0x08) != 0)
    gen = udp & (dec.dport == GENEVE_PORT) & g.fits(start, 8 + 14)
    opt = (g.u8(start) & 0x3F).astype(np.int64) * 4
    gen = gen & (g.u16(start + 2) == 0x6558)
    inner = np.where(vx, start + 8, -1)
    return np.where(gen, start + 8 + opt, inner)


def decapsulate(dec: Decoded, depth: int = 0) -> Decoded:
    """Replace tunnelled packets' columns with their inner packet's (recursively)."""
    from phantomnet.monitor.decode import decode_raw

    if depth >= MAX_DEPTH:
        return dec
    g = _Gather(dec.batch)
    gre_in, gre_link = _gre(g, dec, dec.l4off)
    udp_in = _udp_tunnels(g, dec)
    inner = np.where(gre_in >= 0, gre_in, udp_in)
    link = np.where(gre_in >= 0, gre_link, ETHERNET).astype(np.int32)
    rows = np.flatnonzero((inner >= 0) & (inner < g.end))
    if rows.size == 0:
        return dec
    b = dec.batch
    sub = RawBatch(
        b.data,
        inner[rows],
        g.end[rows] - inner[rows],
        b.wirelen[rows],
        b.ts[rows],
        link[rows],
        b.number[rows],
    )
    inner_dec = decapsulate(decode_raw(sub), depth + 1)
    return _merge(dec, rows, inner_dec)


def _merge(outer: Decoded, rows: I64, inner: Decoded) -> Decoded:
    for name in (
        "l3",
        "l3off",
        "l4off",
        "vlan",
        "proto",
        "ttl",
        "src_hi",
        "src_lo",
        "dst_hi",
        "dst_lo",
        "ip_len",
        "has_l4",
        "sport",
        "dport",
        "flags",
        "seq",
        "ack",
        "window",
        "pl_off",
        "pl_len",
        "pl_wire",
        "fragment",
    ):
        col = getattr(outer, name).copy()
        col[rows] = getattr(inner, name)
        setattr(outer, name, col)
    return outer
