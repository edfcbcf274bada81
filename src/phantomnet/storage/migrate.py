"""Apply, revert and inspect Alembic migrations from code (CLI, runtime, tests).

The functions are synchronous. Alembic's environment drives an async engine with
``asyncio.run``, which cannot nest in a running loop, so when one is running in this thread
the work moves to a short-lived worker thread (the caller waits; migrations run at start-up).
``*_async`` variants do the same without blocking the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from importlib import resources
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Connection

from phantomnet.errors import InvalidInput
from phantomnet.settings import async_url
from phantomnet.storage.db import make_engine, storage_errors

T = TypeVar("T")


def alembic_config(url: str) -> Config:
    """The packaged Alembic configuration, pointed at ``url`` (plain or async form)."""
    root = resources.files("phantomnet.storage")
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["url"] = async_url(url)
    return cfg


def _off_loop(url: str, fn: Callable[[], T]) -> T:
    with storage_errors(url):
        try:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return fn()
            with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="pn-migrate") as pool:
                return pool.submit(fn).result()
        except CommandError as exc:  # unknown revision and the like: the caller's mistake
            raise InvalidInput(f"migrate: {exc}") from exc


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (creates the SQLite file if needed).

    Raises :class:`StorageUnavailable` when the database cannot be reached or used."""
    _off_loop(url, lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` drops everything)."""
    _off_loop(url, lambda: command.downgrade(alembic_config(url), revision))


def current(url: str) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated."""
    return _off_loop(url, lambda: _current(url))


def _current(url: str) -> str | None:
    async def read() -> str | None:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_revision_of)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _revision_of(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    """The newest revision shipped in the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def upgrade_async(url: str, revision: str = "head") -> None:
    """:func:`upgrade` without blocking the running loop."""
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str, revision: str) -> None:
    """:func:`downgrade` without blocking the running loop."""
    await asyncio.to_thread(downgrade, url, revision)


async def current_async(url: str) -> str | None:
    """:func:`current` without blocking the running loop."""
    return await asyncio.to_thread(current, url)
