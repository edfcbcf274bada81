"""Pick the few packets a protocol parser needs (vectorised) and run the parsers on them.

Selection is done on the batch columns: DNS by port, HTTP by the first four payload bytes,
TLS and SSH at the start of a stream direction (then through :mod:`streams` until the
handshake is read), ARP by EtherType, ICMP errors by type, FTP/SMTP login failures by
reply code. Only those packets become Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from phantomnet.analyzers.http import PREFIXES
from phantomnet.monitor.addr import ip_bytes, ip_text
from phantomnet.monitor.community_id import community_id
from phantomnet.monitor.decode import ICMP, ICMP6, L3_ARP, TCP, UDP, Decoded
from phantomnet.monitor.flows import FlowTable, FlowUpdate

I64 = npt.NDArray[np.int64]
DNS_PORTS = (53, 5353, 5355)
TLS_HEAD = (0x16 << 8) | 0x03
SSH_HEAD = int.from_bytes(b"SSH-", "big")
HTTP_HEADS = np.array(sorted(int.from_bytes(p, "big") for p in PREFIXES), dtype=np.uint32)
LOGIN_FAIL = {
    int.from_bytes(b"530 ", "big"): "ftp",
    int.from_bytes(b"535 ", "big"): "smtp",
    int.from_bytes(b"530-", "big"): "ftp",
    int.from_bytes(b"535-", "big"): "smtp",
}
LOGIN_FAIL_HEADS = np.array(sorted(LOGIN_FAIL), dtype=np.uint32)

# Stream-inspection bits in FlowTable.insp: bit d = direction d handled, bit 2+d = open.
DONE = (1, 2)
OPEN = (4, 8)


@dataclass(slots=True)
class Meta:
    """Who/when of one selected packet."""

    number: int
    ts: float
    slot: int
    out: bool
    proto: int
    src: str
    sport: int
    dst: str
    dport: int
    flow_key: int
    _cid: str | None = None
    _tuple: tuple[bytes, bytes] | None = None

    @property
    def community_id(self) -> str:
        if self._cid is None and self._tuple is not None:
            self._cid = community_id(
                self.proto, self._tuple[0], self._tuple[1], self.sport, self.dport
            )
        return self._cid or ""


@dataclass(slots=True)
class Selected:
    """Indices (into the batch) of packets for each parser."""

    dns: I64
    http: I64
    stream: I64
    arp: I64
    icmp_err: I64
    login_fail: I64
    quic: I64


def _head32(dec: Decoded, pos: I64, ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint32]:
    d = dec.batch.data
    last = d.shape[0] - 1
    p = np.clip(pos, 0, max(last - 3, 0))
    word = (
        (d[p].astype(np.uint32) << 24)
        | (d[p + 1].astype(np.uint32) << 16)
        | (d[p + 2].astype(np.uint32) << 8)
        | d[p + 3].astype(np.uint32)
    )
    return np.where(ok, word, 0).astype(np.uint32)


def select(dec: Decoded, upd: FlowUpdate, table: FlowTable) -> Selected:
    """Vectorised choice of packets to parse."""
    payload = dec.has_l4 & (dec.pl_len > 0)
    tcp = payload & (dec.proto == TCP) & (upd.slot >= 0)
    udp = payload & (dec.proto == UDP)
    head = _head32(dec, dec.pl_off, payload & (dec.pl_len >= 4))
    dns_port = np.isin(dec.sport, DNS_PORTS) | np.isin(dec.dport, DNS_PORTS)
    dns53 = (dec.sport == 53) | (dec.dport == 53)
    dns = (udp & dns_port) | (payload & (dec.proto == TCP) & dns53)  # TCP: port 53 only
    http = tcp & np.isin(head, HTTP_HEADS) & ~dns_port
    d = np.where(upd.out, 0, 1)
    insp = table.insp[np.maximum(upd.slot, 0)]
    done = (insp >> d) & 1
    opened = (insp >> (d + 2)) & 1
    starter = ((head >> 16) == TLS_HEAD) & ((head >> 8 & 0xFF) <= 4) | (head == SSH_HEAD)
    starts = tcp & (done == 0) & starter
    stream = tcp & ((opened == 1) | starts | _after_start(upd.slot * 2 + d, starts, tcp))
    icmp_err = dec.has_l4 & (
        ((dec.proto == ICMP) & (dec.sport == 3)) | ((dec.proto == ICMP6) & (dec.sport == 1))
    )
    login = tcp & np.isin(head, LOGIN_FAIL_HEADS)
    long_header = ((head >> 24) & 0xC0) == 0xC0
    quic = udp & upd.out & (upd.slot >= 0) & long_header & ~dns_port & (dec.pl_len >= 1200)
    quic &= (table.insp[np.maximum(upd.slot, 0)] & DONE[0]) == 0
    return Selected(
        dns=np.flatnonzero(dns),
        http=np.flatnonzero(http),
        stream=np.flatnonzero(stream),
        arp=np.flatnonzero(dec.l3 == L3_ARP),
        icmp_err=np.flatnonzero(icmp_err),
        login_fail=np.flatnonzero(login),
        quic=np.flatnonzero(quic),
    )


def _after_start(
    sd: I64, starts: npt.NDArray[np.bool_], tcp: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Packets of a stream direction that a starter packet earlier in this batch opened."""
    rows = np.flatnonzero(starts)
    if rows.size == 0:
        return starts
    keys, first = np.unique(sd[rows], return_index=True)
    pos = np.clip(np.searchsorted(keys, sd), 0, keys.size - 1)
    hit = tcp & (keys[pos] == sd)
    out: npt.NDArray[np.bool_] = hit & (np.arange(sd.shape[0]) > rows[first][pos])
    return out


def meta(dec: Decoded, upd: FlowUpdate, i: int) -> Meta:
    """Build the metadata object of packet ``i`` (only for selected packets)."""
    s_hi, s_lo = int(dec.src_hi[i]), int(dec.src_lo[i])
    d_hi, d_lo = int(dec.dst_hi[i]), int(dec.dst_lo[i])
    return Meta(
        number=int(dec.batch.number[i]),
        ts=float(dec.batch.ts[i]),
        slot=int(upd.slot[i]),
        out=bool(upd.out[i]),
        proto=int(dec.proto[i]),
        src=ip_text(s_hi, s_lo),
        sport=int(dec.sport[i]),
        dst=ip_text(d_hi, d_lo),
        dport=int(dec.dport[i]),
        flow_key=int(upd.keys.key[i]),
        _tuple=(ip_bytes(s_hi, s_lo), ip_bytes(d_hi, d_lo)),
    )


def payload_of(dec: Decoded, i: int) -> bytes:
    start = int(dec.pl_off[i])
    out: Any = dec.batch.data[start : start + int(dec.pl_len[i])].tobytes()
    return bytes(out)
