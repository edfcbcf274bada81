"""``phantomnet block IP``, ``unblock IP``, ``blocks``: operator control of active defense.

Each command records the decision in the database and applies it to the firewall at once,
whether or not a server is running (a running server's reconciler sees the same rows). The
backend is checked first, so a broken firewall is one clear line, not a half-applied block.
The decision's ``response.block`` / ``response.unblock`` event is stored in the event table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from phantomnet.cli.common import ConfigOpt, DbOpt, err, out, settings_from
from phantomnet.cli.safe import cell, escape
from phantomnet.response.config import format_duration
from phantomnet.response.factory import build_service
from phantomnet.response.service import ResponseService
from phantomnet.response.store import BlockRecord
from phantomnet.settings import Settings, parse_duration

T = TypeVar("T")

ForOpt = Annotated[
    str | None,
    typer.Option("--for", help="How long: 90s, 10m, 1h, 24h, 7d (default: the offence ladder)."),
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (stored and shown).")]
TargetArg = Annotated[str, typer.Argument(help="IPv4/IPv6 address or CIDR network.")]


async def _with_service(settings: Settings, work: Callable[[ResponseService], Awaitable[T]]) -> T:
    from phantomnet.storage.blocks import SqlBlockStore, ensure_schema, event_recorder, make_engine

    engine = make_engine(settings)
    try:
        await ensure_schema(engine, settings.database_url)
        service = build_service(settings, SqlBlockStore.from_engine(engine), event_recorder(engine))
        await service.blocker.check()
        return await work(service)
    finally:
        await engine.dispose()


async def _list(settings: Settings, active: bool | None, limit: int) -> list[BlockRecord]:
    """Read blocks from the database only: listing never touches the firewall."""
    from phantomnet.storage.blocks import SqlBlockStore, ensure_schema, make_engine

    engine = make_engine(settings)
    try:
        await ensure_schema(engine, settings.database_url)
        return await SqlBlockStore.from_engine(engine).list_blocks(active=active, limit=limit)
    finally:
        await engine.dispose()


def _left(record: BlockRecord) -> str:
    seconds = int((record.expires_at - datetime.now(UTC)).total_seconds())
    return format_duration(seconds) if record.active else "-"


def _describe(record: BlockRecord) -> str:
    state = "applied" if record.applied else "recorded only (dry-run)"
    if record.backend != "dry-run" and not record.applied:
        state = "recorded, NOT applied yet"
    return (
        f"{escape(record.target)} blocked until {record.expires_at:%Y-%m-%d %H:%M:%S}Z "
        f"({_left(record)} left, offence {record.offence}, {escape(record.backend)}: {state})"
    )


def block_cmd(
    target: TargetArg,
    duration: ForOpt = None,
    reason: ReasonOpt = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Block an address or network now (records the decision and applies it)."""
    seconds = parse_duration(duration) if duration else None
    settings = settings_from(config, db=db)
    record = asyncio.run(
        _with_service(
            settings,
            lambda s: s.block(
                target,
                source="manual",
                reason=reason or "manual block",
                duration_s=seconds,
                created_by="cli",
            ),
        )
    )
    out.print(_describe(record), highlight=False, markup=False)
    if record.backend != "dry-run" and not record.applied:
        err.print("warning: the firewall did not take the block; see the log", highlight=False)
        raise typer.Exit(1)


def unblock_cmd(target: TargetArg, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Lift the active block of exactly this address or network."""
    settings = settings_from(config, db=db)
    record = asyncio.run(_with_service(settings, lambda s: s.unblock(target, reason="manual")))
    out.print(
        f"{escape(record.target)} unblocked ({escape(record.backend)})",
        highlight=False,
        markup=False,
    )


def blocks_cmd(
    show_all: Annotated[bool, typer.Option("--all", help="Include lifted blocks.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 1000,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """List active blocks (with --all, past ones too), newest first."""
    settings = settings_from(config, db=db)
    records = asyncio.run(_list(settings, None if show_all else True, limit))
    if not records:
        out.print("no blocks" if show_all else "no active blocks")
        return
    table = Table("target", "source", "expires (UTC)", "left", "offence", "applied", "reason")
    for r in records:
        table.add_row(
            cell(r.target),
            cell(r.source),
            f"{r.expires_at:%Y-%m-%d %H:%M:%S}",
            _left(r),
            str(r.offence),
            "yes" if r.applied else "no",
            cell(escape(r.reason)[:80]),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add ``block``, ``unblock`` and ``blocks`` to the ``phantomnet`` command."""
    app.command("block")(block_cmd)
    app.command("unblock")(unblock_cmd)
    app.command("blocks")(blocks_cmd)


__all__ = ["register"]
