"""TLS facts in the comparison: SSL stripping, TLS interception, the tls question's vote."""

from __future__ import annotations

import pytest

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import HttpAnswer, PathFailure, TlsAnswer
from phantomnet.verify.compare import attack_kind, consistent
from phantomnet.verify.dns_path import DnsPath
from phantomnet.verify.http_path import hsts_max_age
from phantomnet.verify.tls_path import split_target


def page(scheme: str = "https", spki: str = "a" * 64, host: str = "site.test") -> HttpAnswer:
    return HttpAnswer(
        status=200,
        body_length=1000,
        title_words=frozenset({"welcome"}),
        body_sha256="0" * 64,
        final_url=f"{scheme}://{host}/",
        final_scheme=scheme,
        spki_sha256=spki if scheme == "https" else "",
    )


def test_same_key_same_scheme_agree() -> None:
    assert consistent(page(), page())


def test_http_versus_https_is_ssl_stripping() -> None:
    honest, stripped = page(), page("http")
    assert not consistent(honest, stripped)
    assert attack_kind("http", honest, [stripped]) == "SSL_STRIPPING"


def test_another_key_for_the_same_host_is_interception() -> None:
    honest, mitm = page(), page(spki="b" * 64)
    assert not consistent(honest, mitm)
    assert attack_kind("http", honest, [mitm]) == "TLS_INTERCEPTION"


def test_another_key_for_another_host_is_not_interception() -> None:
    # a redirect to another host: the keys are not comparable (the page decides)
    assert consistent(page(), page(spki="b" * 64, host="cdn.test"))


def test_answers_without_tls_facts_compare_as_before() -> None:
    old = HttpAnswer(200, 1000, frozenset({"welcome"}), "0" * 64)
    assert consistent(old, old)
    assert consistent(old, page())
    other = HttpAnswer(200, 1000, frozenset({"payment"}), "1" * 64)
    assert attack_kind("http", old, [other]) == "CONTENT_TAMPERING"


def test_attack_kind_of_the_other_questions() -> None:
    assert attack_kind("dns", None, []) == "DNS_HIJACKING"
    assert attack_kind("tls", PathFailure("x"), []) == "TLS_INTERCEPTION"


def test_tls_answers_vote_like_dns() -> None:
    a = TlsAnswer(spkis=frozenset({"k1", "k2"}))
    assert consistent(a, TlsAnswer(spkis=frozenset({"k2"})))
    assert not consistent(a, TlsAnswer(spkis=frozenset({"k3"})))
    assert not consistent(a, page())


@pytest.mark.parametrize(
    ("header", "max_age"),
    [
        ("max-age=31536000; includeSubDomains", 31536000),
        ('includeSubDomains; max-age="600"', 600),
        ("MAX-AGE=0", 0),
        ("includeSubDomains", None),
        ("max-age=abc", None),
        (None, None),
    ],
)
def test_hsts_max_age(header: str | None, max_age: int | None) -> None:
    assert hsts_max_age(header) == max_age


@pytest.mark.parametrize(
    ("settings", "transport", "port"),
    [
        ({"server": "10.0.0.1"}, "udp", 53),
        ({"server": "10.0.0.1", "tcp": True}, "tcp", 53),
        ({"server": "10.0.0.1", "transport": "tls"}, "tls", 853),
        ({"server": "10.0.0.1:8853", "transport": "tls"}, "tls", 8853),
        ({"server": "10.0.0.1", "transport": "https", "url": "/q"}, "https", 443),
        ({"server": "[::1]:5353", "transport": "tcp"}, "tcp", 5353),
        ({"server": "2001:db8::1", "transport": "tls"}, "tls", 853),
    ],
)
def test_dns_transports(settings: dict[str, object], transport: str, port: int) -> None:
    path = DnsPath("p", settings)
    assert (path.transport, path.port) == (transport, port)


@pytest.mark.parametrize(
    "settings",
    [
        {"server": "10.0.0.1", "transport": "quic"},
        {"server": "10.0.0.1", "transport": "https", "url": "dns-query"},
        {"server": "10.0.0.1", "server_name": "bad name"},
    ],
)
def test_bad_dns_transport_settings(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DnsPath("p", settings)


def test_tls_targets() -> None:
    assert split_target("site.test:8443") == ("site.test", 8443)
    assert split_target("site.test") == ("site.test", 443)
    assert split_target("[2001:db8::1]:443") == ("2001:db8::1", 443)
    with pytest.raises(VerifyPathError):
        split_target(":443")
