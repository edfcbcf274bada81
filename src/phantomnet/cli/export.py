"""``phantomnet export``: stored events to a file, offline, in a SIEM's or a feed's format.

``--format jsonl`` writes each event's stored JSON as is; ``cef`` one ArcSight CEF record per
line (the syslog sink's formatter, without a syslog header); ``ecs`` one Elastic Common Schema
document per line (the ``ecs_file`` sink's mapping, ready for ``_bulk`` or Filebeat); ``stix``
one STIX 2.1 bundle (the ``taxii`` sink's objects; ids are deterministic, so re-exporting the
same events gives the same objects). Events come oldest first, read in keyset pages, so the
memory of ``jsonl``/``cef``/``ecs`` does not grow with the export. A STIX bundle is one JSON
document: it is built in memory and therefore capped at :data:`STIX_MAX_EVENTS` events.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from phantomnet.cli.common import ConfigOpt, DbOpt, err, with_engine
from phantomnet.errors import InvalidInput
from phantomnet.settings import parse_duration

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from phantomnet.events import Event

FORMATS = ("jsonl", "cef", "ecs", "stix")
PAGE = 1000
STIX_MAX_EVENTS = 100_000


def _line_formatter(fmt: str) -> Callable[[Event, str], str]:
    """``(event, stored_json) -> line`` for the line formats."""
    import json

    from phantomnet import __version__

    if fmt == "jsonl":
        return lambda _event, raw: raw
    if fmt == "cef":
        from phantomnet.sinks.formats import cef

        return lambda event, _raw: cef(event, version=__version__)
    from phantomnet.sinks.ecs import to_ecs

    return lambda event, _raw: json.dumps(to_ecs(event), separators=(",", ":"), ensure_ascii=False)


async def _export(
    engine: AsyncEngine,
    *,
    fmt: str,
    kinds: list[str],
    since: datetime,
    until: datetime | None,
    limit: int,
    sink: IO[str],
) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession

    from phantomnet.events import parse_event
    from phantomnet.storage.queries import EventFilter, EventKey, events_in_order

    where = EventFilter(kinds=kinds or None, since=since, until=until)
    after: EventKey | None = None
    written = 0
    held: list[Event] = []
    line = None if fmt == "stix" else _line_formatter(fmt)
    async with AsyncSession(engine) as session:
        while written < limit:
            rows = await events_in_order(
                session, where=where, after=after, limit=min(PAGE, limit - written)
            )
            if not rows:
                break
            for row in rows:
                raw = str(row["payload_json"])
                event = parse_event(raw)
                if line is None:
                    held.append(event)
                else:
                    sink.write(line(event, raw) + "\n")
                written += 1
            last = rows[-1]
            after = EventKey(id=int(last["id"]), occurred_at=last["occurred_at"])
    if line is None:
        from phantomnet.sinks.stix import bundle_json

        sink.write(bundle_json(held) + "\n")
    return written


@contextmanager
def _opened(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _check(fmt: str, kinds: Iterable[str]) -> None:
    from phantomnet.events.catalogue import kinds as all_kinds

    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format '{fmt}' (one of {', '.join(FORMATS)})")
    known = all_kinds()
    for kind in kinds:
        if kind not in known:
            raise InvalidInput(f"unknown event kind '{kind}'")


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, cef, ecs or stix.")],
        since: Annotated[str, typer.Option(help="How far back, e.g. 24h, 7d.")] = "24h",
        kind: Annotated[
            list[str] | None, typer.Option("--kind", "-k", help="Only this kind (repeatable).")
        ] = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="File to write (default stdout).", dir_okay=False),
        ] = None,
        limit: Annotated[int, typer.Option(help="At most this many events.", min=1)] = 1_000_000,
        config: ConfigOpt = None,
        db: DbOpt = None,
    ) -> None:
        """Export stored events (oldest first) as JSON lines, CEF, ECS or one STIX bundle."""
        kinds = list(kind or [])
        _check(fmt, kinds)
        start = datetime.now(UTC) - timedelta(seconds=parse_duration(since))
        if fmt == "stix" and limit > STIX_MAX_EVENTS:
            err.print(f"stix: one bundle holds at most {STIX_MAX_EVENTS} events", highlight=False)
            limit = STIX_MAX_EVENTS

        async def work(engine: AsyncEngine) -> int:
            with _opened(output) as sink:
                return await _export(
                    engine, fmt=fmt, kinds=kinds, since=start, until=None, limit=limit, sink=sink
                )

        count = with_engine(config, db, work)
        err.print(f"exported {count} event(s) as {fmt}", highlight=False)
