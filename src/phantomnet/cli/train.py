"""``phantomnet train --data DIR [--out DIR]``: train and evaluate the scoring models.

``DIR`` holds ``manifest.json`` with labelled captures (pcaps, read through the monitor's
replay, or pre-extracted flow JSONL) and honeypot sessions (JSONL of events); see
``phantomnet.scoring.dataset``. Writes ``model.skops``, ``metadata.json``, ``report.md`` and
``report.json`` to ``--out`` and prints the SHA-256 to pin as ``scoring.model_sha256``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from phantomnet.events import Event

#: The monitor sheds single-packet flows beyond ``shed_min`` per target and batch under
#: floods (they only feed its sketches). For training every flow is kept, so the model learns
#: what flood flows look like; live, it sees the first ``shed_min`` of each burst.
TRAINING_SHED_MIN = 10**9


def monitor_reader(path: Path) -> Iterable[Event]:
    """Events of a pcap through the monitor's offline pipeline (no flood shedding)."""
    from phantomnet.monitor.config import FlowConfig, MonitorConfig
    from phantomnet.monitor.replay import events_from_pcap

    config = MonitorConfig(flows=FlowConfig(shed_min=TRAINING_SHED_MIN))
    return events_from_pcap(path, config)


def _pcap_reader() -> object:
    try:
        import phantomnet.monitor.replay  # noqa: F401
    except ImportError:
        return None
    return monitor_reader


def train_command(
    data: Annotated[
        Path,
        typer.Option("--data", help="Directory with manifest.json.", exists=True, file_okay=False),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model and report.")] = Path(
        "phantomnet-data/model"
    ),
    identity: Annotated[
        bool,
        typer.Option(
            "--include-identity", help="Also use raw ports (shortcut features; experiments only)."
        ),
    ] = False,
    version: Annotated[str | None, typer.Option("--version", help="Model version string.")] = None,
) -> None:
    """Train IsolationForest + RandomForest from labelled traffic and write the report."""
    from phantomnet.cli.common import out as console
    from phantomnet.scoring.train import train

    reader = _pcap_reader()
    report = train(
        data,
        out,
        pcap_reader=reader if callable(reader) else None,
        include_identity=identity,
        version=version,
    )
    for head, r in report["heads"].items():
        held = r.get("held_out")
        if held is None:
            console.print(f"{head}: {r.get('skipped')}")
            continue
        f1 = ", ".join(f"{c} {m['f1']:.2f}" for c, m in held["per_class"].items())
        fp = held["false_positives"]
        console.print(f"{head}: held-out F1 {f1}; benign alerts/10k {fp['alerts_per_10k']}")
    console.print(f"model    {out / 'model.skops'}")
    console.print(f"report   {out / 'report.md'}")
    console.print(f"sha256   {report['artifact_sha256']}")
    console.print(
        f'pin it:  [scoring] model_dir = "{out}"  model_sha256 = "{report["artifact_sha256"]}"',
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``train`` to the ``phantomnet`` command."""
    app.command("train")(train_command)
