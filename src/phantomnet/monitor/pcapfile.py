"""Hand-written pcap and pcapng readers that yield :class:`RawBatch` columns.

Why not a library: libpcap bindings (python-libpcap, pcapy-ng) hand back one Python
``bytes`` per packet through a callback, dpkt's ``pcap.Reader`` builds a tuple per packet
(~160-430k packets/s measured), and scapy is 100x slower. Both formats are simple, so we
read the file in large chunks and only walk the record headers in Python (one
``struct.unpack_from`` per record); packet bytes stay in the chunk and every other field is
gathered with numpy. Measured in ``bench/monitor_bench.py``.

Corrupt input ends the read with :class:`CaptureError` (one line) at the first record that
cannot be framed; everything before it has already been yielded.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from phantomnet.errors import CaptureError
from phantomnet.monitor.batch import RawBatch, make_batch

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
#: Largest record we accept (anything bigger means a corrupt file).
MAX_RECORD = 1 << 20
CHUNK = 8 << 20


def read_batches(path: Path, batch_size: int = 32768) -> Iterator[RawBatch]:
    """Yield batches of at most ``batch_size`` packets from a pcap or pcapng file."""
    try:
        fh = path.open("rb")
    except FileNotFoundError as exc:
        raise CaptureError(f"capture file not found: {path}") from exc
    except OSError as exc:
        raise CaptureError(f"cannot open {path}: {exc.strerror}") from exc
    with fh:
        head = fh.read(4)
        if head in PCAP_MAGICS:
            yield from _read_pcap(fh, head, batch_size)
        elif head == PCAPNG_SHB:
            yield from PcapngReader(fh, batch_size).batches()
        else:
            raise CaptureError(f"{path}: not a pcap or pcapng file")


def _read_pcap(fh: BinaryIO, magic: bytes, batch_size: int) -> Iterator[RawBatch]:
    order, resolution = PCAP_MAGICS[magic]
    header = fh.read(20)
    if len(header) < 20:
        raise CaptureError("pcap: truncated file header")
    linktype = struct.unpack(order + "I", header[16:20])[0] & 0x0FFFFFFF
    incl_of = struct.Struct(order + "I").unpack_from
    rec = np.dtype(
        [
            ("sec", order + "u4"),
            ("frac", order + "u4"),
            ("incl", order + "u4"),
            ("orig", order + "u4"),
        ]
    )
    number = 1
    pending = b""
    while True:
        chunk = fh.read(CHUNK)
        buf = pending + chunk if pending else chunk
        n = len(buf)
        pos = 0
        starts: list[int] = []
        while pos + 16 <= n:
            incl = incl_of(buf, pos + 8)[0]
            if incl > MAX_RECORD:
                raise CaptureError(f"pcap: corrupt record at packet {number + len(starts)}")
            if pos + 16 + incl > n:
                break
            starts.append(pos)
            pos += 16 + incl
        yield from _emit_pcap(buf, starts, rec, resolution, linktype, number, batch_size)
        number += len(starts)
        pending = buf[pos:]
        if not chunk:
            # A partial last record (capture killed mid-write) is dropped, like tcpdump does.
            return


def _emit_pcap(
    buf: bytes,
    starts: list[int],
    rec: np.dtype[np.void],
    resolution: float,
    linktype: int,
    number: int,
    batch_size: int,
) -> Iterator[RawBatch]:
    if not starts:
        return
    data = np.frombuffer(buf, dtype=np.uint8)
    pos = np.asarray(starts, dtype=np.int64)
    heads = data[pos[:, None] + np.arange(16)].view(rec).ravel()
    ts = heads["sec"].astype(np.float64) + heads["frac"].astype(np.float64) * resolution
    incl = heads["incl"].astype(np.int64)
    orig = heads["orig"].astype(np.int64)
    for lo in range(0, len(starts), batch_size):
        hi = lo + batch_size
        yield RawBatch(
            data=data,
            off=pos[lo:hi] + 16,
            caplen=incl[lo:hi],
            wirelen=orig[lo:hi],
            ts=ts[lo:hi],
            linktype=np.full(min(hi, len(starts)) - lo, linktype, dtype=np.int32),
            number=np.arange(number + lo, number + min(hi, len(starts)), dtype=np.int64),
        )


class PcapngReader:
    """Block walker for pcapng (SHB, IDB, EPB, SPB, obsolete PB; other blocks skipped)."""

    def __init__(self, fh: BinaryIO, batch_size: int) -> None:
        self.fh = fh
        self.batch_size = batch_size
        self.order = "<"
        self.ifaces: list[tuple[int, float, int]] = []  # (linktype, resolution, snaplen)
        self.number = 1

    def batches(self) -> Iterator[RawBatch]:
        data = PCAPNG_SHB + self.fh.read()
        pos = 0
        n = len(data)
        off: list[int] = []
        cap: list[int] = []
        wire: list[int] = []
        ts: list[float] = []
        link: list[int] = []
        while pos + 12 <= n:
            btype, blen = self._block_head(data, pos)
            if blen < 12 or blen % 4 or pos + blen > n:
                if off:
                    break
                raise CaptureError(f"pcapng: corrupt block at byte {pos}")
            pkt = self._block(data, pos, btype, blen)
            if pkt is not None:
                off.append(pkt[0])
                cap.append(pkt[1])
                wire.append(pkt[2])
                ts.append(pkt[3])
                link.append(pkt[4])
                if len(off) >= self.batch_size:
                    yield self._flush(data, off, cap, wire, ts, link)
                    off, cap, wire, ts, link = [], [], [], [], []
            pos += blen
        if off:
            yield self._flush(data, off, cap, wire, ts, link)

    def _flush(
        self,
        data: bytes,
        off: list[int],
        cap: list[int],
        wire: list[int],
        ts: list[float],
        link: list[int],
    ) -> RawBatch:
        batch = make_batch(data, off, cap, wire, ts, link, self.number)
        self.number += len(off)
        return batch

    def _block_head(self, data: bytes, pos: int) -> tuple[int, int]:
        if data[pos : pos + 4] == PCAPNG_SHB:
            bom = data[pos + 8 : pos + 12]
            self.order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            self.ifaces = []
        btype, blen = struct.unpack_from(self.order + "II", data, pos)
        return int(btype), int(blen)

    def _block(
        self, data: bytes, pos: int, btype: int, blen: int
    ) -> tuple[int, int, int, float, int] | None:
        order = self.order
        if btype == 1:  # Interface Description Block
            self._idb(data, pos, blen)
            return None
        if btype == 6:  # Enhanced Packet Block
            iface, hi, lo, capl, orig = struct.unpack_from(order + "IIIII", data, pos + 8)
            return self._packet(pos + 28, capl, orig, iface, (hi << 32) | lo, blen - 32)
        if btype == 3:  # Simple Packet Block
            orig = struct.unpack_from(order + "I", data, pos + 8)[0]
            capl = min(orig, blen - 16)
            return self._packet(pos + 12, capl, orig, 0, None, blen - 16)
        if btype == 2:  # obsolete Packet Block
            iface, _drops, hi, lo, capl, orig = struct.unpack_from(order + "HHIIII", data, pos + 8)
            return self._packet(pos + 28, capl, orig, iface, (hi << 32) | lo, blen - 32)
        return None

    def _packet(
        self, start: int, capl: int, orig: int, iface: int, stamp: int | None, room: int
    ) -> tuple[int, int, int, float, int] | None:
        if iface >= len(self.ifaces) or capl > room or capl < 0:
            return None
        linktype, resolution, _snap = self.ifaces[iface]
        when = stamp * resolution if stamp is not None else 0.0
        return start, capl, orig, when, linktype

    def _idb(self, data: bytes, pos: int, blen: int) -> None:
        order = self.order
        linktype, _res, snaplen = struct.unpack_from(order + "HHI", data, pos + 8)
        resolution = 1e-6
        opt = pos + 16
        end = pos + blen - 4
        while opt + 4 <= end:
            code, olen = struct.unpack_from(order + "HH", data, opt)
            if code == 0:
                break
            if code == 9 and olen >= 1:  # if_tsresol
                value = data[opt + 4]
                resolution = 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0**-value
            opt += 4 + ((olen + 3) & ~3)
        self.ifaces.append((int(linktype), resolution, int(snaplen)))
