"""Vectorised decoding of a :class:`RawBatch` into header columns.

Link layers: Ethernet (with up to two 802.1Q/802.1ad tags), Linux SLL/SLL2, raw IP, BSD
NULL/LOOP. Network: IPv4, IPv6 (hop-by-hop, routing, fragment, destination-options and AH
extension headers), ARP (marked; parsed later by the ARP parser). Transport: TCP, UDP,
SCTP ports, ICMP/ICMPv6 type and code.

Every field is gathered for all packets at once with numpy fancy indexing; positions
beyond a packet's captured end are masked out, so truncated or malformed packets only
lose the layers they do not have. Nothing here raises on packet content.

Addresses are kept as two ``uint64`` columns (high, low) of the 128-bit IPv6 form; IPv4
is stored IPv4-mapped (``::ffff:a.b.c.d``) so one code path serves both families.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phantomnet.monitor.batch import RawBatch

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

L3_NONE, L3_IPV4, L3_IPV6, L3_ARP = 0, 4, 6, 1
V4_MAPPED = np.uint64(0xFFFF00000000)
TCP, UDP, ICMP, ICMP6, SCTP = 6, 17, 1, 58, 132
_IPV6_EXT = (0, 43, 60, 51, 44)
_AR8 = np.arange(8, dtype=np.int64)


@dataclass(slots=True)
class Decoded:
    """Header columns of one batch (all arrays have one entry per packet)."""

    batch: RawBatch
    l3: U8
    l3off: I64
    l4off: I64
    vlan: npt.NDArray[np.int32]
    proto: U8
    ttl: U8
    src_hi: U64
    src_lo: U64
    dst_hi: U64
    dst_lo: U64
    ip_len: I64
    has_l4: Bool
    sport: U16
    dport: U16
    flags: U16
    seq: npt.NDArray[np.uint32]
    ack: npt.NDArray[np.uint32]
    window: U16
    pl_off: I64
    pl_len: I64
    pl_wire: I64
    fragment: Bool

    def __len__(self) -> int:
        return int(self.l3.shape[0])


class _Gather:
    """Bounds-checked big-endian reads at per-packet positions."""

    def __init__(self, batch: RawBatch) -> None:
        self.d = batch.data
        self.last = max(int(self.d.shape[0]) - 1, 0)
        self.end = batch.off + batch.caplen

    def fits(self, pos: I64, size: int) -> Bool:
        out: Bool = (pos >= 0) & (pos + size <= self.end)
        return out

    def u8(self, pos: I64) -> U8:
        return self.d[np.clip(pos, 0, self.last)]

    def u16(self, pos: I64) -> U16:
        hi = self.u8(pos).astype(np.uint16)
        lo = self.u8(pos + 1).astype(np.uint16)
        out: U16 = ((hi << 8) | lo).astype(np.uint16)
        return out

    def u32(self, pos: I64) -> npt.NDArray[np.uint32]:
        a = self.u16(pos).astype(np.uint32)
        b = self.u16(pos + 2).astype(np.uint32)
        out: npt.NDArray[np.uint32] = ((a << 16) | b).astype(np.uint32)
        return out

    def u64(self, pos: I64) -> U64:
        idx = np.clip(pos[:, None] + _AR8, 0, self.last)
        rows = np.ascontiguousarray(self.d[idx])
        out: U64 = rows.view(">u8").ravel().astype(np.uint64)
        return out


def _link_layer(g: _Gather, b: RawBatch) -> tuple[U16, I64, npt.NDArray[np.int32]]:
    """EtherType-like protocol, L3 offset and first VLAN id (-1) per packet."""
    n = len(b)
    etype = np.zeros(n, dtype=np.uint16)
    l3off = np.full(n, -1, dtype=np.int64)
    vlan = np.full(n, -1, dtype=np.int32)
    lt = b.linktype
    eth = (lt == 1) & g.fits(b.off, 14)
    if eth.any():
        p = b.off + 12
        et = g.u16(p)
        for _ in range(2):
            tagged = eth & ((et == 0x8100) | (et == 0x88A8) | (et == 0x9100)) & g.fits(p, 6)
            if not tagged.any():
                break
            tag = (g.u16(p + 2) & 0x0FFF).astype(np.int32)
            vlan = np.where(tagged & (vlan < 0), tag, vlan)
            p = np.where(tagged, p + 4, p)
            et = np.where(tagged, g.u16(p), et)
        etype = np.where(eth, et, etype)
        l3off = np.where(eth, p + 2, l3off)
    for code, head, proto_at in ((113, 16, 14), (276, 20, 0)):
        m = (lt == code) & g.fits(b.off, head)
        if m.any():
            etype = np.where(m, g.u16(b.off + proto_at), etype)
            l3off = np.where(m, b.off + head, l3off)
    raw = np.isin(lt, (101, 12, 14, 228, 229))
    null = np.isin(lt, (0, 108)) & g.fits(b.off, 4)
    if raw.any() or null.any():
        start = np.where(null, b.off + 4, b.off)
        ver = g.u8(start) >> 4
        m = (raw | null) & g.fits(start, 1)
        etype = np.where(m & (ver == 4), np.uint16(0x0800), etype)
        etype = np.where(m & (ver == 6), np.uint16(0x86DD), etype)
        l3off = np.where(m, start, l3off)
    return etype, l3off, vlan


def decode(b: RawBatch) -> Decoded:
    """Decode every packet of ``b`` into columns, tunnels included (never raises)."""
    from phantomnet.monitor.tunnels import decapsulate

    return decapsulate(decode_raw(b))


def decode_raw(b: RawBatch) -> Decoded:
    """Decode the outer headers of every packet of ``b`` (never raises on packet content)."""
    g = _Gather(b)
    n = len(b)
    etype, l3off, vlan = _link_layer(g, b)
    end = g.end
    first = g.u8(l3off)
    v4 = (etype == 0x0800) & g.fits(l3off, 20) & ((first >> 4) == 4) & ((first & 15) >= 5)
    v6 = (etype == 0x86DD) & g.fits(l3off, 40) & ((first >> 4) == 6)
    arp = (etype == 0x0806) & g.fits(l3off, 8)
    l3 = np.zeros(n, dtype=np.uint8)
    l3[v4] = L3_IPV4
    l3[v6] = L3_IPV6
    l3[arp] = L3_ARP

    ihl = (first & 15).astype(np.int64) * 4
    tot4 = g.u16(l3off + 2).astype(np.int64)
    frag4 = g.u16(l3off + 6)
    plen6 = g.u16(l3off + 4).astype(np.int64)
    ip_len = np.where(v4, tot4, np.where(v6, 40 + plen6, 0))
    ip_len = np.where(v6 & (plen6 == 0), end - l3off, ip_len)
    ip_end = np.minimum(l3off + np.where(ip_len > 0, ip_len, 0), end)
    ip_end = np.where(v4 & (tot4 < ihl), end, ip_end)

    proto = np.where(v4, g.u8(l3off + 9), np.where(v6, g.u8(l3off + 6), 0)).astype(np.uint8)
    ttl = np.where(v4, g.u8(l3off + 8), np.where(v6, g.u8(l3off + 7), 0)).astype(np.uint8)
    src4 = g.u32(l3off + 12).astype(np.uint64) | V4_MAPPED
    dst4 = g.u32(l3off + 16).astype(np.uint64) | V4_MAPPED
    zero = np.zeros(n, dtype=np.uint64)
    if v6.any():
        src_hi = np.where(v6, g.u64(l3off + 8), zero)
        src_lo = np.where(v6, g.u64(l3off + 16), np.where(v4, src4, zero))
        dst_hi = np.where(v6, g.u64(l3off + 24), zero)
        dst_lo = np.where(v6, g.u64(l3off + 32), np.where(v4, dst4, zero))
    else:
        src_hi, dst_hi = zero, zero.copy()
        src_lo = np.where(v4, src4, zero)
        dst_lo = np.where(v4, dst4, zero)

    l4off = np.where(v4, l3off + ihl, np.where(v6, l3off + 40, -1))
    fragment = v4 & ((frag4 & 0x1FFF) != 0)
    if v6.any():
        proto, l4off, frag6 = _ipv6_ext(g, v6, proto, l4off)
        fragment = fragment | frag6
    return _transport(
        g,
        b,
        l3,
        l3off,
        vlan,
        proto,
        ttl,
        (src_hi, src_lo, dst_hi, dst_lo),
        ip_len,
        ip_end,
        l4off,
        fragment,
    )


def _ipv6_ext(g: _Gather, v6: Bool, proto: U8, l4off: I64) -> tuple[U8, I64, Bool]:
    """Skip up to four IPv6 extension headers; report non-first fragments."""
    frag = np.zeros(proto.shape[0], dtype=np.bool_)
    for _ in range(4):
        ext = v6 & np.isin(proto, _IPV6_EXT) & g.fits(l4off, 8)
        if not ext.any():
            break
        nxt = g.u8(l4off)
        hlen = (g.u8(l4off + 1).astype(np.int64) + 1) * 8
        hlen = np.where(proto == 51, (g.u8(l4off + 1).astype(np.int64) + 2) * 4, hlen)
        is_frag = ext & (proto == 44)
        hlen = np.where(is_frag, 8, hlen)
        frag |= is_frag & ((g.u16(l4off + 2) & 0xFFF8) != 0)
        proto = np.where(ext, nxt, proto).astype(np.uint8)
        l4off = np.where(ext, l4off + hlen, l4off)
    return proto, l4off, frag


def _transport(
    g: _Gather,
    b: RawBatch,
    l3: U8,
    l3off: I64,
    vlan: npt.NDArray[np.int32],
    proto: U8,
    ttl: U8,
    addrs: tuple[U64, U64, U64, U64],
    ip_len: I64,
    ip_end: I64,
    l4off: I64,
    fragment: Bool,
) -> Decoded:
    ip = (l3 == L3_IPV4) | (l3 == L3_IPV6)
    first_frag = ip & ~fragment
    tcp = first_frag & (proto == TCP) & g.fits(l4off, 20) & (l4off + 20 <= ip_end)
    ported = first_frag & np.isin(proto, (UDP, SCTP)) & g.fits(l4off, 8) & (l4off + 8 <= ip_end)
    icmp = first_frag & np.isin(proto, (ICMP, ICMP6)) & g.fits(l4off, 4)
    has_l4 = tcp | ported | icmp
    p16a = g.u16(l4off)
    p16b = g.u16(l4off + 2)
    sport = np.where(tcp | ported, p16a, np.where(icmp, g.u8(l4off), 0)).astype(np.uint16)
    dport = np.where(tcp | ported, p16b, np.where(icmp, g.u8(l4off + 1), 0)).astype(np.uint16)
    doff = (g.u8(l4off + 12) >> 4).astype(np.int64) * 4
    tcp = tcp & (doff >= 20)
    flags_raw = ((g.u8(l4off + 12).astype(np.uint16) & 1) << 8) | g.u8(l4off + 13)
    flags = np.where(tcp, flags_raw, 0).astype(np.uint16)
    hdr = np.where(tcp, doff, np.where(proto == SCTP, 12, 8))
    pl_off = np.where(has_l4, l4off + hdr, ip_end)
    pl_off = np.minimum(pl_off, ip_end)
    pl_len = np.maximum(ip_end - pl_off, 0)
    pl_wire = np.where(has_l4, np.maximum(l3off + ip_len - (l4off + hdr), 0), 0)
    return Decoded(
        batch=b,
        l3=l3,
        l3off=l3off,
        l4off=l4off,
        vlan=vlan,
        proto=np.where(ip, proto, 0).astype(np.uint8),
        ttl=ttl,
        src_hi=addrs[0],
        src_lo=addrs[1],
        dst_hi=addrs[2],
        dst_lo=addrs[3],
        ip_len=np.where(ip, ip_len, b.wirelen),
        has_l4=has_l4,
        sport=sport,
        dport=dport,
        flags=flags,
        seq=np.where(tcp, g.u32(l4off + 4), 0).astype(np.uint32),
        ack=np.where(tcp, g.u32(l4off + 8), 0).astype(np.uint32),
        window=np.where(tcp, g.u16(l4off + 14), 0).astype(np.uint16),
        pl_off=pl_off,
        pl_len=pl_len,
        pl_wire=pl_wire,
        fragment=fragment,
    )
