"""Hypothesis bytes into the MySQL door over real sockets, before and after login.

Each example is bounded (socket timeout, half-close). After every example the door must still
greet a new client and log it in; events must hold only safe escaped attacker text.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymysql import _auth

from phantomnet.events import AuthAttempt, DbQuery, is_safe_text
from tests.integration.sensors.mysql.conftest import Door, frame, read_all, read_packet, start_door

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
CAPS = 0x000FA685 | 1 << 16 | 1 << 24


class Background:
    """The door on its own event loop in a thread (hypothesis tests are synchronous)."""

    def __init__(self, tmp: Path) -> None:
        self.failures: list[logging.LogRecord] = []
        handler = logging.Handler(logging.WARNING)
        handler.emit = self.failures.append  # type: ignore[method-assign]
        logging.getLogger("phantomnet.sensors").addHandler(handler)
        self.handler = handler
        self.loop = asyncio.new_event_loop()
        import threading

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.door, self.task = asyncio.run_coroutine_threadsafe(
            start_door(tmp, connect_timeout_s=3, idle_timeout_s=3), self.loop
        ).result(60)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.door.sensor.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        logging.getLogger("phantomnet.sensors").removeHandler(self.handler)

    def events(self) -> list[object]:
        async def collect(d: Door) -> list[object]:
            await d.settle()
            return d.seen

        return asyncio.run_coroutine_threadsafe(collect(self.door), self.loop).result(60)


@pytest.fixture(scope="module")
def bg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    b = Background(tmp_path_factory.mktemp("mysqlfuzz"))
    yield b
    b.stop()


def greeting(sock: socket.socket) -> bytes:
    seq, payload = read_packet(sock)
    assert seq == 0 and payload[0] == 10
    return payload


def scramble_of(g: bytes) -> bytes:
    end = g.index(b"\x00", 1)
    return g[end + 5 : end + 13] + g[end + 32 : end + 44]


def logged_in(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    token = _auth.scramble_native_password(b"root", scramble_of(greeting(sock)))
    body = struct.pack("<IIB", CAPS, 1 << 24, 45) + bytes(23) + b"root\x00"
    sock.sendall(frame(1, body + bytes([20]) + token + b"mysql_native_password\x00"))
    assert read_packet(sock)[1][0] == 0
    return sock


def still_serving(port: int) -> None:
    with logged_in(port) as sock:
        sock.sendall(frame(0, b"\x0e"))
        assert read_packet(sock)[1][0] == 0


def send_and_close(sock: socket.socket, data: bytes) -> None:
    with sock:
        sock.settimeout(5)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            read_all(sock, 5)
        except OSError:
            pass


@FUZZ
@given(data=st.binary(max_size=700))
def test_pre_auth_bytes(bg: Background, data: bytes) -> None:
    sock = socket.create_connection(("127.0.0.1", bg.door.port), timeout=10)
    greeting(sock)
    send_and_close(sock, data)
    still_serving(bg.door.port)


@FUZZ
@given(body=st.binary(max_size=300), user=st.binary(max_size=40).filter(lambda b: b"\x00" not in b))
def test_handshake_shaped_bytes(bg: Background, body: bytes, user: bytes) -> None:
    sock = socket.create_connection(("127.0.0.1", bg.door.port), timeout=10)
    greeting(sock)
    payload = struct.pack("<IIB", CAPS, 1 << 24, 45) + bytes(23) + user + b"\x00" + body
    send_and_close(sock, frame(1, payload))
    still_serving(bg.door.port)


COMMANDS = st.sampled_from([0x03, 0x02, 0x04, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x11,
                            0x0C, 0x0A, 0x09, 0x0E, 0x1F, 0x00, 0xFA, 0xFF])  # fmt: skip


@FUZZ
@given(commands=st.lists(st.tuples(COMMANDS, st.binary(max_size=200)), max_size=6))
def test_post_auth_commands(bg: Background, commands: list[tuple[int, bytes]]) -> None:
    sock = logged_in(bg.door.port)
    data = b"".join(frame(0, bytes([c]) + body) for c, body in commands)
    send_and_close(sock, data)
    still_serving(bg.door.port)


def test_events_hold_only_safe_text(bg: Background) -> None:
    events = bg.events()
    texts = [e.query for e in events if isinstance(e, DbQuery)]
    texts += [e.username for e in events if isinstance(e, AuthAttempt)]
    assert texts
    assert all(is_safe_text(t) for t in texts)
    crashes = [logging.Formatter().format(r) for r in bg.failures]
    print("\n\n".join(crashes))
    assert crashes == []  # hostile input got a protocol answer, never an exception
