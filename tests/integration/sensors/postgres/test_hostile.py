"""Hostile input over real sockets: random bytes (hypothesis) before and after login, oversized
messages, silent and slow clients, floods. The door answers like PostgreSQL or closes, never
fails a connection by a bug, and one connection never affects another."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantomnet.events import ConnectionClosed
from phantomnet.sensors.postgres.sensor import PostgresSensor
from tests.integration.sensors.postgres.conftest import (
    Running,
    closed,
    connect,
    msg,
    parse,
    recv_all,
    start_door,
    startup_packet,
    until_ready,
)

pytestmark = pytest.mark.integration

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PLAIN = {"ssl": False, "auth_methods": {"*": "password"}}


class Door:
    """The door on its own event loop in a thread, so hypothesis drives blocking sockets."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.sensor: PostgresSensor | None = None
        self.bugs: list[logging.LogRecord] = []
        self.thread = threading.Thread(target=self._main, args=(tmp,), daemon=True)
        self.thread.start()
        assert self.ready.wait(60)

    def _main(self, tmp: Path) -> None:
        asyncio.set_event_loop(self.loop)

        async def boot() -> None:
            self.sensor, self.task = await start_door(tmp, **PLAIN, login_timeout_s=5)
            self.ready.set()

        self.loop.run_until_complete(boot())
        self.loop.run_forever()

    @property
    def port(self) -> int:
        assert self.sensor is not None and self.sensor.bound_port is not None
        return self.sensor.bound_port

    def stop(self) -> None:
        async def down() -> None:
            assert self.sensor is not None
            await self.sensor.stop()
            self.task.cancel()

        asyncio.run_coroutine_threadsafe(down(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


class Catch(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def fuzz_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    door = Door(tmp_path_factory.mktemp("pgfuzz"))
    handler = Catch(door.bugs)
    logging.getLogger("phantomnet.sensors").addHandler(handler)
    yield door
    logging.getLogger("phantomnet.sensors").removeHandler(handler)
    door.stop()


def alive(port: int) -> bool:
    with connect(port) as sock:
        sock.sendall(startup_packet("root"))
        if not recv_all(sock).startswith(b"R\0\0\0\x08\0\0\0\x03"):
            return False
        sock.sendall(msg(b"p", b"x\0"))
        return any(m.kind == b"Z" for m in until_ready(sock))


def hit(port: int, data: bytes, login: bool) -> None:
    with connect(port) as sock:
        if login:
            sock.sendall(startup_packet("root"))
            recv_all(sock, 0.3)
            sock.sendall(msg(b"p", b"x\0"))
            until_ready(sock)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            recv_all(sock, 0.3, total=5)
        except OSError:
            pass


KINDS = st.sampled_from(list(b"QPBDECSHXFdcfp\x00\xff"))
FRAMED = st.lists(
    st.tuples(KINDS, st.binary(max_size=80)).map(
        lambda t: bytes([t[0]]) + struct.pack("!I", len(t[1]) + 4) + t[1]
    ),
    max_size=8,
).map(b"".join)


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), FRAMED.map(lambda b: b[5:])))
def test_random_first_packets(fuzz_door: Door, data: bytes) -> None:
    hit(fuzz_door.port, struct.pack("!I", len(data) + 4) + data, login=False)
    hit(fuzz_door.port, data, login=False)


@FUZZ
@given(data=st.one_of(FRAMED, st.binary(max_size=300)))
def test_random_messages_after_login(fuzz_door: Door, data: bytes) -> None:
    hit(fuzz_door.port, data, login=True)


def test_after_the_fuzz_the_door_answers_and_no_connection_hit_a_bug(fuzz_door: Door) -> None:
    assert alive(fuzz_door.port)
    assert not [r for r in fuzz_door.bugs if "failed" in r.getMessage()], fuzz_door.bugs[:3]


# -- limits, slow clients ----------------------------------------------------------------------


@pytest.mark.parametrize("door", [{**PLAIN, "max_message_bytes": 4096}], indirect=True)
async def test_an_oversized_message_ends_only_that_connection(door: Running) -> None:
    def oversized() -> bool:
        with connect(door.port) as sock:
            sock.sendall(startup_packet("root"))
            recv_all(sock)
            sock.sendall(msg(b"p", b"x\0"))
            assert any(m.kind == b"Z" for m in until_ready(sock))
            sock.sendall(b"Q" + struct.pack("!I", 10_000_000) + b"select")
            return closed(sock)

    with connect(door.port) as other:
        other.sendall(startup_packet("root"))
        assert await asyncio.to_thread(oversized)
        assert await asyncio.to_thread(recv_all, other)  # the other one was still answered
    assert await asyncio.to_thread(alive, door.port)


@pytest.mark.parametrize(
    "door", [{**PLAIN, "login_timeout_s": 1, "idle_timeout_s": 1}], indirect=True
)
async def test_silent_and_idle_clients_are_dropped(door: Running) -> None:
    def silent() -> bool:
        with connect(door.port) as sock:
            return closed(sock, wait=30)

    def idle() -> bool:
        with connect(door.port) as sock:
            sock.sendall(startup_packet("root"))
            recv_all(sock)
            sock.sendall(msg(b"p", b"x\0"))
            assert any(m.kind == b"Z" for m in until_ready(sock))
            return closed(sock, wait=30)

    def dribble() -> bool:  # one byte now and then never completes the startup packet
        with connect(door.port) as sock:
            packet = startup_packet("root")
            for byte in packet[:-1]:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return True
                if closed(sock, wait=0.3):
                    return True
            return False

    assert all(await asyncio.gather(*(asyncio.to_thread(f) for f in (silent, idle, dribble))))
    closes = await door.events(ConnectionClosed, 3)
    assert {c.reason for c in closes} == {"timeout"}


@pytest.mark.parametrize("door", [{**PLAIN, "max_per_source": 2}], indirect=True)
async def test_a_flood_from_one_source_is_refused_like_a_full_server(door: Running) -> None:
    def flood() -> bytes:
        held = [connect(door.port) for _ in range(2)]
        try:
            with connect(door.port) as third:
                return recv_all(third)
        finally:
            for sock in held:
                sock.close()

    refused = await asyncio.to_thread(flood)
    err = parse(refused)[0]
    assert err.kind == b"E" and err.fields()["C"] == "53300"
    assert err.fields()["M"] == "sorry, too many clients already"
    assert await asyncio.to_thread(alive, door.port)


@pytest.mark.parametrize(
    "door", [{**PLAIN, "tarpit_sources": ("127.0.0.0/8",), "tarpit_delay_s": 0.2}], indirect=True
)
async def test_a_tarpitted_source_still_gets_real_answers(door: Running) -> None:
    assert door.sensor.tarpitted("127.0.0.1") and not door.sensor.tarpitted("10.0.0.1")
    assert await asyncio.to_thread(alive, door.port)
