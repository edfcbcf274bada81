"""SQL implementation of :class:`phantomnet.response.store.BlockStore` over table ``block``.

Works on SQLite and PostgreSQL. Each call opens a session from ``sessions`` and commits before
returning, so the CLI, the API and the runtime can share one database safely.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from phantomnet.errors import NotFound
from phantomnet.events import Event
from phantomnet.response.store import BlockRecord, NewBlock
from phantomnet.settings import Settings
from phantomnet.storage.tables import Block

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_record(row: Block) -> BlockRecord:
    created = _aware(row.created_at)
    expires = _aware(row.expires_at)
    assert created is not None and expires is not None
    return BlockRecord(
        id=row.id,
        target=row.target,
        source=row.source,
        reason=row.reason,
        created_at=created,
        expires_at=expires,
        active=row.active,
        offence=row.offence,
        backend=row.backend or "",
        applied=bool(row.applied),
        removed_at=_aware(row.removed_at),
        removed_reason=row.removed_reason,
        created_by=row.created_by,
    )


def _from_mapping(row: Any) -> BlockRecord:
    values = dict(row)
    for key in ("created_at", "expires_at", "removed_at"):
        values[key] = _aware(values[key])
    values["backend"] = values["backend"] or ""
    values["applied"] = bool(values["applied"])
    return BlockRecord(**values)


class SqlBlockStore:
    """Block decisions in the ``block`` table."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> SqlBlockStore:
        return cls(async_sessionmaker(engine, expire_on_commit=False))

    async def get_active(self, target: str) -> BlockRecord | None:
        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(Block)
                    .where(Block.target == target, Block.active)
                    .order_by(Block.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return to_record(row) if row else None

    async def list_active(self) -> list[BlockRecord]:
        # plain rows, not ORM objects: the reconciler reads tens of thousands every pass
        table = Block.__table__
        async with self._sessions() as s:
            rows = (await s.execute(select(table).where(table.c.active))).mappings().all()
        return [_from_mapping(r) for r in rows]

    async def desired(self) -> list[tuple[str, datetime]]:
        query = select(Block.target, Block.expires_at).where(Block.active)
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        out = []
        for target, expires in rows:
            aware = _aware(expires)
            assert aware is not None
            out.append((target, aware))
        return out

    async def list_blocks(self, *, active: bool | None, limit: int) -> list[BlockRecord]:
        query = select(Block).order_by(Block.id.desc()).limit(limit)
        if active is not None:
            query = query.where(Block.active == active)
        async with self._sessions() as s:
            return [to_record(r) for r in (await s.execute(query)).scalars().all()]

    async def count_since(self, target: str, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(Block)
            .where(Block.target == target, Block.created_at >= since)
        )
        async with self._sessions() as s:
            return int((await s.execute(query)).scalar_one())

    async def insert(self, block: NewBlock) -> BlockRecord:
        row = Block(
            target=block.target,
            source=block.source,
            reason=block.reason,
            created_at=block.created_at,
            expires_at=block.expires_at,
            active=True,
            offence=block.offence,
            backend=block.backend,
            applied=block.applied,
            created_by=block.created_by,
        )
        async with self._sessions() as s:
            s.add(row)
            await s.commit()
            await s.refresh(row)
            return to_record(row)

    async def _change(self, block_id: int, **values: object) -> BlockRecord:
        async with self._sessions() as s:
            await s.execute(update(Block).where(Block.id == block_id).values(**values))
            await s.commit()
            row = await s.get(Block, block_id, populate_existing=True)
            if row is None:
                raise NotFound(f"no block with id {block_id}")
            return to_record(row)

    async def update(
        self, block_id: int, *, expires_at: datetime, reason: str, applied: bool
    ) -> BlockRecord:
        return await self._change(block_id, expires_at=expires_at, reason=reason, applied=applied)

    async def deactivate(self, block_id: int, *, at: datetime, reason: str) -> BlockRecord:
        return await self._change(block_id, active=False, removed_at=at, removed_reason=reason)

    async def mark_applied(self, not_held: Sequence[str], *, before: datetime) -> None:
        """Only rows whose flag changes are written (a pass over 60k blocks writes none)."""
        unheld = sorted(set(not_held))
        old = Block.active & (Block.created_at < before)
        async with self._sessions() as s:  # one transaction: readers see the final flags
            await s.execute(update(Block).where(old, ~Block.applied).values(applied=True))
            for start in range(0, len(unheld), 500):
                chunk = unheld[start : start + 500]
                await s.execute(
                    update(Block)
                    .where(old, Block.applied, Block.target.in_(chunk))
                    .values(applied=False)
                )
            await s.commit()

    async def due(self, now: datetime, limit: int) -> list[BlockRecord]:
        query = (
            select(Block)
            .where(Block.active, Block.expires_at <= now)
            .order_by(Block.expires_at)
            .limit(limit)
        )
        async with self._sessions() as s:
            return [to_record(r) for r in (await s.execute(query)).scalars().all()]


def make_engine(settings: Settings) -> AsyncEngine:
    """An engine for ``settings.database_url`` (see :mod:`phantomnet.storage.db`)."""
    from phantomnet.storage.db import make_engine as engine_for

    return engine_for(
        settings.database_url,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
    )


async def ensure_schema(engine: AsyncEngine, url: str) -> None:
    """Migrate ``url`` to the head revision so the CLI works on a fresh database too."""
    from phantomnet.storage.migrate import upgrade_async

    await upgrade_async(url)


def event_recorder(engine: AsyncEngine) -> Callable[[Event], Awaitable[None]]:
    """A ``publish`` that stores events like the writer does (the CLI has no bus consumer)."""
    from phantomnet.storage.ingest import apply_derived, insert_events

    async def publish(event: Event) -> None:
        async with engine.begin() as conn:
            if await insert_events(conn, [event]):
                await apply_derived(conn, [event])

    return publish
