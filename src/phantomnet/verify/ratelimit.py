"""Token buckets: ``burst`` tokens, refilled at ``per_minute``; one per rule plus a global one."""

from __future__ import annotations

import time
from collections.abc import Callable

from phantomnet.verify.config import AutoConfig


class TokenBucket:
    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def available(self) -> bool:
        self._refill()
        return self.tokens >= 1.0

    def take(self) -> bool:
        self._refill()
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class RuleLimiter:
    """A verification for ``rule`` may run when its bucket and the global one both have a
    token (a refusal by either takes from neither)."""

    def __init__(self, cfg: AutoConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.clock = clock
        self.total = TokenBucket(cfg.global_per_minute, cfg.global_burst, clock)
        self.rules: dict[str, TokenBucket] = {}

    def allow(self, rule: str) -> bool:
        bucket = self.rules.get(rule)
        if bucket is None:
            bucket = self.rules[rule] = TokenBucket(
                self.cfg.per_rule_per_minute, self.cfg.per_rule_burst, self.clock
            )
        if not (bucket.available() and self.total.available()):
            return False
        return bucket.take() and self.total.take()
