"""What every command shares: settings loading from flags, logging, one-line errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from phantomnet.settings import Settings, load_settings

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
