"""Each path's health as the verifier last saw it (``GET /api/v1/verify/paths``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from phantomnet.verify.config import PathConfig

State = Literal["unknown", "ok", "failing"]


@dataclass
class PathHealth:
    name: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)
    state: State = "unknown"
    last_latency_ms: float | None = None
    last_error: str | None = None
    last_checked_at: datetime | None = None
    answered: int = 0
    failed: int = 0

    def observe(self, summary: dict[str, Any], at: datetime | None = None) -> None:
        """One verdict's ``per_path`` entry for this path (a cancelled one changes nothing)."""
        if summary.get("state") == "cancelled":
            return
        self.last_checked_at = at or datetime.now(UTC)
        self.last_latency_ms = summary.get("latency_ms")
        if summary.get("state") == "failed":
            self.state = "failing"
            self.failed += 1
            self.last_error = str(summary.get("reason") or "failed")[:300]
        else:
            self.state = "ok"
            self.answered += 1
            self.last_error = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "labels": dict(self.labels),
            "state": self.state,
            "last_latency_ms": self.last_latency_ms,
            "last_error": self.last_error,
            "last_checked_at": self.last_checked_at,
            "answered": self.answered,
            "failed": self.failed,
        }


def health_for(paths: tuple[PathConfig, ...]) -> dict[str, PathHealth]:
    return {p.name: PathHealth(p.name, p.kind, dict(p.labels)) for p in paths}
