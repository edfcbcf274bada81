"""A minimal idempotent store (INSERT … ON CONFLICT DO NOTHING on event_id), SQLite or PostgreSQL.

Stands in for the storage writer in the kill-a-consumer test; both the victim process and the
test use it, so the database is the single judge of what was stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import asyncpg

from phantomnet.events import Event

DDL = "CREATE TABLE IF NOT EXISTS stored_event (event_id TEXT PRIMARY KEY, kind TEXT NOT NULL)"
INSERT_PG = "INSERT INTO stored_event VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING"
INSERT_LITE = "INSERT INTO stored_event VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING"


async def create(db: str) -> None:
    if db.startswith("postgresql://"):
        conn = await asyncpg.connect(db)
        try:
            await conn.execute(DDL)
        finally:
            await conn.close()
    else:
        with sqlite3.connect(db) as lite:
            lite.execute(DDL)


async def write(db: str, events: Sequence[Event]) -> None:
    """Store ``events`` in one committed transaction (duplicates ignored)."""
    rows = [(str(e.event_id), e.kind) for e in events]
    if db.startswith("postgresql://"):
        conn = await asyncpg.connect(db)
        try:
            async with conn.transaction():
                await conn.executemany(INSERT_PG, rows)
        finally:
            await conn.close()
    else:
        with sqlite3.connect(db) as lite:
            lite.executemany(INSERT_LITE, rows)


async def stored_ids(db: str) -> list[str]:
    """Every stored event id, one per row (duplicates would show up twice)."""
    if db.startswith("postgresql://"):
        conn = await asyncpg.connect(db)
        try:
            return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM stored_event")]
        finally:
            await conn.close()
    with sqlite3.connect(db) as lite:
        return [r[0] for r in lite.execute("SELECT event_id FROM stored_event")]
