"""The monitor's per-batch pipeline: decode, flows, parsers, detectors, events.

``Pipeline.process(batch)`` returns the events that batch produced (flows that ended,
protocol messages, detections, sampled packets, stats). It is synchronous and pure apart
from its own state, so replay, live capture and tests all drive it the same way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from phantomnet.detection.packet.registry import Detectors
from phantomnet.events import Detection, Event, SensorRef
from phantomnet.monitor.batch import RawBatch
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.decode import decode
from phantomnet.monitor.flowevents import flow_events
from phantomnet.monitor.flows import FlowTable
from phantomnet.monitor.protocols import ProtocolStage
from phantomnet.monitor.sampling import Sampler

I64 = npt.NDArray[np.int64]


class Pipeline:
    """Stateful packet pipeline for one capture (see module docstring)."""

    def __init__(self, config: MonitorConfig, node: str) -> None:
        self.config = config
        self.sensor = SensorRef(node=node, component="monitor")
        self.events: list[Event] = []
        self.table = FlowTable(config.flows, self._flows_ended)
        self.detectors = Detectors(config.detectors, node)
        self.protocols = ProtocolStage(config, self.sensor, self.detectors)
        self.sampler = Sampler(config.sampling, self.sensor)
        self.now = 0.0
        self.packets = 0
        self.bytes = 0
        self.detections = 0
        f = config.flows
        self.tick_s = min(1.0, f.tcp_closed_s, f.udp_idle_s, f.icmp_idle_s, f.attempt_timeout_s)

    def _flows_ended(self, slots: I64, reason: str) -> None:
        seed = self.config.flows.community_id_seed
        self.events.extend(flow_events(self.table, slots, self.sensor, reason, seed))

    def process(self, batch: RawBatch) -> list[Event]:
        """Run one batch through every stage; return the events it produced.

        The batch is cut where capture time crosses a housekeeping tick (one second), so
        timeouts apply inside long batches exactly as they would live.
        """
        n = len(batch)
        if n == 0:
            return self._take()
        mono = np.maximum.accumulate(batch.ts)
        bucket = np.floor(mono / self.tick_s)
        cuts = (np.flatnonzero(bucket[1:] != bucket[:-1]) + 1).tolist()
        for lo, hi in zip([0, *cuts], [*cuts, n], strict=True):
            self._tick(float(mono[lo]))
            self._run(batch.slice(lo, hi))
        return self._take()

    def _tick(self, now: float) -> None:
        if now < self.table.next_check:
            return
        self.now = max(self.now, now)
        self._outcomes(self.table.timeout_attempts(self.now))
        self.table.expire(self.now)
        self.table.next_check = self.now + self.tick_s

    def _run(self, batch: RawBatch) -> None:
        dec = decode(batch)
        upd = self.table.update(dec)
        self.packets += len(batch)
        self.bytes += int(batch.wirelen.sum())
        self.now = max(self.now, float(batch.ts.max()))
        for hook in self.detectors.on_batch:
            self._found(hook(dec))
        failed = self.protocols.run(dec, upd, self.table)
        self.events.extend(self.protocols.events)
        self.protocols.events = []
        self._found(self.protocols.detections)
        self.protocols.detections = []
        self._outcomes(np.concatenate([upd.outcomes, failed]).astype(np.int64))
        self.events.extend(self.sampler.batch(dec))

    def _outcomes(self, slots: I64) -> None:
        if slots.size:
            for hook in self.detectors.on_outcomes:
                self._found(hook(self.table, slots))

    def _found(self, detections: list[Detection]) -> None:
        for det in detections:
            self.sampler.flag(det)
        self.detections += len(detections)
        self.events.extend(detections)

    def finish(self) -> list[Event]:
        """End of capture: resolve pending attempts and report every open flow."""
        self._outcomes(self.table.timeout_attempts(self.now, force=True))
        self.table.flush()
        stats = self.sampler.stats()
        if stats is not None:
            self.events.append(stats)
        return self._take()

    def _take(self) -> list[Event]:
        events, self.events = self.events, []
        return events
