"""What may be verified: names and http(s) URLs; everything else is a clear InvalidInput."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantomnet.errors import InvalidInput
from phantomnet.verify.target import check_name, parse_target


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://user:secret@example.com/", "credentials"),
        ("http://user@example.com/", "credentials"),
        ("ftp://example.com/", "scheme: ftp"),
        ("file:///etc/passwd", "scheme: file"),
        ("javascript:alert(1)", "scheme: javascript"),
        ("bücher.example", "internationalised"),
        ("https://bücher.example/", "internationalised"),
        ("xn--bcher-kva.example", "xn--"),
        ("a" * 64 + ".example", "label too long"),
        (".".join(["abcdefghi"] * 30), "name too long"),
        ("https://" + "a" * 3000, "target too long"),
        ("localhost", "fully qualified"),
        ("under_score.example", "bad label"),
        ("", "empty"),
        ("192.0.2.1", "as a URL"),
    ],
)
def test_bad_targets_say_why(value: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_target(value)


def test_an_address_is_not_a_name() -> None:
    with pytest.raises(InvalidInput, match="an address"):
        check_name("192.0.2.1")


def test_a_name_is_checked_as_its_https_page() -> None:
    t = parse_target("WWW.Example.TEST.")
    assert (t.host, t.url, t.is_ip) == ("www.example.test", "https://www.example.test/", False)


def test_an_ip_url_has_no_dns_question() -> None:
    t = parse_target("http://127.0.0.1:8080/x")
    assert t.is_ip and t.host == "127.0.0.1"


@given(st.text(max_size=300))
def test_check_name_accepts_only_ascii_host_names(value: str) -> None:
    try:
        host = check_name(value)
    except InvalidInput:
        return
    assert host.isascii() and len(host) <= 253 and "." in host
    assert all(0 < len(label) <= 63 for label in host.split("."))
