"""Shared engine of the flood detectors: count-min sketches ahead of any per-target state.

Over a sliding window (``window_s`` of capture time, the previous window weighted by
the part of it still inside) two count-min sketches count, per target, the
packets that look like the flood (e.g. lone SYNs) and the packets that do not (e.g. the
ACKs and data of real connections to the same port). Both are updated for the whole batch
with ``np.add.at``; only a target whose estimate crosses ``threshold`` costs any Python work.
Memory is fixed (depth x width counters) whatever the number of (spoofed) sources or targets.
Distinct sources of a flagged target are estimated with a HyperLogLog (2^12 registers).
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import FloodConfig
from phantomnet.events import Detection
from phantomnet.monitor.addr import ip_text
from phantomnet.monitor.decode import Decoded
from phantomnet.monitor.flowkey import mix

U64 = npt.NDArray[np.uint64]
Mask = npt.NDArray[np.bool_]
DEPTH, WIDTH_BITS = 4, 16
HLL_BITS = 12
_SEEDS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=np.uint64,
)


class CountMin:
    """Count-min sketch over 64-bit keys (vectorised add and query)."""

    def __init__(self) -> None:
        self.table = np.zeros((DEPTH, 1 << WIDTH_BITS), dtype=np.int64)

    def _cols(self, keys: U64) -> npt.NDArray[np.int64]:
        with np.errstate(over="ignore"):
            h = (keys[None, :] ^ _SEEDS[:, None]) * np.uint64(0xFF51AFD7ED558CCD)
            h ^= h >> np.uint64(33)
        out: npt.NDArray[np.int64] = (h & np.uint64((1 << WIDTH_BITS) - 1)).astype(np.int64)
        return out

    def add(self, keys: U64) -> None:
        if keys.size:
            cols = self._cols(keys)
            for d in range(DEPTH):
                np.add.at(self.table[d], cols[d], 1)

    def query(self, keys: U64) -> npt.NDArray[np.int64]:
        cols = self._cols(keys)
        est: npt.NDArray[np.int64] = self.table[np.arange(DEPTH)[:, None], cols].min(axis=0)
        return est

    def clear(self) -> None:
        self.table.fill(0)


class HyperLogLog:
    """Distinct-count estimate over 64-bit hashes (2^12 one-byte registers)."""

    def __init__(self) -> None:
        self.reg = np.zeros(1 << HLL_BITS, dtype=np.uint8)

    def add(self, hashes: U64) -> None:
        if hashes.size == 0:
            return
        idx = (hashes >> np.uint64(64 - HLL_BITS)).astype(np.int64)
        rest = (hashes << np.uint64(HLL_BITS)) | np.uint64(1 << (HLL_BITS - 1))
        rank = 64 - np.floor(np.log2(rest.astype(np.float64))).astype(np.int64)
        rank = np.clip(rank, 1, 64 - HLL_BITS + 1)
        np.maximum.at(self.reg, idx, rank.astype(np.uint8))

    def count(self) -> int:
        m = float(self.reg.size)
        est = 0.7213 / (1 + 1.079 / m) * m * m / float(np.sum(2.0 ** -self.reg.astype(float)))
        zeros = int(np.count_nonzero(self.reg == 0))
        if est <= 2.5 * m and zeros:
            est = m * math.log(m / zeros)
        return round(est)


@dataclass
class _Hot:
    first: float
    last: float = 0.0
    total: int = 0
    reported_at: float = -math.inf
    sources: HyperLogLog = field(default_factory=HyperLogLog)


@dataclass(frozen=True, slots=True)
class FloodSpec:
    """What a flood detector counts: ``attack`` and ``other`` masks and the target key."""

    rule: str
    protocol: str
    per_port: bool
    other_by_source: bool = False


class FloodDetector(abc.ABC):
    """Base of syn_flood / udp_flood / icmp_flood (subclasses define the masks)."""

    spec: FloodSpec

    def __init__(self, config: FloodConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.spec.rule, config.severity)
        self.attack = CountMin()
        self.other = CountMin()
        self.prev_attack = CountMin()
        self.prev_other = CountMin()
        self.window = -1
        self.weight = 0.0
        self.hot: Lru[int, _Hot] = Lru(config.max_targets)

    @abc.abstractmethod
    def masks(self, dec: Decoded) -> tuple[Mask, Mask]:
        """(flood-like packets to the target, other packets to the same target)."""

    def on_batch(self, dec: Decoded) -> list[Detection]:
        if not self.cfg.enabled or len(dec) == 0:
            return []
        attack, other = self.masks(dec)
        if not attack.any():
            return []
        target = self._key(dec.dst_hi, dec.dst_lo, dec.dport)
        okey = self._key(dec.src_hi, dec.src_lo, dec.sport) if self.spec.other_by_source else target
        win = np.floor(dec.batch.ts / self.cfg.window_s).astype(np.int64)
        found: list[Detection] = []
        for w in np.unique(win[attack | other]).tolist():
            in_w = win == w
            found.extend(self._window(dec, w, attack & in_w, okey[other & in_w], target))
        return found

    def _key(self, hi: U64, lo: U64, port: npt.NDArray[np.uint16]) -> U64:
        with np.errstate(over="ignore"):
            key = mix(hi, lo)
            if self.spec.per_port:
                key = mix(key, port.astype(np.uint64))
        return key

    def _window(
        self, dec: Decoded, w: int, attack: Mask, other_keys: U64, target: U64
    ) -> list[Detection]:
        if w != self.window:
            self._roll(w)
        self.attack.add(target[attack])
        self.other.add(other_keys)
        idx = np.flatnonzero(attack)
        if idx.size == 0:
            return []
        # Sliding window: the previous window counts for the part still inside it.
        end = float(dec.batch.ts[idx[-1]]) / self.cfg.window_s
        self.weight = max(0.0, 1.0 - (end - w))
        keys, first = np.unique(target[idx], return_index=True)
        est = self._estimate(self.attack, self.prev_attack, keys)
        over = est >= self.cfg.threshold
        found = []
        for k, i, n in zip(
            keys[over].tolist(), idx[first[over]].tolist(), est[over].tolist(), strict=True
        ):
            hit = self._hot(dec, int(k), int(i), int(n), idx[target[idx] == k], target)
            if hit is not None:
                found.append(hit)
        return found

    def _roll(self, w: int) -> None:
        """Start window ``w``; the one before it becomes ``prev`` (older ones are dropped)."""
        if w == self.window + 1:
            self.attack, self.prev_attack = self.prev_attack, self.attack
            self.other, self.prev_other = self.prev_other, self.other
        else:
            self.prev_attack.clear()
            self.prev_other.clear()
        self.attack.clear()
        self.other.clear()
        self.window = w

    def _estimate(self, cur: CountMin, prev: CountMin, keys: U64) -> npt.NDArray[np.int64]:
        est = cur.query(keys) + (prev.query(keys) * self.weight).astype(np.int64)
        out: npt.NDArray[np.int64] = est
        return out

    def _hot(
        self, dec: Decoded, key: int, i: int, n: int, rows: npt.NDArray[np.int64], target: U64
    ) -> Detection | None:
        ts = dec.batch.ts
        one = np.array([key], dtype=np.uint64)
        other = int(self._estimate(self.other, self.prev_other, one)[0])
        if n / (n + other) < self.cfg.min_ratio:
            return None
        hot = self.hot.get(key, lambda: _Hot(first=float(ts[rows[0]])))
        hot.last = float(ts[rows[-1]])
        hot.total += rows.size
        with np.errstate(over="ignore"):
            hot.sources.add(mix(dec.src_hi[rows], dec.src_lo[rows]))
        if hot.last - hot.reported_at < self.cfg.realert_s:
            return None
        victim = ip_text(int(dec.dst_hi[i]), int(dec.dst_lo[i]))
        if self.cfg.allowed(victim):
            return None
        hot.reported_at = hot.last
        return self._detection(dec, hot, i, n, rows, victim)

    def _detection(
        self, dec: Decoded, hot: _Hot, i: int, n: int, rows: npt.NDArray[np.int64], victim: str
    ) -> Detection | None:
        src_keys = mix(dec.src_hi[rows], dec.src_lo[rows])
        _uniq, first, counts = np.unique(src_keys, return_index=True, return_counts=True)
        top = int(np.argmax(counts))
        share = counts[top] / rows.size
        attacker = None
        j = int(rows[first[top]])
        if share >= 0.5:
            attacker = ip_text(int(dec.src_hi[j]), int(dec.src_lo[j]))
            if self.cfg.allowed(attacker):
                return None
        sources = hot.sources.count()
        who = attacker or f"at least ~{sources} distinct (likely spoofed) sources"
        port = int(dec.dport[i]) if self.spec.per_port else None
        summary = (
            f"{self.spec.rule}: {n} packets in {self.cfg.window_s:g}s to {victim}"
            f"{':' + str(port) if port is not None else ''} from {who}"
        )
        return self.report.detection(
            attacker=attacker,
            target=victim,
            target_port=port,
            first=hot.first,
            last=hot.last,
            count=max(hot.total, n),
            summary=summary,
            evidence=dec.batch.number[rows[:20]].tolist(),
            protocol=self.spec.protocol,
        )
