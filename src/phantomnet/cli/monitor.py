"""``phantomnet monitor``: passive monitoring of an interface (live) or a capture file."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer

from phantomnet.cli.common import ConfigOpt, settings_from
from phantomnet.cli.safe import json_line
from phantomnet.errors import CaptureError, InvalidInput
from phantomnet.events import Event, dump_event

PUBLISH_CHUNK = 1000


def register(app: typer.Typer) -> None:
    """Add the ``monitor`` command to the ``phantomnet`` CLI."""
    app.command("monitor")(monitor)


def monitor(
    interface: Annotated[
        str | None, typer.Option("--interface", "-i", help="Capture live on IF (root).")
    ] = None,
    pcap: Annotated[
        Path | None, typer.Option("--pcap", "-r", help="Read a pcap/pcapng file.", dir_okay=False)
    ] = None,
    bpf: Annotated[
        str, typer.Option("--bpf", help="Kernel BPF filter (tcpdump syntax), live only.")
    ] = "",
    jsonl: Annotated[
        str | None,
        typer.Option("--jsonl", help="Write JSON lines to FILE ('-' = stdout) instead of the bus."),
    ] = None,
    all_events: Annotated[
        bool, typer.Option("--all", help="With --jsonl: every event, not only detections.")
    ] = False,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop a live capture after SECONDS.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Decode traffic, build flows, fingerprint TLS/SSH and detect attacks."""
    from phantomnet.monitor.config import load_monitor_config, with_doors
    from phantomnet.runtime.build import door_ports, request_doors

    if (interface is None) == (pcap is None):
        raise InvalidInput("give exactly one of --interface IF or --pcap FILE")
    if bpf and pcap is not None:
        raise InvalidInput("--bpf applies to live capture (--interface) only")
    settings = settings_from(config)
    section = dict(settings.monitor)
    if interface is not None:
        section.update(interface=interface, bpf=bpf or section.get("bpf", ""))
    # Live onto the bus, the HTTP doors' requests are judged from their events (one request,
    # one detection); a pcap or --jsonl has no door events, so the wire rules judge them all.
    own = request_doors(settings) if interface is not None and jsonl is None else ()
    cfg = with_doors(load_monitor_config(section), door_ports(settings), own)
    if pcap is not None:
        from phantomnet.monitor.replay import events_from_pcap

        events: Iterator[Event] = events_from_pcap(pcap, cfg, node=settings.node)
    else:
        events = _live(cfg, settings.node, duration)
    if jsonl is not None:
        _write_jsonl(events, jsonl, all_events)
    else:
        asyncio.run(_publish(settings, events))


def _live(cfg: object, node: str, duration: float | None) -> Iterator[Event]:
    from phantomnet.monitor.config import MonitorConfig
    from phantomnet.monitor.live import LiveCapture

    assert isinstance(cfg, MonitorConfig)
    deadline = time.monotonic() + duration if duration else None
    interrupted = threading.Event()

    def on_interrupt(signum: int, frame: object) -> None:
        interrupted.set()  # the loop ends at the next batch or idle tick, then flushes
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once

    def stop() -> bool:
        return interrupted.is_set() or (deadline is not None and time.monotonic() >= deadline)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    live: LiveCapture | None = None
    try:
        live = LiveCapture(cfg, node)
        for events in live.events(stop):
            yield from events
    except KeyboardInterrupt:  # the second Ctrl-C
        pass
    finally:
        signal.signal(signal.SIGINT, previous)
        if live is not None:
            stats = live.stats()
            live.close()
            sys.stderr.write(
                f"capture: {stats.received} packets, {stats.dropped} dropped by the kernel\n"
            )
    if live is not None:
        yield from live.finish()


def _write_jsonl(events: Iterable[Event], target: str, all_events: bool) -> None:
    out: TextIO = sys.stdout if target == "-" else _open(target)
    try:
        for event in events:
            if all_events or event.kind == "detection":
                out.write(json_line(dump_event(event).decode()) + "\n")
                if event.kind == "detection":
                    out.flush()  # live: detections reach a pipe (jq, a SIEM shipper) at once
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()


def _open(target: str) -> TextIO:
    try:
        return Path(target).open("w", encoding="utf-8")
    except OSError as exc:
        raise CaptureError(f"cannot write {target}: {exc.strerror}") from exc


async def _publish(settings: object, events: Iterable[Event]) -> None:
    from phantomnet.cli.run import make_bus

    bus = make_bus(settings)  # type: ignore[arg-type]
    await bus.start()
    try:
        chunk: list[Event] = []
        for event in events:
            chunk.append(event)
            if len(chunk) >= PUBLISH_CHUNK:
                await bus.publish_many(chunk)
                chunk = []
        if chunk:
            await bus.publish_many(chunk)
    finally:
        await bus.close()
