"""``migrate`` and ``retention``: database upkeep commands."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer

from phantomnet.cli.common import ConfigOpt, DataDirOpt, DbOpt, out, settings_from
from phantomnet.errors import StorageUnavailable
from phantomnet.settings import parse_duration


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
        mig.upgrade(url, revision)
        now = mig.current(url)
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

        age = timedelta(seconds=parse_duration(older_than))
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
