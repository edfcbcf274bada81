"""One web-attack classifier (``phantomnet.analyzers.web``): the monitor (requests on the
wire), the HTTP door's event-level rule (untagged requests) and the classifier itself give
the same verdicts, and no other module carries its own attack patterns."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mon_traffic import conn, detections, run

from phantomnet.analyzers.web import classify
from phantomnet.detection.http_attacks import HttpAttacks, HttpAttacksConfig
from phantomnet.events import Endpoint, HttpRequest, SensorRef

SRC = Path(__file__).resolve().parents[3] / "src" / "phantomnet"
C, S = "10.0.0.7", "10.0.0.5"
CASES = [
    ("/products.php", "id=1%20UNION%20SELECT%20user,password%20FROM%20users--"),
    ("/index.php", "page=../../../../etc/passwd"),
    ("/ping.php", "ip=127.0.0.1;cat%20/etc/shadow"),
    ("/search", "q=union+station+cat+food"),
    ("/static/a/../b.css", ""),
]


def wire_rules(tmp: Path, path: str, query: str) -> set[str]:
    target = f"{path}?{query}" if query else path
    req = f"GET {target} HTTP/1.1\r\nHost: shop\r\n\r\n".encode()
    pk = conn(C, S, 40000, 80, 1.0, req, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    return {d.rule for d in detections(run(tmp, pk)) if d.rule.startswith("http_")}


def door_rules(path: str, query: str) -> set[str]:
    det = HttpAttacks(HttpAttacksConfig(), "n")
    event = HttpRequest(
        sensor=SensorRef(node="n", component="http"), method="GET", path=path, query=query,
        status=200, src=Endpoint(ip=C, port=40000), dst=Endpoint(ip=S, port=80),
        occurred_at=datetime(2026, 11, 21, tzinfo=UTC),
    )  # fmt: skip
    return {d.rule for d in det.observe(event) if d.rule != "http_flood"}


@pytest.mark.parametrize(("path", "query"), CASES)
def test_monitor_door_and_classifier_agree(tmp_path: Path, path: str, query: str) -> None:
    expected = {f.rule for f in classify("GET", path, query)}
    assert wire_rules(tmp_path, path, query) == expected
    assert door_rules(path, query) == expected


def test_classifier_finds_the_attacks() -> None:
    assert {f.rule for f in classify("GET", *CASES[0])} == {"http_sqli"}
    assert "http_traversal" in {f.rule for f in classify("GET", *CASES[1])}
    assert "http_cmd_injection" in {f.rule for f in classify("GET", *CASES[2])}
    assert classify("GET", *CASES[3]) == []


MARKERS = ("union", r"\.\.", "%2e", "etc/", "select", r"\$\(", "passwd", "sleep")


def test_no_attack_patterns_outside_analyzers() -> None:
    """Regexes that look for web/file-path attacks live only in ``analyzers``."""
    found = []
    for path in SRC.rglob("*.py"):
        if "analyzers" in path.relative_to(SRC).parts:
            continue
        if path.relative_to(SRC).parts[:2] == ("deception", "sql"):
            continue  # the SQL engine recognises SQL statements (SELECT ... INTO OUTFILE); it judges none
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in
                    ("compile", "search", "match", "fullmatch", "sub", "findall")):  # fmt: skip
                continue
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str | bytes):
                    text = arg.value if isinstance(arg.value, str) else arg.value.decode("latin1")
                    if any(m in text.lower() for m in MARKERS):
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
