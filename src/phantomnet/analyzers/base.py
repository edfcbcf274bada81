"""Shared pieces of the parsers: a bounds-checked cursor and the anomaly result."""

from __future__ import annotations

from dataclasses import dataclass


class Short(Exception):
    """Internal: the input ended early. Parsers catch it and return an anomaly/None."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Malformed input (Zeek's "weird"): which parser, a short code, a detail."""

    parser: str
    code: str
    detail: str = ""


class Cursor:
    """Big-endian reads over ``data[pos:end]`` that raise :class:`Short` past the end."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else min(end, len(data))

    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise Short
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        if self.pos + 1 > self.end:
            raise Short
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self) -> int:
        pos = self.pos
        if pos + 2 > self.end:
            raise Short
        self.pos = pos + 2
        return (self.data[pos] << 8) | self.data[pos + 1]

    def u24(self) -> int:
        return int.from_bytes(self.take(3), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def sub(self, n: int) -> Cursor:
        """A cursor over the next ``n`` bytes (advances this one past them)."""
        if n < 0 or self.pos + n > self.end:
            raise Short
        inner = Cursor(self.data, self.pos, self.pos + n)
        self.pos += n
        return inner
