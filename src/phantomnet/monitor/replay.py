"""Offline analysis: run a pcap/pcapng file through the full monitor pipeline.

:func:`events_from_pcap` is a stable public API (the scoring engine builds ML features
from its ``network.flow`` events).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from phantomnet.events import Event
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.pcapfile import read_batches
from phantomnet.monitor.pipeline import Pipeline


def events_from_pcap(
    path: str | Path, config: MonitorConfig | None = None, *, node: str = "pcap"
) -> Iterator[Event]:
    """Yield every event the monitor produces for the capture at ``path``.

    Events come in capture order per batch: ``network.flow`` (when a flow ends or at the
    end of the file), protocol events (``network.dns|http|tls|ssh|arp``), ``detection``,
    ``network.packet`` samples and ``network.stats``. Raises
    :class:`~phantomnet.errors.CaptureError` for a missing or corrupt file.
    """
    cfg = config or MonitorConfig()
    pipeline = Pipeline(cfg, node)
    for batch in read_batches(Path(path), cfg.batch_size):
        yield from pipeline.process(batch)
    yield from pipeline.finish()
