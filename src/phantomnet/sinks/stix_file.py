"""The ``stix_file`` sink: one STIX 2.1 bundle per batch, one JSON line each, appended to a file.

The sink writes to ``path`` only: it is opened with ``O_APPEND | O_NOFOLLOW`` (a symlink put
there is refused, never followed), created ``0640`` if missing, and ``fsync``-ed after every
line (``fsync = false`` skips it). A line cut short by a crash is closed with a newline
before the next one, so every complete line stays one bundle. A retried batch may append the
same bundle again: the objects' ids are deterministic, consumers keep one per id and version.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event
from phantomnet.sinks import stix
from phantomnet.sinks.base import Sink, SinkConfig

FILE_MODE = 0o640


class StixFileConfig(stix.StixSinkConfig):
    #: the JSON-lines file (its directory must exist)
    path: Path
    fsync: bool = True

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise PydanticCustomError("path", "'{path}' is not absolute", {"path": str(value)})
        if not value.parent.is_dir():
            raise PydanticCustomError(
                "path", "directory {dir} does not exist", {"dir": str(value.parent)}
            )
        if value.is_symlink() or (value.exists() and not value.is_file()):
            raise PydanticCustomError("path", "{path} is not a regular file", {"path": str(value)})
        return value


def append_line(path: Path, line: bytes, *, sync: bool) -> None:
    """Append ``line`` (ending in a newline) to ``path``, never through a symlink."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # the last write was cut short: close that line first
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


class StixFileSink(Sink):
    name = "stix_file"
    Config = StixFileConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, StixFileConfig)
        self.cfg = config

    def target(self) -> str:
        return f"file://{self.cfg.path} (STIX 2.1 bundles, JSON lines)"

    async def send(self, events: Sequence[Event]) -> None:
        if not stix.objects(events):
            return
        line = (stix.bundle_json(events) + "\n").encode()
        await asyncio.to_thread(append_line, self.cfg.path, line, sync=self.cfg.fsync)
