"""Small TCP reassembly for the handshake parsers (TLS, SSH).

Only the first ``max_bytes`` of a stream direction are kept, and only for streams a parser
asked for. Segments are placed by sequence number relative to the first segment seen, so
reordering and retransmissions are handled; bytes beyond the first gap wait for it.
The number of open streams is bounded (oldest dropped first).
"""

from __future__ import annotations

from collections import OrderedDict


class Stream:
    __slots__ = ("base", "parts", "size")

    def __init__(self, seq: int) -> None:
        self.base = seq
        self.parts: dict[int, bytes] = {}
        self.size = 0

    def add(self, seq: int, data: bytes, limit: int) -> None:
        off = (seq - self.base) & 0xFFFFFFFF
        if off >= limit or (off in self.parts and len(self.parts[off]) >= len(data)):
            return
        self.parts[off] = data[: limit - off]

    def contiguous(self) -> bytes:
        out = bytearray()
        for off in sorted(self.parts):
            data = self.parts[off]
            if off > len(out):
                break
            if off + len(data) > len(out):
                out += data[len(out) - off :]
        return bytes(out)


class StreamBuffers:
    """Bounded map of (flow key, direction) -> :class:`Stream`."""

    def __init__(self, max_bytes: int = 32768, max_streams: int = 20000) -> None:
        self.max_bytes = max_bytes
        self.max_streams = max_streams
        self._streams: OrderedDict[tuple[int, int], Stream] = OrderedDict()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._streams)

    def add(self, key: tuple[int, int], seq: int, data: bytes) -> bytes:
        """Add a segment; return the contiguous prefix of the stream so far."""
        stream = self._streams.get(key)
        if stream is None:
            stream = Stream(seq)
            self._streams[key] = stream
            if len(self._streams) > self.max_streams:
                self._streams.popitem(last=False)
                self.dropped += 1
        stream.add(seq, data, self.max_bytes)
        return stream.contiguous()

    def close(self, key: tuple[int, int]) -> None:
        self._streams.pop(key, None)

    def full(self, data: bytes) -> bool:
        return len(data) >= self.max_bytes
