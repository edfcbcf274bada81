"""Live capture with an AF_PACKET TPACKET_V3 ring (Linux), yielding :class:`RawBatch`.

The kernel fills fixed-size blocks of packets in a shared mmap ring and hands a block over
when it is full or ``block_timeout_ms`` passed, so one wakeup delivers many packets. Each
block is copied once into a numpy buffer and given back at once; only the per-packet
header walk is Python. Kernel drops come from ``PACKET_STATISTICS`` (reset on read).
BPF filters run in the kernel (SO_ATTACH_FILTER).
"""

from __future__ import annotations

import mmap
import select
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from phantomnet.errors import CaptureError
from phantomnet.monitor.batch import RawBatch
from phantomnet.monitor.bpf import attach, compile_bpf

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
TPACKET_V3 = 2
PACKET_MR_PROMISC = 1
ETH_P_ALL = 0x0003
TP_STATUS_USER = 1
_HDR = struct.Struct("=IIIIIIHH")  # next, sec, nsec, snaplen, len, status, mac, net


@dataclass
class CaptureStats:
    received: int = 0
    dropped: int = 0


class AfPacketCapture:
    """A TPACKET_V3 ring on one interface; iterate :meth:`batches` from one thread."""

    def __init__(
        self,
        interface: str,
        *,
        bpf: str = "",
        snaplen: int = 65535,
        block_kib: int = 1024,
        blocks: int = 64,
        block_timeout_ms: int = 50,
        promiscuous: bool = True,
    ) -> None:
        self.interface = interface
        self.block_size = max(block_kib * 1024, 4096)
        self.blocks = blocks
        self.stats = CaptureStats()
        self.number = 1
        self.closed = False
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        except PermissionError as exc:
            raise CaptureError("live capture needs root (or CAP_NET_RAW)") from exc
        try:
            self._setup(bpf, snaplen, block_timeout_ms, promiscuous)
        except BaseException:
            self.sock.close()
            raise

    def _setup(self, bpf: str, snaplen: int, timeout_ms: int, promiscuous: bool) -> None:
        if bpf:
            attach(self.sock.fileno(), compile_bpf(bpf, 1, snaplen))
        self.sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frame = 2048
        req = struct.pack(
            "IIIIIII",
            self.block_size,
            self.blocks,
            frame,
            self.block_size * self.blocks // frame,
            timeout_ms,
            0,
            0,
        )
        self.sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
        try:
            self.sock.bind((self.interface, 0))
        except OSError as exc:
            raise CaptureError(f"cannot capture on {self.interface!r}: {exc.strerror}") from exc
        if promiscuous:
            index = socket.if_nametoindex(self.interface)
            mreq = struct.pack("iHH8s", index, PACKET_MR_PROMISC, 0, b"")
            self.sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        self.ring = mmap.mmap(
            self.sock.fileno(),
            self.block_size * self.blocks,
            mmap.MAP_SHARED,
            mmap.PROT_READ | mmap.PROT_WRITE,
        )
        self.poller = select.poll()
        self.poller.register(self.sock.fileno(), select.POLLIN | select.POLLERR)
        self.next_block = 0

    def read_stats(self) -> CaptureStats:
        """Add the kernel's counters since the last read (they reset on read)."""
        raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12)
        packets, drops, _freeze = struct.unpack("III", raw)
        self.stats.received += packets
        self.stats.dropped += drops
        return self.stats

    def batches(self, idle_timeout_s: float = 0.2) -> Iterator[RawBatch | None]:
        """Yield one batch per filled block; ``None`` when idle (lets callers check a stop flag)."""
        while not self.closed:
            base = self.next_block * self.block_size
            status = struct.unpack_from("I", self.ring, base + 8)[0]
            if not status & TP_STATUS_USER:
                if not self.poller.poll(int(idle_timeout_s * 1000)):
                    yield None
                continue
            batch = self._block(base)
            struct.pack_into("I", self.ring, base + 8, 0)  # give the block back
            self.next_block = (self.next_block + 1) % self.blocks
            if batch is not None:
                yield batch

    def _block(self, base: int) -> RawBatch | None:
        num, first, blk_len = struct.unpack_from("III", self.ring, base + 12)
        if num == 0:
            return None
        raw = self.ring[base : base + blk_len]  # one copy; the block goes back right after
        data = np.frombuffer(raw, dtype=np.uint8)
        off: list[int] = []
        cap: list[int] = []
        wire: list[int] = []
        ts: list[float] = []
        pos = first
        for _ in range(num):
            nxt, sec, nsec, snap, length, _st, mac, _net = _HDR.unpack_from(raw, pos)
            off.append(pos + mac)
            cap.append(snap)
            wire.append(length)
            ts.append(sec + nsec * 1e-9)
            if nxt == 0:
                break
            pos += nxt
        count = len(off)
        batch = RawBatch(
            data,
            np.asarray(off, np.int64),
            np.asarray(cap, np.int64),
            np.asarray(wire, np.int64),
            np.asarray(ts, np.float64),
            np.ones(count, np.int32),
            np.arange(self.number, self.number + count, dtype=np.int64),
        )
        self.number += count
        return batch

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.ring.close()
        self.sock.close()
