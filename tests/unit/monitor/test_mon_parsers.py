"""Parsers: known messages parse, and arbitrary bytes never raise (hypothesis)."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from mon_traffic import dns_query

from phantomnet.analyzers.arp import parse_arp
from phantomnet.analyzers.base import Anomaly
from phantomnet.analyzers.dns import DnsMessage, parse_dns
from phantomnet.analyzers.http import HttpMessage, parse_http
from phantomnet.analyzers.ssh import parse_ssh
from phantomnet.analyzers.tls import ClientHello, ServerHello, parse_tls
from phantomnet.analyzers.x509 import public_key
from phantomnet.monitor import craft


def test_dns_answer() -> None:
    msg = parse_dns(dns_query("www.example.com", 77, ("93.184.216.34",), True))
    assert isinstance(msg, DnsMessage)
    assert (msg.txid, msg.qname, msg.qtype, msg.rcode) == (77, "www.example.com", "A", "NOERROR")
    assert msg.answers[0].data == "93.184.216.34" and msg.answers[0].ttl == 60


def test_dns_compression_loop_is_an_anomaly() -> None:
    evil = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c"
    assert isinstance(parse_dns(evil), Anomaly)


def test_http_request_and_response() -> None:
    req = parse_http(
        b"POST /login?next=/ HTTP/1.1\r\nHost: a.example\r\nUser-Agent: curl/8"
        b"\r\n\r\nuser=x&password=y"
    )
    assert isinstance(req, HttpMessage) and req.method == "POST" and req.path == "/login"
    assert req.header("host") == "a.example" and req.has_password_field and req.complete
    resp = parse_http(
        b"HTTP/1.1 302 Found\r\nLocation: http://a.example/\r\nSet-Cookie: s=1; "
        b"HttpOnly\r\nStrict-Transport-Security: max-age=3\r\n\r\n"
    )
    assert isinstance(resp, HttpMessage) and resp.status == 302
    assert resp.cookies[0].name == "s" and not resp.cookies[0].secure and resp.cookies[0].httponly
    assert isinstance(parse_http(b"GET /x JUNK/1.0\r\n\r\n"), Anomaly)
    assert parse_http(b"GET\x00\x01 junk") is None
    assert parse_http(b"\x16\x03\x01junk") is None


def test_tls_hellos() -> None:
    res = parse_tls(craft.client_hello(sni="a.example", alpn=(b"h2",)))
    hello = res.messages[0]
    assert isinstance(hello, ClientHello) and hello.sni == "a.example" and hello.alpn == (b"h2",)
    assert 0x0304 in hello.supported_versions
    cut = parse_tls(craft.client_hello()[:60])
    assert cut.more and not cut.messages
    sh = parse_tls(craft.server_hello(cipher=0x1301, selected=0x0304)).messages[0]
    assert isinstance(sh, ServerHello) and sh.negotiated == 0x0304


def test_ssh_banner_and_kexinit() -> None:
    lists = [
        b"curve25519-sha256",
        b"ssh-ed25519",
        b"aes128-ctr",
        b"aes128-ctr",
        b"hmac-sha2-256",
        b"hmac-sha2-256",
        b"none",
        b"none",
        b"",
        b"",
    ]
    payload = b"\x14" + b"\x00" * 16 + b"".join(struct.pack("!I", len(x)) + x for x in lists)
    payload += b"\x00" + b"\x00" * 4
    pad = 4
    packet = struct.pack("!IB", len(payload) + pad + 1, pad) + payload + b"\x00" * pad
    res = parse_ssh(b"SSH-2.0-OpenSSH_9.2\r\n" + packet)
    assert res.banner == "SSH-2.0-OpenSSH_9.2" and res.kexinit is not None
    assert res.kexinit.client_string() == "curve25519-sha256;aes128-ctr;hmac-sha2-256;none"
    assert parse_ssh(b"SSH-2.0-x\r\n" + packet[:10]).more


def test_arp_and_x509_on_junk() -> None:
    assert isinstance(parse_arp(b"\x00\x01", b""), Anomaly)
    assert public_key(b"\x30\x82\xff\xff") == (None, None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_parsers_never_raise(data: bytes) -> None:
    parse_dns(data)
    parse_dns(data, tcp=True)
    parse_http(b"GET " + data)
    parse_http(b"HTTP/1.1 " + data)
    parse_tls(b"\x16\x03\x01" + data)
    parse_tls(data)
    parse_ssh(b"SSH-2.0-x\r\n" + data)
    parse_arp(data, b"\x00" * 6)
    public_key(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200), st.binary(min_size=1, max_size=1))
def test_mutated_client_hello_never_raises(pos: int, byte: bytes) -> None:
    hello = bytearray(craft.client_hello())
    hello[pos % len(hello)] = byte[0]
    parse_tls(bytes(hello))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1400))
def test_quic_initial_never_raises(data: bytes) -> None:
    from phantomnet.analyzers.quic import parse_initial

    for packet in (b"\xc3\x00\x00\x00\x01" + data, data):
        result = parse_initial(packet)
        assert result is None or result.size <= len(packet)
