"""Append-only disk spool: where a sensor host keeps events while Redis is unreachable.

Layout in ``directory`` (created ``0700``):

* ``seg-000000000001.jsonl``, ``seg-…2.jsonl``: segments of one JSON event per line, written
  with ``O_APPEND`` and no user-space buffer, so a crashed process loses nothing it spooled;
* ``position``: ``"<segment number> <byte offset>"`` of the next line to replay, replaced
  atomically after every replayed chunk. A crash between sending a chunk and recording its
  position replays that chunk again: consumers are idempotent on ``event_id``.

Bounded: once segments take ``max_bytes`` on disk, :meth:`append` refuses new lines (the
caller counts them as dropped); what is already on disk is kept until it has been replayed.
Lines are replayed in the order they were appended, across process restarts. Fully replayed
segments are deleted. Not safe for two processes on one directory (one spool per sensor host).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_PREFIX = "seg-"
_SUFFIX = ".jsonl"
_POSITION = "position"


@dataclass(frozen=True)
class SpoolChunk:
    """Lines read from one segment; pass it to :meth:`DiskSpool.commit` once they are sent."""

    lines: list[bytes]
    segment: int
    end: int


class DiskSpool:
    """Ordered, bounded, crash-safe queue of byte lines on disk."""

    def __init__(
        self, directory: Path, *, max_bytes: int, segment_bytes: int = 4 * 1024 * 1024
    ) -> None:
        if max_bytes < 1 or segment_bytes < 1:
            raise ValueError("max_bytes and segment_bytes must be positive")
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = min(segment_bytes, max_bytes)
        self._sizes: dict[int, int] = {}
        self._read_seg = 0
        self._read_off = 0
        self._fd: int | None = None
        self._fd_seg = -1
        self._opened = False

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> None:
        """Create the directory, find existing segments and the replay position."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in self.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            number = path.name[len(_PREFIX) : -len(_SUFFIX)]
            if number.isdigit():
                self._sizes[int(number)] = path.stat().st_size
        self._read_seg, self._read_off = self._load_position()
        for seg in [s for s in self._sizes if s < self._read_seg]:
            self._remove(seg)
        if self._sizes:
            self._read_seg = max(self._read_seg, min(self._sizes))
            self._terminate_last_line()
        self._opened = True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd, self._fd_seg = None, -1
        self._opened = False

    # -- writing -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes the segments take on disk."""
        return sum(self._sizes.values())

    def append(self, lines: Sequence[bytes]) -> int:
        """Append ``lines`` (no newline inside) in order; return how many fitted.

        Lines that would take the spool over ``max_bytes`` are refused, with every line after
        them, so the spool never reorders events.
        """
        self._require_open()
        accepted = 0
        for line in lines:
            record = line + b"\n"
            if self.size + len(record) > self.max_bytes:
                break
            self._write(record)
            accepted += 1
        return accepted

    def _write(self, record: bytes) -> None:
        seg = max(self._sizes) if self._sizes else self._read_seg + 1
        size = self._sizes.get(seg, 0)
        if size > 0 and size + len(record) > self.segment_bytes:
            seg += 1
        if self._fd is None or self._fd_seg != seg:
            self._switch_to(seg)
        assert self._fd is not None
        os.write(self._fd, record)
        self._sizes[seg] += len(record)

    def _switch_to(self, seg: int) -> None:
        if self._fd is not None:
            os.close(self._fd)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        self._fd = os.open(self._path(seg), flags, 0o600)
        self._fd_seg = seg
        self._sizes.setdefault(seg, 0)

    # -- reading -----------------------------------------------------------------------------

    def pending(self) -> bool:
        """Whether some appended line has not been committed as replayed."""
        return any(
            size > (self._read_off if seg == self._read_seg else 0)
            for seg, size in self._sizes.items()
            if seg >= self._read_seg
        )

    def read(self, max_lines: int) -> SpoolChunk | None:
        """The next up to ``max_lines`` lines (from one segment), or None when all are read."""
        self._require_open()
        while self._sizes:
            later = [s for s in self._sizes if s >= self._read_seg]
            if not later:
                return None
            seg = min(later)
            if seg != self._read_seg:
                self._read_seg, self._read_off = seg, 0
            if self._read_off < self._sizes[seg]:
                return self._read_from(seg, max_lines)
            if seg == max(self._sizes):
                return None
            self._remove(seg)  # fully replayed and no longer written to
            self._read_seg, self._read_off = seg + 1, 0
        return None

    def _read_from(self, seg: int, max_lines: int) -> SpoolChunk:
        lines: list[bytes] = []
        end = self._read_off
        with self._path(seg).open("rb") as f:
            f.seek(self._read_off)
            while len(lines) < max_lines:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break  # end of segment (a torn last line was terminated at open)
                lines.append(line[:-1])
                end += len(line)
        return SpoolChunk(lines, seg, end)

    def commit(self, chunk: SpoolChunk) -> None:
        """Record that ``chunk`` was delivered; delete its segment once it is fully replayed."""
        self._read_seg, self._read_off = chunk.segment, chunk.end
        if chunk.end >= self._sizes.get(chunk.segment, 0):
            self._remove(chunk.segment)
            self._read_seg, self._read_off = chunk.segment + 1, 0
        self._save_position()

    # -- helpers -----------------------------------------------------------------------------

    def _path(self, seg: int) -> Path:
        return self.directory / f"{_PREFIX}{seg:012d}{_SUFFIX}"

    def _remove(self, seg: int) -> None:
        if self._fd is not None and seg == self._fd_seg:
            os.close(self._fd)
            self._fd, self._fd_seg = None, -1
        self._path(seg).unlink(missing_ok=True)
        self._sizes.pop(seg, None)

    def _load_position(self) -> tuple[int, int]:
        try:
            seg, off = (self.directory / _POSITION).read_text().split()
            return int(seg), int(off)
        except (OSError, ValueError):
            return (min(self._sizes) if self._sizes else 0), 0

    def _save_position(self) -> None:
        tmp = self.directory / (_POSITION + ".tmp")
        tmp.write_text(f"{self._read_seg} {self._read_off}\n")
        os.replace(tmp, self.directory / _POSITION)

    def _terminate_last_line(self) -> None:
        """A crash mid-write leaves a torn line: end it so it is replayed (and rejected) alone."""
        seg = max(self._sizes)
        if self._sizes[seg] == 0:
            return
        with self._path(seg).open("rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
        with self._path(seg).open("ab") as f:
            f.write(b"\n")
        self._sizes[seg] += 1

    def _require_open(self) -> None:
        if not self._opened:
            self.open()
