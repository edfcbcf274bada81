"""http_attacks turns tagged (or classified) http.request events into per-source detections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phantomnet.detection.http_attacks import HttpAttacks, HttpAttacksConfig
from phantomnet.events import Detection, Endpoint, HttpRequest, SensorRef

T0 = datetime(2026, 11, 21, tzinfo=UTC)
REF = SensorRef(node="n", component="http")


def request(ip: str, i: int, path: str = "/", query: str = "", tags: tuple[str, ...] = (),
            status: int = 200, tls: bool = False) -> HttpRequest:  # fmt: skip
    return HttpRequest(
        sensor=REF, method="GET", path=path, query=query, status=status, tags=tags, tls=tls,
        src=Endpoint(ip=ip, port=40000 + i), dst=Endpoint(ip="10.0.0.1", port=8080),
        occurred_at=T0 + timedelta(seconds=i),
    )  # fmt: skip


def run(det: HttpAttacks, events: list[HttpRequest]) -> list[Detection]:
    return [d for e in events for d in det.observe(e)]


def detector(**kw: object) -> HttpAttacks:
    return HttpAttacks(HttpAttacksConfig(use_classifier=False, **kw), "n")  # type: ignore[arg-type]


def test_tagged_requests_fire_once_then_every_repeat_with_evidence() -> None:
    det = detector(repeat_every=10)
    events = [request("198.51.100.7", i, "/products.php", f"id=1 AND {i}={i}", ("sqli",))
              for i in range(25)]  # fmt: skip
    found = run(det, events)
    assert [d.count for d in found] == [1, 10, 20]
    first = found[0]
    assert (first.rule, first.severity, first.protocol) == ("http_sqli", "high", "http")
    assert first.src is not None and first.src.ip == "198.51.100.7"
    assert first.evidence == (f"event:{events[0].event_id}",)
    assert found[1].evidence[-1] == f"event:{events[9].event_id}"
    assert found[1].first_seen == events[0].occurred_at
    assert "products.php?id=1 AND 0=0" in first.summary


def test_each_tag_maps_to_its_rule_and_sources_are_separate() -> None:
    det = detector()
    found = run(det, [
        request("203.0.113.1", 0, "/ping.php", "ip=1;id", ("cmd_injection",)),
        request("203.0.113.1", 1, "/index.php", "page=../../etc/passwd", ("traversal",)),
        request("203.0.113.2", 2, "/ping.php", "ip=1;id", ("cmd_injection",), tls=True),
        request("203.0.113.1", 3, "/ping.php", "ip=1;uname", ("cmd_injection",)),
    ])  # fmt: skip
    assert [(d.rule, d.src.ip if d.src else None, d.protocol) for d in found] == [
        ("http_cmd_injection", "203.0.113.1", "http"),
        ("http_traversal", "203.0.113.1", "http"),
        ("http_cmd_injection", "203.0.113.2", "https"),
    ]
    assert found[1].severity == "medium"


def test_benign_browsing_and_other_tags_raise_nothing() -> None:
    det = detector()
    benign = [
        request("192.0.2.5", 0, "/"), request("192.0.2.5", 1, "/products.php", "id=2"),
        request("192.0.2.5", 2, "/wp-login.php", tags=("login",)),
        request("192.0.2.5", 3, "/upload.php", tags=("upload",)),
        request("192.0.2.5", 4, "/nope", status=404),
        request("192.0.2.5", 5, "/ping.php", "ip=10.0.0.1"),
    ]  # fmt: skip
    assert run(det, benign) == []


def test_allowlisted_source_is_ignored() -> None:
    det = detector(allowlist=("192.0.2.0/24",))
    assert run(det, [request("192.0.2.9", 0, "/p", "id=1'", ("sqli",))]) == []


def test_flood_counts_requests_per_source_per_window() -> None:
    det = detector(flood_threshold=5, flood_window_s=10)
    slow = [request("198.51.100.1", i * 3) for i in range(12)]  # 4 per 10 s window at most
    assert run(det, slow) == []
    fast = [request("198.51.100.2", 0) for _ in range(11)]
    found = run(det, fast)
    assert [(d.rule, d.count) for d in found] == [("http_flood", 5), ("http_flood", 10)]
    assert found[0].severity == "medium" and found[0].evidence


def test_untagged_requests_use_the_shared_classifier() -> None:
    det = HttpAttacks(HttpAttacksConfig(), "n")
    found = run(det, [
        request("198.51.100.3", 0, "/cgi-bin/../../etc/passwd", status=404),
        request("198.51.100.3", 1, "/search", "q=1%27%20UNION%20SELECT%20password%20FROM%20users--",
                status=404),
        request("198.51.100.3", 2, "/search", "q=union+station+opening+hours", status=404),
    ])  # fmt: skip
    assert [d.rule for d in found] == ["http_traversal", "http_sqli"]
