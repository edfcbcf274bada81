"""Accounts ``IDENTIFIED VIA ed25519`` (``ed25519_users``) with the real ``mariadb`` client.

The exchange is the one the real MariaDB 10.11 with ``auth_ed25519`` has on this machine
(captured bytes in tests/unit/sensors/mysql/test_mysql_ed25519.py): an AuthSwitchRequest to
``client_ed25519`` with a bare 32-byte scramble at sequence 2, a 64-byte signature at 3, the
OK or ``Access denied`` at 4. The signature is what the auth.attempt records.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.events import AuthAttempt
from tests.conftest import require_tool
from tests.integration.sensors.mysql.conftest import Door, frame, read_packet, run, start_door

pytestmark = pytest.mark.integration

CLIENT_CAPS = 0x000FA685 | 1 << 16 | 1 << 24


@pytest.fixture
async def ed_door(tmp_path: Path) -> AsyncIterator[Door]:
    running, task = await start_door(tmp_path, tls=False, ed25519_users=("root", "app"))
    yield running
    await running.sensor.stop()
    task.cancel()


def mariadb(port: int, user: str, password: str, sql: str) -> tuple[str, ...]:
    return ("mariadb", "-h127.0.0.1", f"-P{port}", f"-u{user}", f"-p{password}", "--ssl=0",
            "--connect-timeout=20", "-N", "-e", sql)  # fmt: skip


async def test_mariadb_client_signs_in_with_a_known_password(ed_door: Door) -> None:
    require_tool("mariadb")
    done = await run(*mariadb(ed_door.port, "root", "root", "SELECT 40 + 2"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    (attempt,) = await ed_door.events(AuthAttempt)
    assert attempt.accepted and attempt.username == "root" and attempt.password == "root"
    assert attempt.key_type == "client_ed25519" and attempt.method == "other"
    assert attempt.key_fingerprint and re.fullmatch(r"[0-9a-f]{128}", attempt.key_fingerprint)
    assert attempt.client_version and attempt.client_version.startswith("libmariadb")


async def test_mariadb_client_with_an_unknown_password_is_denied(ed_door: Door) -> None:
    require_tool("mariadb")
    done = await run(*mariadb(ed_door.port, "app", "Not-In-Any-List-7", "SELECT 1"))
    assert done.returncode == 1
    assert "ERROR 1045 (28000): Access denied for user 'app'@'127.0.0.1' (using password: YES)" in (
        done.stderr
    )  # fmt: skip
    (attempt,) = await ed_door.events(AuthAttempt)
    assert not attempt.accepted and attempt.password is None
    assert attempt.key_type == "client_ed25519"
    assert attempt.key_fingerprint and len(attempt.key_fingerprint) == 128


def switch_exchange(port: int, user: bytes, reply: bytes) -> tuple[int, bytes, int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        read_packet(sock)
        body = struct.pack("<IIB", CLIENT_CAPS, 1 << 24, 45) + bytes(23) + user + b"\x00"
        sock.sendall(frame(1, body + bytes([20]) + bytes(20) + b"mysql_native_password\x00"))
        seq, switch = read_packet(sock)
        sock.sendall(frame(seq + 1, reply))
        seq2, answer = read_packet(sock)
    return seq, switch, seq2, answer


async def test_switch_packet_and_a_reply_that_is_no_signature(ed_door: Door) -> None:
    seq, switch, seq2, answer = await asyncio.to_thread(
        switch_exchange, ed_door.port, b"root", b"\x00\x01\x02"
    )  # fmt: skip
    assert seq == 2 and len(switch) == 48
    assert switch[:16] == b"\xfeclient_ed25519\x00"
    # what MariaDB 10.11 with auth_ed25519 answered to the same exchange on this machine
    denied = b"\xff\x15\x04#28000Access denied for user 'root'@'127.0.0.1' (using password: YES)"
    assert seq2 == 4 and answer == denied
    (attempt,) = await ed_door.events(AuthAttempt)
    assert not attempt.accepted and attempt.key_fingerprint == "000102"


async def test_other_accounts_stay_native(ed_door: Door) -> None:
    require_tool("mariadb")
    done = await run(*mariadb(ed_door.port, "admin", "admin", "SELECT 1"))
    assert "Access denied for user 'admin'" in done.stderr
    (attempt,) = await ed_door.events(AuthAttempt)
    assert attempt.key_type == "mysql_native_password" and attempt.method == "native"


async def test_client_without_the_plugin_is_still_recorded(ed_door: Door, tmp_path: Path) -> None:
    """A client that cannot load ``client_ed25519`` (an empty plugin dir here) answers the
    switch with an empty packet; the attempt is recorded with the user and client, and no
    signature (a client that hangs up there instead is recorded the same way)."""
    require_tool("mariadb")
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    cmd = mariadb(ed_door.port, "root", "root", "SELECT 1")
    done = await run(*cmd[:1], f"--plugin-dir={empty}", *cmd[1:])
    assert done.returncode == 1
    assert "client_ed25519" in done.stderr, done.stderr
    (attempt,) = await ed_door.events(AuthAttempt)
    assert attempt.username == "root" and not attempt.accepted
    assert attempt.key_type == "client_ed25519" and attempt.key_fingerprint is None
    assert attempt.client_version and attempt.client_version.startswith("libmariadb")


def hang_up_at_switch(port: int, user: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        read_packet(sock)
        body = struct.pack("<IIB", CLIENT_CAPS, 1 << 24, 45) + bytes(23) + user + b"\x00"
        sock.sendall(frame(1, body + bytes([20]) + bytes(20) + b"mysql_native_password\x00"))
        return read_packet(sock)[1]


async def test_client_that_hangs_up_at_the_switch_is_recorded(ed_door: Door) -> None:
    switch = await asyncio.to_thread(hang_up_at_switch, ed_door.port, b"app")
    assert switch.startswith(b"\xfeclient_ed25519\x00")
    (attempt,) = await ed_door.events(AuthAttempt)
    assert attempt.username == "app" and not attempt.accepted
    assert attempt.key_type == "client_ed25519" and attempt.key_fingerprint is None
