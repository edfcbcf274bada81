"""Engine factory used when ``create_app`` is not handed an engine."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from phantomnet.settings import Settings


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine for ``settings.database_url`` (pool sizes only apply to PostgreSQL)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return create_async_engine(url, echo=settings.database.echo)
    return create_async_engine(
        url,
        echo=settings.database.echo,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
        pool_pre_ping=True,
        connect_args={"timeout": 5},
    )
