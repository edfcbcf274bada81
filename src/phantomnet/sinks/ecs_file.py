"""The ``ecs_file`` sink: ECS NDJSON (one document a line) in a rotating file.

It writes only ``path`` and its rotations ``path.1`` (newest) .. ``path.<backups>``; the
file is opened with ``O_NOFOLLOW`` (a symlink planted at ``path`` is refused, not followed).
A line that would take the file past ``max_bytes`` first rotates it (a single line longer
than ``max_bytes`` gets a file of its own); ``backups = 0`` keeps no old file. Each batch is
``fsync``ed (and the directory after a rotation) before it counts as delivered. A write that
fails is cut off again (the file is truncated to what was synced), so a retry neither
duplicates nor tears a line; lines already synced into a rotated file are not written twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event
from phantomnet.sinks.base import Sink, SinkConfig
from phantomnet.sinks.ecs import to_ecs


class EcsFileConfig(SinkConfig):
    path: Path
    max_bytes: int = Field(default=100 * 1024 * 1024, ge=1, le=1 << 40)
    backups: int = Field(default=5, ge=0, le=1000)

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path) -> Path:
        if value.name in ("", ".", "..") or value.is_dir():
            raise PydanticCustomError("path", "{path} is a directory", {"path": str(value)})
        return value


def line(event: Event) -> bytes:
    return json.dumps(to_ecs(event), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EcsFileSink(Sink):
    name = "ecs_file"
    Config = EcsFileConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, EcsFileConfig)
        self.cfg = config
        self._fd: int | None = None
        self._size = 0
        #: ids synced in the batch being retried (a retry does not write them twice)
        self._done: set[str] = set()
        self.rotations = 0

    def target(self) -> str:
        return f"{self.cfg.path} (max_bytes={self.cfg.max_bytes}, backups={self.cfg.backups})"

    def files(self) -> list[Path]:
        """The file and its rotations, oldest first."""
        path = self.cfg.path
        old = [path.with_name(f"{path.name}.{n}") for n in range(self.cfg.backups, 0, -1)]
        return [p for p in [*old, path] if p.exists()]

    async def send(self, events: Sequence[Event]) -> None:
        await asyncio.to_thread(self._write, events)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _open(self) -> int:
        if self._fd is None:
            path = self.cfg.path
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            self._fd = os.open(path, flags, 0o640)
            self._size = os.fstat(self._fd).st_size
        return self._fd

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _rotate(self) -> None:
        self._close()
        path, keep = self.cfg.path, self.cfg.backups
        if keep == 0:
            path.unlink(missing_ok=True)
        else:
            for n in range(keep - 1, 0, -1):
                older = path.with_name(f"{path.name}.{n}")
                if older.exists():
                    os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
            os.replace(path, path.with_name(f"{path.name}.1"))
        _fsync_dir(path.parent)
        self.rotations += 1

    def _flush(self, chunk: list[bytes], ids: list[str]) -> None:
        """Append and sync ``chunk``; on failure cut the file back to its synced size."""
        if not chunk:
            return
        fd = self._open()
        start = self._size
        try:
            data = memoryview(b"".join(chunk))
            while data:
                written = os.write(fd, data)
                data = data[written:]
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, start)
            finally:
                self._close()
            raise
        self._size = start + sum(len(c) for c in chunk)
        self._done.update(ids)

    def _write(self, events: Sequence[Event]) -> None:
        self._done &= {str(e.event_id) for e in events}
        self._open()
        chunk: list[bytes] = []
        ids: list[str] = []
        pending = 0
        for event in events:
            key = str(event.event_id)
            if key in self._done:
                continue
            raw = line(event)
            if self._size + pending + len(raw) > self.cfg.max_bytes and self._size + pending:
                self._flush(chunk, ids)
                chunk, ids, pending = [], [], 0
                self._rotate()
                self._open()
            chunk.append(raw)
            ids.append(key)
            pending += len(raw)
        self._flush(chunk, ids)
        self._done.clear()
