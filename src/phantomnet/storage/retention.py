"""Retention: delete rows older than a cut-off, in bounded batches (a command and a job).

Each batch is its own short transaction (``DELETE … WHERE key IN (SELECT key … LIMIT n)``)
so a purge of millions of rows never holds long locks or a huge transaction, and the writer
keeps going meanwhile. Purged: ``event``, ``packet_logs``, ``traffic_stats``, ``score``,
``detection``, ``verification_result`` and *ended* ``attack_session`` rows. Never touched:
blocks (active or not: the response layer owns them), attackers, tokens, honeytokens,
sensor status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.errors import InvalidInput
from phantomnet.plugins import Component
from phantomnet.resilience import every
from phantomnet.storage.db import storage_errors
from phantomnet.storage.tables import (
    AttackSession,
    DetectionRow,
    EventRow,
    PacketLog,
    ScoreRow,
    TrafficStats,
    VerificationRow,
)

log = logging.getLogger(__name__)
#: A failed purge is retried with backoff up to this far apart (or ``interval_s`` if shorter).
RETRY_MAX_S = 60.0

#: table -> (age column, key column); a row goes when its age column is before the cut-off
#: (NULL never is: a session still open has no ``ended_at``).
RULES: dict[str, tuple[str, str]] = {
    "event": ("occurred_at", "id"),
    "packet_logs": ("timestamp", "id"),
    "traffic_stats": ("timestamp", "id"),
    "score": ("scored_at", "id"),
    "detection": ("last_seen_at", "id"),
    "verification_result": ("checked_at", "id"),
    "attack_session": ("ended_at", "session_id"),
}
_MODELS: tuple[Any, ...] = (
    EventRow, PacketLog, TrafficStats, ScoreRow, DetectionRow, VerificationRow, AttackSession,
)  # fmt: skip

Progress = Callable[[str, int], None]


def _tables() -> dict[str, Table]:
    return {m.__tablename__: m.__table__ for m in _MODELS}


async def purge_table(
    engine: AsyncEngine, table: Table, cutoff: datetime, batch_size: int, progress: Progress | None
) -> int:
    """Delete ``table`` rows older than ``cutoff`` in batches; return how many went."""
    age_name, key_name = RULES[table.name]
    age: Column[Any] = table.c[age_name]
    key: Column[Any] = table.c[key_name]
    doomed = select(key).where(age < cutoff).limit(batch_size).scalar_subquery()
    stmt = delete(table).where(key.in_(doomed))
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(stmt)).rowcount
        total += deleted
        if progress is not None and deleted:
            progress(table.name, deleted)
        if deleted < batch_size:
            return total


async def purge(
    engine: AsyncEngine,
    *,
    older_than: timedelta,
    batch_size: int = 10_000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Delete everything older than ``older_than`` from the purged tables (see module doc).

    Returns rows deleted per table. ``progress(table, n)`` is called after every batch.
    Raises :class:`StorageUnavailable` when the database fails (what was deleted stays so).
    """
    if older_than <= timedelta(0) or batch_size < 1:
        raise InvalidInput("retention: older_than must be positive and batch_size >= 1")
    cutoff = datetime.now(UTC) - older_than
    tables = _tables()
    with storage_errors(str(engine.url)):
        return {
            name: await purge_table(engine, tables[name], cutoff, batch_size, progress)
            for name in RULES
        }


class RetentionJob(Component):
    """Runs :func:`purge` every ``interval_s`` (``settings.retention``), first run at start.

    No exception ends ``run``: a failed purge (database down, or anything else) is counted
    in ``health`` and retried with backoff (at most ``interval_s`` apart) until it works.
    """

    name = "retention"

    def __init__(
        self, engine: AsyncEngine, *, days: int = 30, batch_size: int = 10_000,
        interval_s: float = 3600.0,
    ) -> None:  # fmt: skip
        self.engine, self.older_than = engine, timedelta(days=days)
        self.batch_size, self.interval_s = batch_size, interval_s
        self.last_run: datetime | None = None
        self.last_deleted: dict[str, int] = {}
        self.last_error: str | None = None

    async def run(self) -> None:
        await every(
            self.interval_s,
            self.run_once,
            health=self.health,
            what="retention purge",
            log=log,
            first_now=True,
            max_backoff_s=RETRY_MAX_S,
        )

    async def run_once(self) -> None:
        try:
            self.last_deleted = await purge(
                self.engine, older_than=self.older_than, batch_size=self.batch_size
            )
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            raise
        self.last_run, self.last_error = datetime.now(UTC), None

    def describe(self) -> dict[str, object]:
        return {
            "state": "degraded" if self.last_error else "up",
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "deleted": dict(self.last_deleted), "last_error": self.last_error,
        }  # fmt: skip
