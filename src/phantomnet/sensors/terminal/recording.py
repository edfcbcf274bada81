"""asciicast v2 recordings (``asciinema play`` replays them), one file per session.

Written incrementally, capped in size and charged to the host's disk budget; the path
recorded in ``connection.closed.recording`` is relative to the data dir
(``recordings/<session_id>.cast``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO

from phantomnet.deception.disk import DiskBudget

MAX_RECORDING = 8 * 1024 * 1024


class Recorder:
    def __init__(
        self,
        data_dir: Path,
        session_id: str,
        width: int,
        height: int,
        term: str,
        budget: DiskBudget | None = None,
    ) -> None:
        #: the host's disk budget (shared with uploads): a recording stops when it is spent
        self.budget = budget
        self.relative = f"recordings/{session_id}.cast"
        path = data_dir / self.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[str] | None = path.open("w", encoding="utf-8")
        self.start = time.monotonic()
        self.size = 0
        header = {
            "version": 2,
            "width": max(1, width or 80),
            "height": max(1, height or 24),
            "timestamp": int(time.time()),
            "env": {"SHELL": "/bin/bash", "TERM": term or "xterm"},
        }
        self._line(json.dumps(header))

    def _line(self, text: str) -> None:
        if self.fh is None:
            return
        if self.size + len(text) > MAX_RECORDING or (
            self.budget is not None and not self.budget.reserve(len(text) + 1)
        ):
            self.close()
            return
        self.fh.write(text + "\n")
        self.fh.flush()
        self.size += len(text) + 1

    def event(self, code: str, data: bytes | str) -> None:
        """Append an ``o`` (output) or ``i`` (input) event."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if text:
            self._line(json.dumps([round(time.monotonic() - self.start, 6), code, text]))

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
