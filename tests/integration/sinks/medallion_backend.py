"""medallion's memory backend, saved to its data file after every add (survives SIGKILL).

Loaded only by the medallion subprocess of ``medallion_server.Medallion`` (its config names
this module), never imported by the tests themselves.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from medallion.backends.memory_backend import MemoryBackend  # type: ignore[import-untyped]


class FileBackend(MemoryBackend):  # type: ignore[misc]
    """medallion's memory backend, saved to ``filename`` after every add."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._file = str(kwargs["filename"])
        self._lock = threading.Lock()

    def add_objects(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            status = super().add_objects(*args, **kwargs)
            tmp = self._file + ".tmp"
            self.save_data_to_file(tmp)
            os.replace(tmp, self._file)
            return status
