"""A batch of raw captured packets, as columns over one shared byte buffer.

Capture sources (pcap/pcapng files, AF_PACKET rings) hand the pipeline :class:`RawBatch`
objects: one ``numpy.uint8`` buffer plus per-packet columns (offset, captured length, wire
length, timestamp, link type, packet number). No Python object is built per packet; the
decoder works on the columns (docs/architecture.md §9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

#: Link types we decode (pcap LINKTYPE_* values).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


@dataclass(frozen=True, slots=True)
class RawBatch:
    """Packets sharing ``data``; packet ``i`` is ``data[off[i] : off[i] + caplen[i]]``.

    ``number`` is the 1-based packet number in the capture (evidence in detections).
    """

    data: U8
    off: I64
    caplen: I64
    wirelen: I64
    ts: F64
    linktype: I32
    number: I64

    def __len__(self) -> int:
        return int(self.off.shape[0])

    def slice(self, lo: int, hi: int) -> RawBatch:
        """Packets ``lo:hi`` (views, no copy)."""
        return RawBatch(
            self.data,
            self.off[lo:hi],
            self.caplen[lo:hi],
            self.wirelen[lo:hi],
            self.ts[lo:hi],
            self.linktype[lo:hi],
            self.number[lo:hi],
        )

    def packet(self, i: int) -> bytes:
        """Bytes of packet ``i`` (builds one object: for the few packets a parser needs)."""
        start = int(self.off[i])
        return self.data[start : start + int(self.caplen[i])].tobytes()


def make_batch(
    data: bytes | bytearray | memoryview | U8,
    off: list[int] | I64,
    caplen: list[int] | I64,
    wirelen: list[int] | I64,
    ts: list[float] | F64,
    linktype: list[int] | I32 | int,
    first_number: int,
) -> RawBatch:
    """Build a batch from lists or arrays (zero-copy over ``data`` when it is bytes)."""
    buf = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    offs = np.asarray(off, dtype=np.int64)
    n = offs.shape[0]
    if isinstance(linktype, int):
        links = np.full(n, linktype, dtype=np.int32)
    else:
        links = np.asarray(linktype, dtype=np.int32)
    return RawBatch(
        data=buf,
        off=offs,
        caplen=np.asarray(caplen, dtype=np.int64),
        wirelen=np.asarray(wirelen, dtype=np.int64),
        ts=np.asarray(ts, dtype=np.float64),
        linktype=links,
        number=np.arange(first_number, first_number + n, dtype=np.int64),
    )
