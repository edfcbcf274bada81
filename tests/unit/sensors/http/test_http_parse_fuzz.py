"""Hypothesis on what the HTTP door parses from attacker bytes: h11 heads as the door decodes
them, the Request (target split, query, forms, multipart) and routing, and the event built
from it. Nothing may raise; the event always serialises."""

from __future__ import annotations

import json

import h11
from hypothesis import given, settings
from hypothesis import strategies as st

from phantomnet.events import Endpoint, HttpRequest, SensorRef, attacker_text
from phantomnet.sensors.http import routes
from phantomnet.sensors.http.request import Request, parse_multipart

REF = SensorRef(node="n", component="http")


class _Session:
    src = Endpoint(ip="198.51.100.4", port=5555)
    dst = Endpoint(ip="10.0.0.1", port=8080)


TARGET = st.one_of(
    st.binary(max_size=200), st.sampled_from([b"//[", b"/?a=%ff&b", b"//x:99999/", b"/%00"])
)
CTYPES = st.sampled_from(
    [b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=B",
     b"multipart/form-data", b"text/plain; charset=\xff"]
)  # fmt: skip


def _request(method: bytes, target: bytes, ctype: bytes, body: bytes) -> Request:
    headers = [("Host", "x"), ("Content-Type", ctype.decode("latin-1"))]
    return Request(
        method=method.decode("latin-1"), target=target.decode("latin-1"), version="1.1",
        headers=headers, body=body, session=_Session(), port=80, tls=False,  # type: ignore[arg-type]
    )  # fmt: skip


@settings(max_examples=300)
@given(st.binary(max_size=16), TARGET, CTYPES, st.binary(max_size=600))
def test_request_parsing_and_routing_never_raise(
    method: bytes, target: bytes, ctype: bytes, body: bytes
) -> None:
    req = _request(method, target, ctype, body)
    routes.route(req.path)
    event = HttpRequest(
        sensor=REF, method=attacker_text(req.method, 32) or "-",
        path=attacker_text(req.path, 2048), query=attacker_text(req.query),
        body_excerpt=attacker_text(req.body[:2048]),
        headers=tuple((attacker_text(k), attacker_text(v)) for k, v in req.headers),
    )  # fmt: skip
    json.loads(event.model_dump_json())


@given(st.binary(max_size=2000))
def test_multipart_never_raises(body: bytes) -> None:
    parse_multipart("multipart/form-data; boundary=B", b"--B\r\n" + body)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_h11_heads_the_door_accepts_decode_to_a_request(raw: bytes) -> None:
    """Whatever h11 accepts, the door's latin-1 decoding and Request never raise."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
    conn.receive_data(b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        event = conn.next_event()
    except h11.RemoteProtocolError:
        return
    if isinstance(event, h11.Request):
        _request(event.method, event.target, b"text/plain", b"")
