"""Labelled training data: a manifest of captures and honeypot sessions, turned into matrices.

``DIR/manifest.json`` lists items; each is one bounded run of one tool with one label::

    {"items": [{"scenario": "nmap_syn", "label": "scan", "tool": "nmap", "run": 1,
                "split": "train", "capture": "captures/nmap_syn-r1.pcap",
                "flows": "flows/nmap_syn-r1.jsonl.gz", "sessions": "sessions/nmap_syn-r1.jsonl",
                "capture_sha256": "...", ...}]}

Flows come from ``flows`` (JSONL of ``network.flow`` events, optionally gzipped) when present,
else from ``capture`` through a pcap reader (the monitor's replay). Sessions come from
``sessions`` (JSONL of sensor events). ``split`` is the held-out-scenario assignment: whole
tools and runs are either in ``train`` or in ``test``, never both.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from phantomnet.errors import InvalidInput
from phantomnet.events import Event, NetworkFlow, parse_event
from phantomnet.scoring.features import FeatureExtractor, Head

PcapReader = Callable[[Path], Iterable[Event]]


@dataclass(frozen=True, slots=True)
class Item:
    scenario: str
    label: str
    tool: str
    run: int
    split: str
    capture: Path | None
    flows: Path | None
    sessions: Path | None

    @property
    def group(self) -> str:
        return f"{self.scenario}-r{self.run}"


@dataclass(slots=True)
class HeadData:
    """Rows of one head with their label, group (scenario run) and split."""

    rows: list[tuple[float, ...]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)

    def matrix(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.asarray(self.rows, dtype=np.float64)


def load_manifest(data_dir: Path) -> list[Item]:
    """Read ``manifest.json`` (raises InvalidInput with the reason when it is unusable)."""
    path = data_dir / "manifest.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        items = raw["items"]
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no manifest (see scripts/gen_training_data.py)") from exc
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a training manifest: {exc}") from exc

    def opt(entry: dict[str, Any], key: str) -> Path | None:
        value = entry.get(key)
        return data_dir / value if value else None

    try:
        return [
            Item(
                str(e["scenario"]),
                str(e["label"]),
                str(e.get("tool", e["scenario"])),
                int(e.get("run", 1)),
                str(e.get("split", "train")),
                opt(e, "capture"),
                opt(e, "flows"),
                opt(e, "sessions"),
            )
            for e in items
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{path}: malformed item: {exc}") from exc


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def read_jsonl(path: Path) -> Iterator[Event]:
    """Events of a JSONL file (one event per line; blank lines skipped)."""
    with _open_text(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield parse_event(line)
            except ValueError as exc:
                raise InvalidInput(f"{path}:{number}: not an event: {exc}") from exc


def item_flows(item: Item, pcap_reader: PcapReader | None) -> list[NetworkFlow]:
    """The item's flows, sorted by end time (the order the context window sees)."""
    if item.flows is not None and item.flows.exists():
        events: Iterable[Event] = read_jsonl(item.flows)
    elif item.capture is not None:
        if pcap_reader is None:
            raise InvalidInput(f"{item.group}: has only a pcap and no pcap reader is available")
        return _capture_flows(item.capture, pcap_reader)
    else:
        return []
    flows = [e for e in events if isinstance(e, NetworkFlow)]
    flows.sort(key=lambda f: f.ended_at)
    return flows


def _capture_flows(capture: Path, reader: PcapReader) -> list[NetworkFlow]:
    """Flows of a capture; a ``.gz`` capture is unpacked to a temporary file first."""
    if capture.suffix != ".gz":
        flows = [e for e in reader(capture) if isinstance(e, NetworkFlow)]
    else:
        with tempfile.TemporaryDirectory(prefix="pn-train-") as tmp:
            plain = Path(tmp) / capture.stem
            with gzip.open(capture, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            flows = [e for e in reader(plain) if isinstance(e, NetworkFlow)]
    flows.sort(key=lambda f: f.ended_at)
    return flows


def item_sessions(item: Item) -> list[Event]:
    if item.sessions is None or not item.sessions.exists():
        return []
    events = list(read_jsonl(item.sessions))
    events.sort(key=lambda e: e.occurred_at)
    return events


def build(
    items: list[Item],
    pcap_reader: PcapReader | None,
    *,
    context_window_s: float = 10.0,
    include_identity: bool = False,
    max_rows_per_item: int = 3000,
    seed: int = 0,
) -> dict[Head, HeadData]:
    """Extract every item with a fresh extractor; cap rows per item (seeded subsample)."""
    rng = np.random.default_rng(seed)
    data: dict[Head, HeadData] = {"flow": HeadData(), "session": HeadData()}
    for item in items:
        fx = FeatureExtractor(context_window_s=context_window_s, include_identity=include_identity)
        per_head: dict[Head, list[tuple[float, ...]]] = {"flow": [], "session": []}
        for event in [*item_flows(item, pcap_reader), *item_sessions(item)]:
            for subject in fx.observe(event):
                per_head[subject.head].append(subject.vector)
        for subject in fx.expire(float("inf")):
            per_head[subject.head].append(subject.vector)
        for head, rows in per_head.items():
            if len(rows) > max_rows_per_item:
                keep = sorted(rng.choice(len(rows), max_rows_per_item, replace=False))
                rows = [rows[i] for i in keep]
            d = data[head]
            d.rows += rows
            d.labels += [item.label] * len(rows)
            d.groups += [item.group] * len(rows)
            d.splits += [item.split] * len(rows)
            d.tools += [item.tool] * len(rows)
    return data
