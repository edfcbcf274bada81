"""The reference captures the monitor tests read: ``tests/data/vectors`` (see its SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "data" / "vectors"


def vectors(sub: str) -> Path:
    """The committed vectors folder ``sub`` (a missing one is a broken checkout: fail)."""
    path = VECTORS / sub
    assert path.is_dir(), (
        f"{path} is missing (committed test data, see tests/data/vectors/SOURCES.md)"
    )
    return path
