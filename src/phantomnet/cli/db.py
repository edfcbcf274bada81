"""``migrate`` and ``retention``: database upkeep commands."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Annotated

import typer

from phantomnet.cli.common import ConfigOpt, DataDirOpt, DbOpt, out, settings_from
from phantomnet.errors import InvalidInput, StorageUnavailable

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` → timedelta (InvalidInput otherwise)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"not a duration: {text!r} (use e.g. 30d, 12h, 90m)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _unreachable(url: str, exc: BaseException) -> StorageUnavailable:
    where = url.split("@")[-1]
    return StorageUnavailable(f"database {where} is unreachable: {exc.__class__.__name__}: {exc}")


def register(app: typer.Typer) -> None:
    @app.command()
    def migrate(
        config: ConfigOpt = None,
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
        revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    ) -> None:
        """Apply database migrations (SQLite under the data dir unless --db is given)."""
        from phantomnet.storage import migrate as mig

        settings = settings_from(config, db=db, data_dir=data_dir)
        url = settings.database_url
        try:
            mig.upgrade(url, revision)
            now = mig.current(url)
        except (OSError, ConnectionError) as exc:
            raise _unreachable(url, exc) from exc
        out.print(f"database at revision {now}")

    @app.command()
    def retention(
        older_than: Annotated[str, typer.Option("--older-than", help="e.g. 30d")] = "30d",
        config: ConfigOpt = None,
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """Delete events, packets and stats older than the given age, in batches."""
        from phantomnet.storage.db import make_engine
        from phantomnet.storage.retention import purge

        age = parse_duration(older_than)
        settings = settings_from(config, db=db, data_dir=data_dir)

        async def run() -> dict[str, int]:
            engine = make_engine(settings.database_url)
            try:
                return await purge(engine, older_than=age, batch_size=settings.retention.batch_size)
            finally:
                await engine.dispose()

        try:
            deleted = asyncio.run(run())
        except (OSError, ConnectionError) as exc:
            raise _unreachable(settings.database_url, exc) from exc
        for table, count in deleted.items():
            out.print(f"{table:24} {count:>10} rows deleted")
