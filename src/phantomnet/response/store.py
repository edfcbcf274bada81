"""What the response layer needs from storage: the persistent desired state of blocks.

``response`` never imports ``storage`` (docs/architecture.md §7); storage implements this protocol
(``phantomnet.storage.blocks.SqlBlockStore``) and runtime, CLI and API hand it in. Active rows
are the desired state the reconciler enforces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class BlockRecord:
    """One block decision as stored."""

    id: int
    target: str
    source: str
    reason: str
    created_at: datetime
    expires_at: datetime
    active: bool
    offence: int
    backend: str
    applied: bool
    removed_at: datetime | None = None
    removed_reason: str | None = None
    created_by: str | None = None

    def item(self) -> dict[str, Any]:
        """The API's ``BlockItem`` (times as ISO-8601 UTC)."""
        return {
            "id": self.id,
            "target": self.target,
            "source": self.source,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "active": self.active,
            "offence": self.offence,
            "removed_at": self.removed_at.isoformat() if self.removed_at else None,
            "removed_reason": self.removed_reason,
            "applied": self.applied,
            "backend": self.backend,
        }


@dataclass(frozen=True)
class NewBlock:
    """A decision about to be recorded."""

    target: str
    source: str
    reason: str
    created_at: datetime
    expires_at: datetime
    offence: int
    backend: str
    applied: bool
    created_by: str | None = None


class BlockStore(Protocol):
    """Persistence of block decisions. Every method commits before returning."""

    async def get_active(self, target: str) -> BlockRecord | None:
        """The active block of exactly ``target``, if any."""
        ...

    async def list_active(self) -> list[BlockRecord]:
        """Every active block (the desired state), any expiry."""
        ...

    async def desired(self) -> list[tuple[str, datetime]]:
        """(target, expires_at) of every active block: the reconciler's cheap read."""
        ...

    async def list_blocks(self, *, active: bool | None, limit: int) -> list[BlockRecord]:
        """Newest first; ``active`` None lists all."""
        ...

    async def count_since(self, target: str, since: datetime) -> int:
        """How many blocks of ``target`` were created at or after ``since``."""
        ...

    async def insert(self, block: NewBlock) -> BlockRecord: ...

    async def update(
        self, block_id: int, *, expires_at: datetime, reason: str, applied: bool
    ) -> BlockRecord:
        """Change the expiry/reason/applied flag of an active block."""
        ...

    async def deactivate(self, block_id: int, *, at: datetime, reason: str) -> BlockRecord:
        """Mark a block removed (``reason``: manual, expired...)."""
        ...

    async def mark_applied(self, not_held: Sequence[str], *, before: datetime) -> None:
        """Set ``applied`` of every active block created before ``before`` from a verified
        firewall state: False for the targets in ``not_held``, True for all others."""
        ...

    async def due(self, now: datetime, limit: int) -> list[BlockRecord]:
        """Active blocks whose expiry is at or before ``now``."""
        ...
