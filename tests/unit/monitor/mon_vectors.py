"""Where the shared reference captures live: ``../shared/data/vectors`` beside the repo.

``PHANTOMNET_SHARED_DIR`` overrides the ``shared`` folder (for git worktrees elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import unavailable

REPO = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    override = os.environ.get("PHANTOMNET_SHARED_DIR")
    return Path(override) if override else REPO / ".." / "shared"


def vectors(sub: str) -> Path:
    """The vectors folder ``sub``; skip locally / fail in CI when it is absent."""
    path = shared_dir() / "data" / "vectors" / sub
    if not path.is_dir():
        unavailable(f"reference captures not found at {path}")
    return path
