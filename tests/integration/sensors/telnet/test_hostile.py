"""Hostile bytes over real sockets (hypothesis): the door answers, never breaks, and a fresh
client still gets telnetd's dialogue and a login prompt; floods are bounded."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.sensors.telnet.conftest import Door, RawTelnet

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]

IAC_BITS = st.sampled_from(
    [
        b"\xff",
        b"\xff\xff",
        b"\xff\xfa",
        b"\xff\xf0",
        b"\xff\xfa\x18\x00",
        b"\xff\xfa\x27\x00\x00USER\x01",
        b"\xff\xfb\x22",
        b"\xff\xfd\x01",
        b"\xff\xfe\x03",
        b"\xff\xf6",
        b"\xff\xf4",
        b"\r\x00",
        b"\r\n",
        b"\x03",
        b"\x1b[A",
        b"root\r\n",
        b"123456\r\n",
    ]
)
WIRE = st.lists(st.one_of(st.binary(max_size=64), IAC_BITS), max_size=40).map(b"".join)


def blast(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(2)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


def still_serves(port: int) -> bytes:
    client = RawTelnet(port, "mirai")
    try:
        return client.until(b"login: ", 20)
    finally:
        client.close()


async def test_hostile_bytes_never_break_the_door(door: Door) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(WIRE)
    def one(payload: bytes) -> None:
        blast(door.port, payload)

    await asyncio.to_thread(one)
    text = await asyncio.to_thread(still_serves, door.port)
    assert text.endswith(b"login: ")
    await door.captured.wait_for(
        lambda c: len(c.of("connection.closed")) >= len(c.of("connection.opened")) - 1
    )
    for attempt in door.captured.of("auth.attempt"):
        assert attempt.protocol == "telnet"


async def test_floods_are_bounded(door: Door) -> None:
    """An endless line, an endless subnegotiation and an option storm: the door keeps its
    memory (line and subnegotiation caps) and keeps answering other clients."""

    def flood() -> None:
        with socket.create_connection(("127.0.0.1", door.port), timeout=5) as s:
            s.settimeout(5)
            try:
                s.sendall(b"\xff\xfa\x18" + b"A" * 2_000_000)
                s.sendall(b"\xff\xfb\x18\xff\xfc\x18" * 50_000)
                s.sendall(b"x" * 2_000_000)
            except OSError:
                pass

    await asyncio.to_thread(flood)
    text = await asyncio.to_thread(still_serves, door.port)
    assert text.endswith(b"login: ")
