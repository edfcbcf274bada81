"""Hostile request bytes on the HTTP door's socket: an answer like httpd's and a safe event."""

from __future__ import annotations

import asyncio

import pytest

from phantomnet.events import HttpRequest
from tests.integration.sensors.http.conftest import Web

pytestmark = pytest.mark.integration


async def send(web: Web, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", web.sensor.bound_port)
    writer.write(raw)
    await writer.drain()
    got = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    return got


async def test_targets_urlsplit_refuses_are_answered_and_recorded(web: Web) -> None:
    got = await send(web, b"GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 404 Not Found\r\n"), got[:200]
    (event,) = await web.events(HttpRequest)
    assert event.path == "//["


async def test_non_utf8_header_bytes_become_safe_exact_event_text(web: Web) -> None:
    got = await send(web, b"GET /x?q=%1b HTTP/1.1\r\nHost: x\r\n"
                          b"X-A: caf\xc3\xa9 \xff\xe2\x80\xae\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert got.startswith(b"HTTP/1.1 404 "), got[:200]
    (event,) = await web.events(HttpRequest)
    # h11 hands over bytes; the event keeps them exactly: UTF-8 readable, the rest \xHH.
    assert ("X-A", "caf\u00e9 \\xff\\xe2\\x80\\xae") in event.headers, event.headers
    event.model_dump_json()


async def test_junk_h11_refuses_is_recorded_as_safe_text(web: Web) -> None:
    got = await send(web, b"\xff\x00\x1b[2J /\xfe HTTP/9\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got[:200]
    (event,) = await web.events(HttpRequest)
    assert event.method == "\\xff\\x00\\x1b[2J" and "malformed" in event.tags
    event.model_dump_json()
