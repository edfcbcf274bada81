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

        ``stop`` is asked after each batch and on every idle timeout of the ring. Once it
        answers true, the ring is still read until it is idle (the kernel retires a partly
        filled block after ``block_timeout_ms``, shorter than the idle timeout), so every
        packet captured before the stop is processed; at most ``ring_blocks`` more blocks,
        so a flood cannot hold a stop off. Kernel drops feed the sampler's ``network.stats``.
        """
        after_stop = 0
        idle_s = max(0.2, 2 * self.config.block_timeout_ms / 1000)  # longer than a block's life
        for batch in self.capture.batches(idle_timeout_s=idle_s):
            if batch is not None:
                events = self.pipeline.process(batch)
                stats = self.capture.read_stats()
                self.pipeline.sampler.dropped = stats.dropped
                self.packets, self.dropped = self.pipeline.packets, stats.dropped
                if events:
                    yield events
            if stop():
                if batch is None or after_stop >= self.config.ring_blocks:
                    return
                after_stop += 1

    def finish(self) -> list[Event]:
        """End the capture's flows: their events and the last statistics."""
        return self.pipeline.finish()

    def stats(self) -> CaptureStats:
        """The kernel's counters (received, dropped) so far."""
        return self.capture.read_stats()

    def close(self) -> None:
        self.capture.close()
