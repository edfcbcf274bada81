"""``up``, ``sensor`` and ``server``: the long-running roles of docs/architecture.md §3."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import typer

from phantomnet.cli import db, export, monitor, response, sinks, token, train, verify
from phantomnet.cli.common import (
    BusOpt,
    ConfigOpt,
    DataDirOpt,
    DbOpt,
    err,
    settings_from,
    setup_logging,
)
from phantomnet.errors import ConfigError
from phantomnet.runtime.build import Role, build
from phantomnet.runtime.datadir import secure_data_dir
from phantomnet.runtime.supervisor import supervise
from phantomnet.settings import Settings

#: Modules adding their own commands with ``register(app)``.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    db,
    token,
    response,
    train,
    monitor,
    sinks,
    verify,
    export,
)


def make_bus(settings: Settings) -> Any:
    """The configured bus; a sensor's Redis bus spools to disk while Redis is down."""
    from phantomnet.bus.factory import make_bus as factory

    return factory(
        settings.bus,
        node=settings.node,
        spool_dir=settings.data_dir / "spool",
        journal_dir=settings.data_dir / "journal",
    )


async def prepare_database(settings: Settings, *, migrate: bool) -> Any:
    """Engine for the server roles; ``up`` migrates, ``server`` insists on the head revision."""
    from phantomnet.storage import migrate as mig
    from phantomnet.storage.db import make_engine

    url = settings.database_url
    if migrate:
        await mig.upgrade_async(url)
    else:
        current, head = await mig.current_async(url), mig.head()
        if current != head:
            raise ConfigError(
                f"database is at revision {current or 'none'}, expected {head}: "
                "run `phantomnet migrate` first"
            )
    db = settings.database
    return make_engine(url, pool_size=db.pool_size, max_overflow=db.max_overflow, echo=db.echo)


async def _run(settings: Settings, role: Role) -> None:
    from phantomnet.runtime.parts import PARTS

    bus = make_bus(settings)
    await bus.start()
    engine = None
    try:
        if role in ("all", "server"):
            engine = await prepare_database(settings, migrate=role == "all")
        runtime = build(settings, bus, role=role, extra=PARTS, engine=engine)
        await supervise(runtime.components)
    finally:
        await bus.close()
        if engine is not None:
            await engine.dispose()


def _start(settings: Settings, role: Role) -> None:
    setup_logging(settings.log_level)
    secure_data_dir(settings.data_dir)
    err.print(f"PhantomNet {role}: node {settings.node}, data in {settings.data_dir.resolve()}")
    asyncio.run(_run(settings, role))
    err.print(f"PhantomNet {role}: stopped")


def register(app: typer.Typer) -> None:
    @app.command()
    def up(config: ConfigOpt = None, db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
        """Run everything in one process (sensors, monitor, writer, detectors, scoring, API)."""
        _start(settings_from(config, db=db, data_dir=data_dir), "all")

    @app.command()
    def sensor(config: ConfigOpt = None, bus: BusOpt = None, data_dir: DataDirOpt = None) -> None:
        """Run only the sensors (and the monitor), publishing to a Redis bus."""
        _start(settings_from(config, bus=bus, data_dir=data_dir), "sensor")

    @app.command()
    def server(
        config: ConfigOpt = None, bus: BusOpt = None, db: DbOpt = None, data_dir: DataDirOpt = None
    ) -> None:
        """Run the writer, detectors, scoring, response and API, consuming from the bus."""
        _start(settings_from(config, bus=bus, db=db, data_dir=data_dir), "server")
