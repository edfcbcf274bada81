"""RateDeadline with an injected clock (no wall clock, no sleeping)."""

from __future__ import annotations

from phantomnet.sensors.deadline import RateDeadline


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_client_is_cut_at_the_initial_deadline() -> None:
    clock = Clock()
    d = RateDeadline(20, 40, min_rate=500, clock=clock)
    for _ in range(6):  # slowloris: 30 bytes every 3 s
        clock.now += 3
        d.received(30)
    assert not d.expired()  # 18 s in
    clock.now += 3
    assert d.expired()  # 21 s in: 180 bytes bought 0.36 s, not 3 s per line


def test_a_fast_client_is_extended_up_to_the_maximum() -> None:
    clock = Clock()
    d = RateDeadline(20, 40, min_rate=500, clock=clock)
    d.received(500 * 100)  # would add 100 s
    assert d.remaining() == 40
    clock.now += 39.5
    assert not d.expired()
    clock.now += 0.5
    assert d.expired() and d.remaining() == 0


def test_no_rate_means_a_fixed_deadline() -> None:
    clock = Clock()
    d = RateDeadline(60, 0, clock=clock)
    d.received(10**9)
    assert d.remaining() == 60
