"""A columnar, bounded, bidirectional flow table updated once per batch.

Each flow is a slot in numpy columns; a dict maps the 64-bit flow key to its slot. A batch
is grouped by key (``np.unique``), aggregated with ``bincount``/``reduceat`` and written into
the slots with fancy indexing, so the Python work is one dict lookup per *flow per batch*,
not per packet. Timeouts and the TCP close linger are checked with vectorised scans.

Flood shedding: new flows that would be opened by a lone SYN or UDP packet towards a
target that already receives ``shed_min`` such new flows in the same batch are not
created; the flood detectors count them with sketches instead. A spoofed-source SYN flood
therefore cannot grow the table. When the table is full the oldest tenth is evicted
(reported with ``end_reason = "evicted"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phantomnet.monitor.config import FlowConfig
from phantomnet.monitor.decode import ICMP, ICMP6, TCP, UDP, Decoded
from phantomnet.monitor.flowkey import FlowKeys, flow_keys, mix

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# TCP flag bits in the order of the per-direction count columns.
FLAG_BITS = (0x02, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
SYN, FIN, RST, PSH, ACK, URG = 0, 1, 2, 3, 4, 5
# Attempt kinds (scan detection) and outcomes.
ATT_NONE, ATT_SYN, ATT_FIN, ATT_NULL, ATT_XMAS, ATT_UDP, ATT_ACK = -1, 0, 1, 2, 3, 4, 5
ATTEMPT_NAMES = ("syn", "fin", "null", "xmas", "udp", "ack")
PENDING, SUCCESS, FAILURE, NOT_ATTEMPT = 0, 1, 2, -1

_COLUMNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "key": ("u8", ()),
    "used": ("?", ()),
    "a_hi": ("u8", ()),
    "a_lo": ("u8", ()),
    "b_hi": ("u8", ()),
    "b_lo": ("u8", ()),
    "a_port": ("u2", ()),
    "b_port": ("u2", ()),
    "proto": ("u1", ()),
    "vlan": ("i4", ()),
    "orig_is_a": ("?", ()),
    "first_ts": ("f8", ()),
    "last_ts": ("f8", ()),
    "first_number": ("i8", ()),
    "first_flags": ("u2", ()),
    "pkts": ("i8", (2,)),
    "bytes": ("i8", (2,)),
    "payload": ("i8", (2,)),
    "flagcnt": ("i8", (2, 8)),
    "synack": ("i8", (2,)),
    "len_min": ("i8", ()),
    "len_max": ("i8", ()),
    "len_sum": ("f8", ()),
    "len_sq": ("f8", ()),
    "iat_sum": ("f8", ()),
    "iat_sq": ("f8", ()),
    "iat_max": ("f8", ()),
    "iat_n": ("i8", ()),
    "app": ("u1", ()),
    "attempt": ("i1", ()),
    "outcome": ("i1", ()),
    "closed_ts": ("f8", ()),
    "insp": ("u1", ()),
}


@dataclass(slots=True)
class FlowUpdate:
    """What one batch did to the table.

    ``slot``/``out`` are per packet (``slot`` -1 when the packet is not in a flow, e.g.
    ARP or a shed flood packet; ``out`` true when it travels originator -> responder).
    ``outcomes`` lists slots whose connection attempt resolved in this batch.
    """

    keys: FlowKeys
    slot: I64
    out: npt.NDArray[np.bool_]
    new_slots: I64
    touched: I64
    shed: npt.NDArray[np.bool_]
    outcomes: I64


EndHook = Callable[[I64, str], None]


class FlowTable:
    """Bounded flow table (see module docstring).

    ``on_end(slots, reason)`` is called before flows are forgotten (timeout, close linger,
    eviction, end of capture) so their events can be built from the columns.
    """

    key: npt.NDArray[np.uint64]
    used: npt.NDArray[np.bool_]
    a_hi: npt.NDArray[np.uint64]
    a_lo: npt.NDArray[np.uint64]
    b_hi: npt.NDArray[np.uint64]
    b_lo: npt.NDArray[np.uint64]
    a_port: npt.NDArray[np.uint16]
    b_port: npt.NDArray[np.uint16]
    proto: npt.NDArray[np.uint8]
    vlan: npt.NDArray[np.int32]
    orig_is_a: npt.NDArray[np.bool_]
    first_ts: F64
    last_ts: F64
    first_number: I64
    first_flags: npt.NDArray[np.uint16]
    pkts: I64
    bytes: I64
    payload: I64
    flagcnt: I64
    synack: I64
    len_min: I64
    len_max: I64
    len_sum: F64
    len_sq: F64
    iat_sum: F64
    iat_sq: F64
    iat_max: F64
    iat_n: I64
    app: npt.NDArray[np.uint8]
    attempt: npt.NDArray[np.int8]
    outcome: npt.NDArray[np.int8]
    closed_ts: F64
    insp: npt.NDArray[np.uint8]

    def __init__(self, config: FlowConfig, on_end: EndHook, capacity: int = 65536) -> None:
        self.config = config
        self.on_end = on_end
        self.capacity = 0
        self.index: dict[int, int] = {}
        self.free: list[int] = []
        self.evicted = 0
        self.shed_packets = 0
        self.next_check = 0.0
        self._grow(min(capacity, config.max_flows))

    # -- storage -----------------------------------------------------------------------
    def _grow(self, new_cap: int) -> None:
        old = self.capacity
        for name, (dtype, shape) in _COLUMNS.items():
            col = np.zeros((new_cap, *shape), dtype=dtype)
            if old:
                col[:old] = getattr(self, name)
            setattr(self, name, col)
        self.free.extend(range(new_cap - 1, old - 1, -1))
        self.capacity = new_cap

    def __len__(self) -> int:
        return len(self.index)

    def _allocate(self, count: int) -> I64:
        """Slots for ``count`` new flows (grow, or evict the oldest when at max_flows)."""
        while len(self.free) < count and self.capacity < self.config.max_flows:
            self._grow(min(self.capacity * 2, self.config.max_flows))
        if len(self.free) < count:
            self._evict(max(count - len(self.free), self.capacity // 10))
        count = min(count, len(self.free))
        taken = self.free[len(self.free) - count :]
        del self.free[len(self.free) - count :]
        return np.asarray(taken[::-1], dtype=np.int64)

    def _evict(self, count: int) -> None:
        used = np.flatnonzero(self.used)
        if used.size == 0:
            return
        count = min(count, int(used.size))
        oldest = used[np.argpartition(self.last_ts[used], count - 1)[:count]]
        self.evicted += count
        self.end(oldest.astype(np.int64), "evicted")

    def end(self, slots: I64, reason: str) -> None:
        """Report flows through ``on_end`` and forget them."""
        if slots.size == 0:
            return
        self.on_end(slots, reason)
        for k in self.key[slots].tolist():
            self.index.pop(k, None)
        self.used[slots] = False
        self.free.extend(slots.tolist())

    # -- per batch ---------------------------------------------------------------------
    def update(self, dec: Decoded) -> FlowUpdate:
        """Fold one decoded batch into the table."""
        keys = flow_keys(dec)
        n = len(dec)
        slot = np.full(n, -1, dtype=np.int64)
        out = np.zeros(n, dtype=np.bool_)
        shed = np.zeros(n, dtype=np.bool_)
        idx = np.flatnonzero(keys.ip)
        empty = np.zeros(0, dtype=np.int64)
        if idx.size == 0:
            return FlowUpdate(keys, slot, out, empty, empty, shed, empty)
        uniq, first, inv = np.unique(keys.key[idx], return_index=True, return_inverse=True)
        found = np.fromiter(
            (self.index.get(k, -1) for k in uniq.tolist()), dtype=np.int64, count=uniq.size
        )
        counts = np.bincount(inv, minlength=uniq.size)
        new = found < 0
        keep = self._admit(dec, keys, idx, first, counts, new)
        shed_groups = new & ~keep
        if shed_groups.any():
            shed[idx[shed_groups[inv]]] = True
            self.shed_packets += int(counts[shed_groups].sum())
        new_groups = np.flatnonzero(new & keep)
        if new_groups.size:
            got = self._allocate(int(new_groups.size))
            new_groups = new_groups[: got.size]
            found[new_groups] = got
            self._create(dec, keys, idx[first[new_groups]], got)
            self.index.update(zip(uniq[new_groups].tolist(), got.tolist(), strict=True))
        live = found >= 0
        pkt_live = live[inv]
        pidx = idx[pkt_live]
        ginv = inv[pkt_live]
        gslots = found[ginv]
        slot[pidx] = gslots
        out[pidx] = (~keys.swapped[pidx]) == self.orig_is_a[gslots]
        touched = found[live]
        self._aggregate(dec, pidx, ginv, out[pidx], found, new)
        outcomes = self._resolve(touched)
        new_slots = found[new_groups] if new_groups.size else empty
        return FlowUpdate(keys, slot, out, new_slots, touched, shed, outcomes)

    def _admit(
        self,
        dec: Decoded,
        keys: FlowKeys,
        idx: I64,
        first: I64,
        counts: I64,
        new: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.bool_]:
        """Which new groups get a slot (flood shedding, see module docstring)."""
        keep = np.ones(new.shape[0], dtype=np.bool_)
        p = idx[first]
        lone_syn = (dec.proto[p] == TCP) & ((dec.flags[p] & 0x17) == 0x02)
        lone_udp = dec.proto[p] == UDP
        cand = new & (counts == 1) & (lone_syn | lone_udp)
        if int(cand.sum()) < self.config.shed_min:
            return keep
        c = np.flatnonzero(cand)
        pc = p[c]
        with np.errstate(over="ignore"):
            target = mix(mix(dec.dst_hi[pc], dec.dst_lo[pc]), dec.dport[pc].astype(np.uint64))
        tu, tinv, tcount = np.unique(target, return_inverse=True, return_counts=True)
        del tu
        flood = tcount[tinv] >= self.config.shed_min
        keep[c[flood]] = False
        return keep

    def _create(self, dec: Decoded, keys: FlowKeys, p: I64, slots: I64) -> None:
        """Initialise new slots from the first packet of each new flow."""
        flags = dec.flags[p]
        proto = dec.proto[p]
        tcp = proto == TCP
        synack = tcp & ((flags & 0x12) == 0x12)
        self.key[slots] = keys.key[p]
        self.used[slots] = True
        for name in ("a_hi", "a_lo", "b_hi", "b_lo", "a_port", "b_port"):
            getattr(self, name)[slots] = getattr(keys, name)[p]
        self.proto[slots] = proto
        self.vlan[slots] = dec.vlan[p]
        self.orig_is_a[slots] = (~keys.swapped[p]) ^ synack
        ts = dec.batch.ts[p]
        self.first_ts[slots] = ts
        self.last_ts[slots] = ts
        self.first_number[slots] = dec.batch.number[p]
        self.first_flags[slots] = flags
        for name in (
            "pkts",
            "bytes",
            "payload",
            "flagcnt",
            "synack",
            "len_max",
            "len_sum",
            "len_sq",
            "iat_sum",
            "iat_sq",
            "iat_max",
            "iat_n",
            "app",
            "closed_ts",
            "insp",
        ):
            getattr(self, name)[slots] = 0
        self.len_min[slots] = 1 << 40
        low = flags & 0x3F
        att = np.full(p.shape[0], ATT_NONE, dtype=np.int8)
        att[tcp & (low == 0x02)] = ATT_SYN
        att[tcp & (low == 0x01)] = ATT_FIN
        att[tcp & (low == 0x00)] = ATT_NULL
        att[tcp & (low == 0x29)] = ATT_XMAS
        att[(proto == UDP) & dec.has_l4[p]] = ATT_UDP
        self.attempt[slots] = att
        self.outcome[slots] = np.where(att >= 0, PENDING, NOT_ATTEMPT)

    def _aggregate(
        self,
        dec: Decoded,
        pidx: I64,
        ginv: I64,
        out_p: npt.NDArray[np.bool_],
        found: I64,
        new: npt.NDArray[np.bool_],
    ) -> None:
        """Add one batch's packets to their slots (all vectorised)."""
        ng = int(found.shape[0])
        gd = ginv * 2 + (~out_p).astype(np.int64)
        m = ng * 2
        ln = dec.ip_len[pidx].astype(np.float64)
        flags = dec.flags[pidx]
        pk = np.bincount(gd, minlength=m).reshape(ng, 2)
        by = np.bincount(gd, weights=ln, minlength=m).reshape(ng, 2)
        pl = np.bincount(gd, weights=dec.pl_wire[pidx], minlength=m).reshape(ng, 2)
        fc = np.empty((ng, 2, 8), dtype=np.int64)
        for j, bit in enumerate(FLAG_BITS):
            fc[:, :, j] = np.bincount(gd, weights=(flags & bit) != 0, minlength=m).reshape(ng, 2)
        sa = np.bincount(gd, weights=(flags & 0x12) == 0x12, minlength=m).reshape(ng, 2)
        order = np.argsort(ginv, kind="stable")
        gs = ginv[order]
        cnt = np.bincount(ginv, minlength=ng)
        live = (cnt > 0) & (found >= 0)
        starts = np.cumsum(cnt) - cnt
        ne = cnt > 0
        ln_o = ln[order]
        ts_o = dec.batch.ts[pidx][order]
        lmin = np.zeros(ng)
        lmax = np.zeros(ng)
        lmin[ne] = np.minimum.reduceat(ln_o, starts[ne])
        lmax[ne] = np.maximum.reduceat(ln_o, starts[ne])
        gfirst = np.zeros(ng)
        glast = np.zeros(ng)
        gfirst[ne] = ts_o[starts[ne]]
        glast[ne] = ts_o[(starts + cnt - 1)[ne]]
        same = gs[1:] == gs[:-1]
        dts = np.where(same, np.diff(ts_o), 0.0)
        iat_sum = np.bincount(gs[1:], weights=dts, minlength=ng)
        iat_sq = np.bincount(gs[1:], weights=dts * dts, minlength=ng)
        iat_n = np.bincount(gs[1:], weights=same, minlength=ng)
        iat_max = np.zeros(ng)
        np.maximum.at(iat_max, gs[1:][same], dts[same])
        s = found[live]
        gap = np.where(new[live], 0.0, np.maximum(gfirst[live] - self.last_ts[s], 0.0))
        old = ~new[live]
        self.pkts[s] += pk[live]
        self.bytes[s] += by[live].astype(np.int64)
        self.payload[s] += pl[live].astype(np.int64)
        self.flagcnt[s] += fc[live]
        self.synack[s] += sa[live].astype(np.int64)
        self.len_min[s] = np.minimum(self.len_min[s], lmin[live].astype(np.int64))
        self.len_max[s] = np.maximum(self.len_max[s], lmax[live].astype(np.int64))
        self.len_sum[s] += np.bincount(ginv, weights=ln, minlength=ng)[live]
        self.len_sq[s] += np.bincount(ginv, weights=ln * ln, minlength=ng)[live]
        self.iat_sum[s] += iat_sum[live] + gap
        self.iat_sq[s] += iat_sq[live] + gap * gap
        self.iat_n[s] += iat_n[live].astype(np.int64) + old
        self.iat_max[s] = np.maximum(self.iat_max[s], np.maximum(iat_max[live], gap))
        self.last_ts[s] = np.maximum(self.last_ts[s], glast[live])

    def _resolve(self, touched: I64) -> I64:
        """Resolve connection attempts that got an answer; mark closed TCP flows."""
        tcp = touched[self.proto[touched] == TCP]
        if tcp.size:
            fc = self.flagcnt[tcp]
            closed = ((fc[:, 0, FIN] > 0) & (fc[:, 1, FIN] > 0)) | (fc[:, :, RST].sum(1) > 0)
            mark = tcp[closed & (self.closed_ts[tcp] == 0)]
            self.closed_ts[mark] = self.last_ts[mark]
        pend = touched[self.outcome[touched] == PENDING]
        if pend.size == 0:
            nothing: I64 = pend.astype(np.int64)
            return nothing
        att = self.attempt[pend]
        result = np.zeros(pend.shape[0], dtype=np.int8)
        syn = att == ATT_SYN
        answered = self.synack[pend, 1] > 0
        reset = self.flagcnt[pend, 1, RST] > 0
        result[syn & answered] = SUCCESS
        result[syn & ~answered & reset] = FAILURE
        result[(att == ATT_FIN) | (att == ATT_NULL) | (att == ATT_XMAS)] = FAILURE
        result[(att == ATT_UDP) & (self.pkts[pend, 1] > 0)] = SUCCESS
        done = result != PENDING
        self.outcome[pend[done]] = result[done]
        resolved: I64 = pend[done]
        return resolved

    def fail_attempt(self, slot: int) -> bool:
        """Mark a pending attempt failed (ICMP unreachable); true if it was pending."""
        if self.used[slot] and self.outcome[slot] == PENDING:
            self.outcome[slot] = FAILURE
            return True
        return False

    def timeout_attempts(self, now: float, force: bool = False) -> I64:
        """Pending attempts older than ``attempt_timeout_s`` (all when ``force``) fail."""
        used = np.flatnonzero(self.used & (self.outcome == PENDING))
        if not force:
            used = used[self.last_ts[used] + self.config.attempt_timeout_s < now]
        self.outcome[used] = FAILURE
        return used.astype(np.int64)

    def expire(self, now: float) -> None:
        """End idle, closed and over-long flows (reported through ``on_end``)."""
        c = self.config
        used = np.flatnonzero(self.used)
        if used.size == 0:
            return
        proto = self.proto[used]
        last = self.last_ts[used]
        idle = np.select(
            [proto == TCP, proto == UDP, (proto == ICMP) | (proto == ICMP6)],
            [c.tcp_idle_s, c.udp_idle_s, c.icmp_idle_s],
            c.other_idle_s,
        )
        closed = (proto == TCP) & (self.closed_ts[used] > 0)
        done_closed = closed & (last + c.tcp_closed_s < now)
        done_idle = ~closed & (last + idle < now)
        too_long = ~(done_closed | done_idle) & (now - self.first_ts[used] > c.active_s)
        self.end(used[done_closed], "closed")
        self.end(used[done_idle], "timeout")
        self.end(used[too_long], "active")

    def flush(self) -> None:
        """End every flow (end of capture)."""
        self.end(np.flatnonzero(self.used).astype(np.int64), "end")


def conn_state(t: FlowTable, slot: int) -> str:
    """Zeek-style ``conn_state`` of a TCP flow from its per-direction flag counts."""
    fc = t.flagcnt[slot]
    o_syn = fc[0, SYN] - t.synack[slot, 0] > 0
    r_synack = t.synack[slot, 1] > 0
    o_rst, r_rst = fc[0, RST] > 0, fc[1, RST] > 0
    o_fin, r_fin = fc[0, FIN] > 0, fc[1, FIN] > 0
    if not o_syn:
        if r_synack:
            return "RSTRH" if r_rst else ("SHR" if r_fin else "OTH")
        return "OTH"
    if not r_synack:
        if r_rst:
            return "REJ"
        if o_rst:
            return "RSTOS0"
        if o_fin:
            return "SH"
        return "S0" if t.pkts[slot, 1] == 0 else "OTH"
    if o_rst:
        return "RSTO"
    if r_rst:
        return "RSTR"
    if o_fin and r_fin:
        return "SF"
    if o_fin:
        return "S2"
    if r_fin:
        return "S3"
    return "S1"
