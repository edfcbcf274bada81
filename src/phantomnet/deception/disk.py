"""One disk budget for everything attackers make the platform write.

Uploads (every door), large files written in the fake shell, session recordings and mail
share one :class:`DiskBudget` (``host.disk``, reached through the shared fake host). A
writer asks *before* writing (:meth:`DiskBudget.reserve`); what does not fit is refused,
so a flood of uploads can fill the budget but never the real disk.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Refusal = Literal["quota", "disk", "size"]

#: folders of the data directory the budget covers (uploads, session recordings, mail)
BUDGETED_DIRS = ("uploads", "recordings", "smtp")


class DiskBudget:
    """Bytes the platform may still write for attackers (not thread-safe: one loop)."""

    def __init__(self, limit: int, used: int = 0) -> None:
        self.limit = limit
        self.used = used
        self.refused = 0

    @classmethod
    def scan(cls, limit: int, *folders: Path) -> DiskBudget:
        """A budget with what ``folders`` already hold (at any depth) counted as used.

        Symbolic links are neither followed nor counted; an unreadable folder counts 0.
        """
        used = 0
        for folder in folders:
            for base, _dirs, names in os.walk(folder):
                for name in names:
                    try:
                        st = os.lstat(os.path.join(base, name))
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        used += st.st_size
        return cls(limit, used)

    @classmethod
    def at_start(cls, limit: int, data_dir: Path) -> DiskBudget:
        """The budget of ``data_dir`` with every budgeted folder's contents counted."""
        return cls.scan(limit, *(data_dir / d for d in BUDGETED_DIRS))

    def room(self) -> int:
        return max(0, self.limit - self.used)

    def reserve(self, size: int) -> bool:
        """Take ``size`` bytes if they fit (True) or refuse and count it (False)."""
        if self.used + size > self.limit:
            self.refused += 1
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        self.used = max(0, self.used - size)


@dataclass(frozen=True)
class UploadVerdict:
    """What :meth:`FakeHost.accept_upload` decided. ``refused`` is None when stored."""

    sha256: str
    size: int
    refused: Refusal | None = None

    @property
    def stored(self) -> bool:
        return self.refused is None
