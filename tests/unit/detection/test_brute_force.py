"""brute_force counts failed logins per source and protocol inside a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.detection.engine import DetectorEngine
from phantomnet.events import AuthAttempt, Endpoint, SensorRef

T0 = datetime(2026, 11, 21, tzinfo=UTC)
REF = SensorRef(node="n", component="ssh")


def attempt(ip: str, i: int, *, accepted: bool = False, protocol: str = "ssh") -> AuthAttempt:
    return AuthAttempt(
        sensor=REF,
        protocol=protocol,
        username="root",
        password=f"p{i}",
        accepted=accepted,  # type: ignore[arg-type]
        src=Endpoint(ip=ip, port=40000 + i),
        dst=Endpoint(ip="10.0.0.1", port=22),
        occurred_at=T0 + timedelta(seconds=i),
    )


def run(detector: BruteForce, events: list[AuthAttempt]) -> list:
    return [d for e in events for d in detector.observe(e)]


def test_fires_at_threshold_with_evidence() -> None:
    det = BruteForce(BruteForceConfig(threshold=5, window_s=60), "n")
    found = run(det, [attempt("198.51.100.7", i) for i in range(5)])
    assert len(found) == 1
    d = found[0]
    assert d.rule == "brute_force" and d.protocol == "ssh" and d.count == 5
    assert d.src is not None and d.src.ip == "198.51.100.7"
    assert d.first_seen == T0 and d.last_seen == T0 + timedelta(seconds=4)
    assert len(d.evidence) == 5 and all(e.startswith("event:") for e in d.evidence)


def test_benign_negatives() -> None:
    det = BruteForce(BruteForceConfig(threshold=5, window_s=60), "n")
    # successful logins, failures spread beyond the window, other protocols, several sources
    events = [attempt("198.51.100.7", i, accepted=True) for i in range(10)]
    events += [attempt("198.51.100.8", i * 100) for i in range(10)]
    events += [attempt(f"198.51.100.{20 + i}", i) for i in range(10)]
    assert run(det, events) == []


def test_allowlist() -> None:
    det = BruteForce(BruteForceConfig(threshold=3, allowlist=("198.51.100.0/24",)), "n")
    assert run(det, [attempt("198.51.100.7", i) for i in range(10)]) == []


def test_engine_isolates_a_broken_detector() -> None:
    class Broken(BruteForce):
        name = "broken"

        def observe(self, event):  # type: ignore[no-untyped-def]
            raise ValueError("bug")

    good = BruteForce(BruteForceConfig(threshold=2), "n")
    engine = DetectorEngine(bus=None, detectors=[Broken(BruteForceConfig(), "n"), good])  # type: ignore[arg-type]
    found = [d for i in range(2) for d in engine.observe(attempt("203.0.113.1", i))]
    assert len(found) == 1 and engine.failures == {"broken": 2}
