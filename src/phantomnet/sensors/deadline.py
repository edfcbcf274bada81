"""Total deadlines for a read phase, like Apache's ``RequestReadTimeout header=20-40,MinRate=500``.

An idle timer alone lets a slow client (slowloris: one header line every few seconds) hold a
slot forever. A :class:`RateDeadline` gives a phase ``initial_s`` seconds, extends it by one
second per ``min_rate`` bytes received, and never beyond ``max_s`` after the phase began.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateDeadline:
    """The deadline of one read phase (request head, body, login, DATA)."""

    def __init__(
        self,
        initial_s: float,
        max_s: float,
        min_rate: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.started = clock()
        self.min_rate = min_rate
        self.limit = self.started + max(initial_s, max_s)
        self.deadline = min(self.started + initial_s, self.limit)

    def received(self, nbytes: int) -> None:
        """Count bytes received; at ``min_rate`` bytes per second the deadline moves on."""
        if self.min_rate > 0 and nbytes > 0:
            self.deadline = min(self.deadline + nbytes / self.min_rate, self.limit)

    def remaining(self) -> float:
        """Seconds left (0 when expired)."""
        return max(0.0, self.deadline - self.clock())

    def expired(self) -> bool:
        return self.clock() >= self.deadline
