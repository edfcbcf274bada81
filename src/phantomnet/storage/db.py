"""Engines and sessions for SQLite (default) and PostgreSQL.

``make_engine`` accepts the async URLs produced by :func:`phantomnet.settings.async_url`
(plain ``postgresql://`` / ``sqlite:///`` URLs are mapped the same way). SQLite gets its
parent directory created and WAL + ``busy_timeout`` + ``synchronous=NORMAL`` on every
connection; PostgreSQL goes through asyncpg with the seed's pool (10 + 20 overflow),
pre-ping and a short connect timeout so an unreachable server fails fast and callers retry.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from phantomnet.errors import StorageError, StorageUnavailable
from phantomnet.settings import async_url

#: Milliseconds a SQLite connection waits for a lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Seconds asyncpg waits for a TCP connection / server answer when connecting.
PG_CONNECT_TIMEOUT_S = 5.0
#: Seconds a single statement may run before the driver gives up.
PG_COMMAND_TIMEOUT_S = 300.0

#: Failures that mean "the database is not usable right now" (down, missing, not migrated,
#: locked): callers retry later and never drop what they hold.
DB_ERRORS: tuple[type[BaseException], ...] = (
    StorageError,
    SQLAlchemyError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)


#: Failures that mean "this data cannot be stored" (a value that does not convert, a row the
#: database refuses): retrying the same rows can never succeed.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    ArithmeticError,
    TypeError,
    sa_exc.DataError,
    sa_exc.IntegrityError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)


def is_data_error(exc: BaseException) -> bool:
    """Whether ``exc`` is about the rows written, not the database's availability."""
    if isinstance(exc, DATA_ERRORS):
        return True
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        return isinstance(exc.orig, DATA_ERRORS)  # a bind parameter failed to convert
    cause = exc.__cause__
    return isinstance(exc, sa_exc.DBAPIError) and isinstance(cause, DATA_ERRORS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 20, echo: bool = False
) -> AsyncEngine:
    """Create an async engine for ``url`` (SQLite or PostgreSQL); nothing connects yet."""
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "timeout": PG_CONNECT_TIMEOUT_S,
            "command_timeout": PG_COMMAND_TIMEOUT_S,
            "server_settings": {"application_name": "phantomnet"},
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """An ``AsyncSession`` factory bound to ``engine`` (objects stay usable after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def describe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    return make_url(async_url(url)).render_as_string(hide_password=True)


@contextlib.contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn driver/SQLAlchemy failures into :class:`StorageUnavailable` (one clear line)."""
    try:
        yield
    except StorageError:
        raise
    except DB_ERRORS as exc:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        raise StorageUnavailable(f"database {describe_url(url)}: {detail}") from exc


async def ping(engine: AsyncEngine) -> bool:
    """Whether the database answers ``SELECT 1`` right now (never raises for a dead DB)."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except DB_ERRORS:
        return False
    return True
