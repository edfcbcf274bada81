"""``network.packet`` samples and ``network.stats`` windows (the seed's packet_logs and
traffic_stats) without flooding storage.

Every ``packet_sample_every``-th packet is sampled (at most ``max_packets_per_window`` per
stats window). Packets from a source named by a recent detection are "suspicious": counted
as malicious in the stats and kept (up to ``max_suspicious_per_detection`` per flagged source
per window) with ``attack_type`` set to the rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from phantomnet.events import Detection, Endpoint, Event, NetworkPacket, NetworkStats, SensorRef
from phantomnet.monitor.addr import ip_parts, ip_text
from phantomnet.monitor.config import SamplingConfig
from phantomnet.monitor.decode import TCP, Decoded
from phantomnet.monitor.flowevents import TRANSPORTS
from phantomnet.monitor.flowkey import mix

FLAG_TTL_S = 300.0


class Sampler:
    def __init__(self, config: SamplingConfig, sensor: SensorRef) -> None:
        self.cfg = config
        self.sensor = sensor
        self.flagged: dict[int, tuple[str, float]] = {}  # src key -> (rule, until)
        self.window_start: float | None = None
        self.total = self.malicious = self.bytes = self.sampled = 0
        self.kept: dict[int, int] = {}
        self.dropped: int | None = None

    def flag(self, det: Detection) -> None:
        if det.src is None:
            return
        hi, lo = ip_parts(det.src.ip)
        key = int(mix(np.array([hi], np.uint64), np.array([lo], np.uint64))[0])
        self.flagged[key] = (det.rule, det.last_seen.timestamp() + FLAG_TTL_S)

    def batch(self, dec: Decoded) -> list[Event]:
        out: list[Event] = []
        ts = dec.batch.ts
        out.extend(self._roll(float(ts[0])))
        n = len(dec)
        self.total += n
        self.bytes += int(dec.batch.wirelen.sum())
        every = self.cfg.packet_sample_every
        pick = np.flatnonzero(dec.batch.number % every == 0)
        room = max(self.cfg.max_packets_per_window - self.sampled, 0)
        for i in pick[:room].tolist():
            out.append(self._packet(dec, i, None))
        self.sampled += min(len(pick), room)
        if self.flagged:
            out.extend(self._suspicious(dec))
        return out

    def _suspicious(self, dec: Decoded) -> list[Event]:
        now = float(dec.batch.ts[-1])
        self.flagged = {k: v for k, v in self.flagged.items() if v[1] >= now}
        keys = np.fromiter(self.flagged, dtype=np.uint64, count=len(self.flagged))
        with np.errstate(over="ignore"):
            src = mix(dec.src_hi, dec.src_lo)
        hit = np.isin(src, keys)
        self.malicious += int(hit.sum())
        out: list[Event] = []
        cap = self.cfg.max_suspicious_per_detection
        for i in np.flatnonzero(hit).tolist():
            k = int(src[i])
            if self.kept.get(k, 0) >= cap:
                continue
            self.kept[k] = self.kept.get(k, 0) + 1
            out.append(self._packet(dec, i, self.flagged[k][0]))
        return out

    def _packet(self, dec: Decoded, i: int, rule: str | None) -> NetworkPacket:
        proto = int(dec.proto[i])
        ported = proto in (6, 17, 132) and bool(dec.has_l4[i])
        ip = dec.l3[i] in (4, 6)
        src = (
            Endpoint(
                ip=ip_text(int(dec.src_hi[i]), int(dec.src_lo[i])),
                port=int(dec.sport[i]) if ported else None,
            )
            if ip
            else None
        )
        dst = (
            Endpoint(
                ip=ip_text(int(dec.dst_hi[i]), int(dec.dst_lo[i])),
                port=int(dec.dport[i]) if ported else None,
            )
            if ip
            else None
        )
        return NetworkPacket(
            sensor=self.sensor,
            occurred_at=datetime.fromtimestamp(float(dec.batch.ts[i]), UTC),
            src=src,
            dst=dst,
            transport=TRANSPORTS.get(proto, "arp" if dec.l3[i] == 1 else "other"),
            length=int(dec.batch.wirelen[i]),
            tcp_flags=int(dec.flags[i]) if proto == TCP else None,
            ttl=int(dec.ttl[i]) if ip else None,
            suspicious=rule is not None,
            attack_type=rule,
            packet_number=int(dec.batch.number[i]),
        )

    def _roll(self, now: float) -> list[Event]:
        width = self.cfg.stats_window_s
        if self.window_start is None:
            self.window_start = now - now % width
            return []
        if now < self.window_start + width:
            return []
        event = self.stats()
        self.window_start = now - now % width
        return [event] if event is not None else []

    def stats(self) -> NetworkStats | None:
        """Close the current window (None if it saw nothing)."""
        if self.window_start is None or self.total == 0:
            return None
        event = NetworkStats(
            sensor=self.sensor,
            occurred_at=datetime.fromtimestamp(self.window_start + self.cfg.stats_window_s, UTC),
            window_s=self.cfg.stats_window_s,
            total_packets=self.total,
            malicious_packets=self.malicious,
            total_bytes=self.bytes,
            dropped_packets=self.dropped,
        )
        self.total = self.malicious = self.bytes = self.sampled = 0
        self.kept.clear()
        return event
