"""A TTL cache of verdicts per question and path set (``[verify] cache_ttl_s``, 300 s).

Only verdicts that met the quorum are kept: an inconclusive one (paths failing, a tie) is
asked again next time. Bounded to ``max_entries`` (oldest dropped first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from phantomnet.verify.engine import Verdict
from phantomnet.verify.path import Question

Key = tuple[str, str, tuple[str, ...]]


class VerdictCache:
    def __init__(
        self,
        ttl_s: float,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._d: OrderedDict[Key, tuple[float, Verdict]] = OrderedDict()

    @staticmethod
    def key(question: Question, paths: tuple[str, ...]) -> Key:
        return (question.kind, question.target, tuple(sorted(paths)))

    def get(self, key: Key) -> Verdict | None:
        hit = self._d.get(key)
        if hit is None:
            return None
        if hit[0] <= self.clock():
            del self._d[key]
            return None
        return replace(hit[1], cached=True)

    def put(self, key: Key, verdict: Verdict) -> None:
        if self.ttl_s <= 0 or not verdict.verified:
            return
        self._d[key] = (self.clock() + self.ttl_s, verdict)
        self._d.move_to_end(key)
        while len(self._d) > self.max_entries:
            self._d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)
