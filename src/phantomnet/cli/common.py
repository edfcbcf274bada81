"""What every command shares: settings loading from flags, logging, one-line errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from phantomnet.errors import StorageError, StorageUnavailable
from phantomnet.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

err = Console(stderr=True, soft_wrap=True)
out = Console()

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML settings file (then PHANTOMNET_* env overrides).",
        envvar="PHANTOMNET_CONFIG",
        dir_okay=False,
    ),
]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (sqlite:///FILE or postgresql://…).")
]
BusOpt = Annotated[str | None, typer.Option("--bus", help="Redis URL for the event bus.")]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Where PhantomNet keeps its files.")
]


def settings_from(
    config: Path | None,
    *,
    db: str | None = None,
    bus: str | None = None,
    data_dir: Path | None = None,
    **more: Any,
) -> Settings:
    """Settings from the file and env, with command-line flags winning."""
    overrides: dict[str, Any] = dict(more)
    if db:
        overrides["database"] = {"url": db}
    if bus:
        overrides["bus"] = {"backend": "redis", "url": bus}
    if data_dir:
        overrides["data_dir"] = data_dir
    return load_settings(config, **overrides)


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    for noisy in ("asyncssh", "uvicorn.access", "aiosqlite", "sqlalchemy.engine", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # aiosmtpd logs every line a client sends (INFO ">>") and bogus commands (WARNING), i.e.
    # attacker text on the console; the SMTP door records them as events instead.
    for echo in ("mail.log", "mail.debug"):
        logging.getLogger(echo).setLevel(max(logging.ERROR, logging.getLevelName(level)))
    from phantomnet.logfilter import install

    install()  # a repeated error is logged once, then counted every 10 s


def with_engine(config: Any, db: str | None, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on an engine of the configured database; storage errors in one line."""
    from sqlalchemy.exc import DBAPIError

    from phantomnet.storage.db import make_engine

    settings = settings_from(config, db=db)

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            return await work(engine)
        except (DBAPIError, OSError) as exc:
            raise storage_error(settings.database_url, exc) from exc
        finally:
            await engine.dispose()

    return asyncio.run(run())


def storage_error(url: str, exc: BaseException) -> StorageError:
    """One line for the user: tables missing (``migrate`` not run yet) or database down."""
    where = url.split("@")[-1]
    cause = getattr(exc, "orig", None) or exc
    text = f"{cause.__class__.__name__}: {cause}"
    sqlite_missing = "no such table" in text
    pg_missing = "UndefinedTable" in text or ('relation "' in text and "does not exist" in text)
    if sqlite_missing or pg_missing:
        return StorageError(f"database {where} has no PhantomNet tables: run `phantomnet migrate`")
    return StorageUnavailable(f"database {where} is unreachable: {text.splitlines()[0]}")
