"""Live capture: the one place an interface is opened and its packets run through the pipeline.

Both ``phantomnet monitor --interface IF`` (``cli/monitor.py``) and the runtime's monitor
component (``monitor/component.py``, started by ``phantomnet up`` / ``sensor``) use
:class:`LiveCapture`; neither opens a ring or drives a pipeline itself
(``tests/unit/monitor/test_mon_live_module.py`` checks it).

Usage::

    live = LiveCapture(config, node)      # opens the AF_PACKET ring now: CaptureError if it can't
    try:
        for events in live.events(stop):  # lists of events, batch by batch, until stop() is true
            ...
        final = live.finish()             # flows still open, the last stats
    finally:
        live.close()

Everything here blocks (ring reads, numpy decoding): the component runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from phantomnet.events import Event
from phantomnet.monitor.afpacket import AfPacketCapture, CaptureStats
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.pipeline import Pipeline


def _never() -> bool:
    return False


class LiveCapture:
    """The AF_PACKET ring on ``config.interface`` feeding one :class:`Pipeline`."""

    def __init__(self, config: MonitorConfig, node: str) -> None:
        self.config = config
        self.pipeline = Pipeline(config, node)  # first: packets queue in the ring meanwhile
        self.capture = AfPacketCapture(
            config.interface,
            bpf=config.bpf,
            snaplen=config.snaplen,
            block_kib=config.ring_block_kib,
            blocks=config.ring_blocks,
            block_timeout_ms=config.block_timeout_ms,
            promiscuous=config.promiscuous,
        )
        #: packets decoded and packets the kernel dropped, updated after every batch
        self.packets = 0
        self.dropped = 0

    def events(self, stop: Callable[[], bool] = _never) -> Iterator[list[Event]]:
        """The pipeline's events for each captured batch (empty lists are skipped).

        ``stop`` is asked before each batch (and on every idle timeout of the ring); the
        iteration ends when it answers true. Kernel drops feed the sampler's ``network.stats``.
        """
        for batch in self.capture.batches():
            if stop():
                return
            events = self.pipeline.process(batch) if batch is not None else []
            stats = self.capture.read_stats()
            self.pipeline.sampler.dropped = stats.dropped
            self.packets, self.dropped = self.pipeline.packets, stats.dropped
            if events:
                yield events

    def finish(self) -> list[Event]:
        """End the capture's flows: their events and the last statistics."""
        return self.pipeline.finish()

    def stats(self) -> CaptureStats:
        """The kernel's counters (received, dropped) so far."""
        return self.capture.read_stats()

    def close(self) -> None:
        self.capture.close()
