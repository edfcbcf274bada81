"""The door's bytes next to the real MariaDB 10.11 on this machine (127.0.0.1:3306).

Greeting field by field (scramble and thread id aside), and the answers to garbage before
the handshake, to an unknown command, to a packet bigger than ``max_allowed_packet``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from pymysql import _auth

from phantomnet.events import AuthAttempt, ConnectionClosed
from tests.integration.sensors.mysql.conftest import (
    Door,
    frame,
    read_all,
    read_packet,
    start_door,
)

pytestmark = pytest.mark.integration

CLIENT_CAPS = 0x000FA685 | 1 << 16 | 1 << 24  # PROTOCOL_41, SECURE_CONN, PLUGIN_AUTH, ...


def parse_greeting(payload: bytes) -> dict[str, Any]:
    end = payload.index(b"\x00", 1)
    pos = end + 1
    tid, = struct.unpack("<I", payload[pos : pos + 4])  # fmt: skip
    s1 = payload[pos + 4 : pos + 12]
    low, charset, status, high, alen = struct.unpack("<HBHHB", payload[pos + 13 : pos + 21])
    reserved = payload[pos + 21 : pos + 27]
    ext, = struct.unpack("<I", payload[pos + 27 : pos + 31])  # fmt: skip
    rest = payload[pos + 31 :]
    s2, plugin = rest[:12], rest[13:].rstrip(b"\x00")
    return {
        "protocol": payload[0], "version": payload[1:end], "thread_id": tid,
        "scramble": s1 + s2, "filler": payload[pos + 12], "caps": high << 16 | low,
        "charset": charset, "status": status, "auth_len": alen, "reserved": reserved,
        "mariadb_caps": ext, "plugin": plugin, "terminator": rest[12], "length": len(payload),
    }  # fmt: skip


def greet(port: int) -> tuple[socket.socket, dict[str, Any]]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    seq, payload = read_packet(sock)
    assert seq == 0
    return sock, parse_greeting(payload)


def login(port: int, user: bytes, password: bytes) -> socket.socket:
    sock, g = greet(port)
    token = _auth.scramble_native_password(password, g["scramble"]) if password else b""
    body = struct.pack("<IIB", CLIENT_CAPS, 1 << 24, 45) + bytes(23) + user + b"\x00"
    body += bytes([len(token)]) + token + b"mysql_native_password\x00"
    sock.sendall(frame(1, body))
    _seq, answer = read_packet(sock)
    assert answer[0] == 0, answer
    return sock


async def test_greeting_matches_real_mariadb_field_by_field(plain_door: Door, real: int) -> None:
    theirs = await asyncio.to_thread(greet, real)
    ours = await asyncio.to_thread(greet, plain_door.port)
    theirs[0].close()
    ours[0].close()
    a, b = theirs[1], ours[1]
    for key in ("thread_id", "scramble"):
        a.pop(key), b.pop(key)
    assert b == a


async def test_tls_door_differs_only_by_the_ssl_capability(door: Door, real: int) -> None:
    (sa, a), (sb, b) = await asyncio.gather(
        asyncio.to_thread(greet, real), asyncio.to_thread(greet, door.port)
    )
    sa.close()
    sb.close()
    assert b["caps"] == a["caps"] | 1 << 11
    assert b["version"] == a["version"] and b["plugin"] == a["plugin"]


async def test_each_connection_gets_a_fresh_scramble_and_a_higher_thread_id(door: Door) -> None:
    greetings = []
    for _ in range(5):
        sock, g = await asyncio.to_thread(greet, door.port)
        sock.close()
        greetings.append(g)
    assert len({g["scramble"] for g in greetings}) == 5
    assert all(33 <= c <= 126 for g in greetings for c in g["scramble"])
    ids = [g["thread_id"] for g in greetings]
    assert ids == sorted(ids) and len(set(ids)) == 5


def garbage_answer(port: int, data: bytes) -> bytes:
    sock, _ = greet(port)
    with sock:
        sock.sendall(data)
        return read_all(sock)


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.0\r\n\r\n",  # an HTTP scanner: sequence id 0x2f
        b"\x00\x00\x00\x00",  # an empty packet with sequence id 0
        b"\x05\x00\x00\x01hello",  # pre-4.1 capabilities: Bad handshake, no SQLSTATE
        b"\x01\x00\x00\x01\x00",  # one byte: Bad handshake with SQLSTATE
    ],
)
async def test_garbage_before_the_handshake_is_answered_like_mariadb(
    plain_door: Door, real: int, data: bytes
) -> None:
    theirs = await asyncio.to_thread(garbage_answer, real, data)
    ours = await asyncio.to_thread(garbage_answer, plain_door.port, data)
    assert ours == theirs
    assert theirs  # the real server does answer each of these


def command_answer(port: int, user: bytes, password: bytes, command: bytes) -> bytes:
    with login(port, user, password) as sock:
        sock.sendall(frame(0, command))
        seq, payload = read_packet(sock)
        return bytes([seq]) + payload


@pytest.mark.parametrize("command", [b"\x00", b"\x30", b"\x05", b"\x1b\x05\x00"])
async def test_unknown_commands_answered_like_mariadb(
    door: Door, real: int, command: bytes
) -> None:
    theirs = await asyncio.to_thread(command_answer, real, b"root", b"", command)
    ours = await asyncio.to_thread(command_answer, door.port, b"root", b"root", command)
    assert ours == theirs == b"\x01\xff\x17\x04#08S01Unknown command"


async def test_ping_and_statistics(door: Door) -> None:
    ping = await asyncio.to_thread(command_answer, door.port, b"root", b"root", b"\x0e")
    assert ping == b"\x01\x00\x00\x00\x02\x00\x00\x00"
    stats = await asyncio.to_thread(command_answer, door.port, b"root", b"root", b"\x09")
    text = stats[1:].decode()
    assert text.startswith("Uptime: ") and "  Threads: " in text
    assert "  Queries per second avg: " in text


async def test_oversized_packet_after_login_is_refused_and_closed(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, max_allowed_packet=1 << 20)

    def attempt() -> bytes:
        with login(running.port, b"root", b"root") as sock:
            sock.sendall(struct.pack("<I", 2 << 20)[:3] + b"\x00\x03")  # header only
            return read_all(sock)

    try:
        got = await asyncio.to_thread(attempt)
    finally:
        await running.sensor.stop()
        task.cancel()
    assert got.endswith(b"Got a packet bigger than 'max_allowed_packet' bytes")
    assert got[3:7] == b"\x01\xff\x81\x04"  # 1153, answering packet 0


async def test_packets_out_of_order_after_login(door: Door) -> None:
    def attempt() -> bytes:
        with login(door.port, b"root", b"root") as sock:
            sock.sendall(frame(5, b"\x03select 1"))
            return read_all(sock)

    got = await asyncio.to_thread(attempt)
    assert got == b"!\x00\x00\x00\xff\x84\x04#08S01Got packets out of order"


async def test_silent_client_is_cut_by_connect_timeout(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, connect_timeout_s=0.5)
    try:
        sock, _ = await asyncio.to_thread(greet, running.port)
        with sock:
            assert await asyncio.to_thread(read_all, sock, 30) == b""  # closed, no answer
        closed = await running.events(ConnectionClosed)
        assert closed[0].reason == "timeout"
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_idle_client_is_cut_after_login(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, idle_timeout_s=0.5)
    try:
        sock = await asyncio.to_thread(login, running.port, b"root", b"root")
        with sock:
            assert await asyncio.to_thread(read_all, sock, 30) == b""
        attempt = await running.events(AuthAttempt)
        assert attempt[0].accepted
        closed = await running.events(ConnectionClosed)
        assert closed[0].reason == "timeout"
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_a_source_over_its_slots_gets_too_many_connections(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, max_per_source=1)
    try:
        first, _ = await asyncio.to_thread(greet, running.port)
        with first:

            def second() -> bytes:
                with socket.create_connection(("127.0.0.1", running.port), timeout=10) as s:
                    return read_all(s, 10)

            assert (
                await asyncio.to_thread(second)
                == b"\x17\x00\x00\x00\xff\x10\x04Too many connections"
            )
        await asyncio.to_thread(still_greets, running.port)  # the slot came back
    finally:
        await running.sensor.stop()
        task.cancel()


def still_greets(port: int) -> None:
    for _ in range(50):  # the first connection's slot is released asynchronously
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            if read_packet(sock)[1][:1] == b"\x0a":
                return
        time.sleep(0.2)
    raise AssertionError("the door never greeted again")


def query_status(port: int, user: bytes, password: bytes, sql: bytes) -> int:
    """The status flags of the OK that answers ``sql``."""
    with login(port, user, password) as sock:
        sock.sendall(frame(0, b"\x03" + sql))
        _, ok = read_packet(sock)
        assert ok[0] == 0, ok
        return int(struct.unpack("<H", ok[3:5])[0])


async def test_begin_answers_in_transaction_like_mariadb(door: Door, real: int) -> None:
    theirs = await asyncio.to_thread(query_status, real, b"root", b"", b"BEGIN")
    ours = await asyncio.to_thread(query_status, door.port, b"root", b"root", b"BEGIN")
    assert ours == theirs == 3  # AUTOCOMMIT | IN_TRANS
