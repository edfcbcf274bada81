"""The door and the real PostgreSQL 15 answer the same bytes with the same bytes.

Against 127.0.0.1:5432 (trust) for start-up, ParameterStatus and protocol errors, and against
a private cluster (``auth_pg``) for the SCRAM/md5/cleartext exchanges and their failures.
Random parts (BackendKeyData, nonces, salts) are compared by shape only.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import ssl
import struct

import pytest

from phantomnet.events import AuthAttempt
from tests.integration.sensors.postgres.conftest import (
    Running,
    connect,
    exchange,
    msg,
    packet,
    parse,
    recv_all,
    startup_packet,
)

pytestmark = pytest.mark.integration

PLAIN = {"ssl": False, "auth_methods": {"postgres": "password"}, "superusers": ("postgres",)}
SSL_REQUEST = packet(struct.pack("!I", 80877103))
GSS_REQUEST = packet(struct.pack("!I", 80877104))


async def both(
    real: int, door: Running, *sends: bytes, login: bool = False
) -> tuple[list[bytes], list[bytes]]:
    theirs = await asyncio.to_thread(exchange, real, *sends)
    ours = await asyncio.to_thread(exchange, door.port, *sends, login="secret" if login else None)
    return theirs, ours


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "sends",
    [
        pytest.param((SSL_REQUEST,), id="ssl-refused"),
        pytest.param((SSL_REQUEST, SSL_REQUEST), id="ssl-twice"),
        pytest.param((GSS_REQUEST, packet(struct.pack("!I", 8) + b"garbage!")), id="gssenc"),
        pytest.param((packet(struct.pack("!I", 2 << 16) + b"user\0postgres\0\0"),), id="v2"),
        pytest.param((packet(struct.pack("!I", 4 << 16) + b"user\0postgres\0\0"),), id="v4"),
        pytest.param((packet(struct.pack("!I", 196608) + b"user\0postgres"),), id="unterminated"),
        pytest.param(
            (packet(struct.pack("!I", 196608) + b"user\0postgres\0database\0"),), id="no-value"
        ),
        pytest.param(
            (packet(struct.pack("!I", 196608) + b"database\0postgres\0\0"),), id="no-user"
        ),
        pytest.param((struct.pack("!I", 3),), id="short-length"),
        pytest.param((struct.pack("!I", 20000) + b"x" * 16,), id="long-length"),
        pytest.param((packet(struct.pack("!III", 80877102, 1234, 5678)),), id="cancel"),
        pytest.param(
            (packet(struct.pack("!I", 196608) + b"user\0postgres\0replication\0true\0\0"),),
            id="replication",
        ),
    ],
)
async def test_startup_answers_are_byte_equal(
    real_pg: int, door: Running, sends: tuple[bytes, ...]
) -> None:
    theirs, ours = await both(real_pg, door, *sends)
    assert ours == theirs


def _without_key(messages: list[bytes]) -> list[tuple[bytes, bytes]]:
    out = []
    for m in parse(b"".join(messages)):
        body = m.body
        if m.kind == b"K":
            assert len(body) == 8
            body = b"<random key>"
        if m.kind == b"S" and body.startswith(b"server_version\0"):
            assert re.fullmatch(
                rb"server_version\x0015\.\d+ \(Debian 15\.\d+-0\+deb12u1\)\x00", body
            )
            body = b"server_version"
        out.append((m.kind, body))
    return out


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"application_name": "pgAdmin 4 - DB:postgres"},
        {"client_encoding": "UTF8", "DateStyle": "ISO, MDY"},
    ],
)
async def test_after_login_the_parameter_status_is_the_real_one(
    real_pg: int, door: Running, extra: dict[str, str]
) -> None:
    theirs, ours = await both(real_pg, door, startup_packet(**extra), login=True)
    assert _without_key(ours) == _without_key(theirs)
    keys = [m.body for m in parse(ours[0]) if m.kind == b"K"]
    again = await asyncio.to_thread(exchange, door.port, startup_packet(), login="secret")
    assert keys != [m.body for m in parse(again[0]) if m.kind == b"K"]  # a fresh key each time


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "startup",
    [
        pytest.param(startup_packet(database="nodb"), id="unknown-database"),
        pytest.param(startup_packet(bogus_opt="x"), id="unknown-parameter"),
        pytest.param(startup_packet(database="template0"), id="template0"),
    ],
)
async def test_errors_after_authentication_are_byte_equal(
    real_pg: int, door: Running, startup: bytes
) -> None:
    theirs, ours = await both(real_pg, door, startup, login=True)
    assert ours == theirs


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "after",
    [
        pytest.param(b"\x01\0\0\0\x04", id="unknown-type"),
        pytest.param(msg(b"Q", b"\0"), id="empty-query"),
        pytest.param(msg(b"Q", b" ; \0"), id="semicolon-query"),
        pytest.param(msg(b"Q", b"x"), id="unterminated-query"),
        pytest.param(
            msg(b"P", b"\0\0\0\0")
            + msg(b"B", b"\0\0\0\0\0\0\0\0")
            + msg(b"D", b"P\0")
            + msg(b"E", b"\0\0\0\0\0")
            + msg(b"S"),
            id="empty-extended",
        ),
        pytest.param(
            msg(b"B", b"\0nosuch\0\0\0\0\0\0\0") + msg(b"E", b"\0\0\0\0\0") + msg(b"S"),
            id="bind-unknown-statement",
        ),
        pytest.param(msg(b"E", b"nop\0\0\0\0\0") + msg(b"S"), id="unknown-portal"),
        pytest.param(msg(b"H"), id="flush"),
        pytest.param(msg(b"d", b"xx"), id="copydata-idle"),
        pytest.param(msg(b"X"), id="terminate"),
        pytest.param(b"Q\0\0\0\x02", id="bad-length"),
    ],
)
async def test_protocol_errors_after_login_are_byte_equal(
    real_pg: int, door: Running, after: bytes
) -> None:
    theirs, ours = await both(real_pg, door, startup_packet(), after, login=True)
    assert ours[1] == theirs[1]


# -- passwords, against a real server asking for them --------------------------------------

AUTH = {"ssl": False, "auth_methods": {"md5user": "md5", "pwuser": "password"}}


def _start_and_answer(port: int, user: str, password: str) -> tuple[bytes, bytes, bytes]:
    """(authentication request, server-first or b"", final answer) of one wrong login."""
    with connect(port) as sock:
        sock.sendall(startup_packet(user))
        request = recv_all(sock)
        code = struct.unpack("!i", request[5:9])[0]
        middle = b""
        if code == 3:
            sock.sendall(msg(b"p", password.encode() + b"\0"))
        elif code == 5:
            sock.sendall(msg(b"p", b"md5" + b"0" * 32 + b"\0"))
        else:
            first = b"n,,n=,r=abcdefghijklmnopqrstuvwx"
            sock.sendall(msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first))
            middle = recv_all(sock)
            nonce = middle[9:].split(b",")[0][2:]
            proof = base64.b64encode(b"\x01" * 32)
            sock.sendall(msg(b"p", b"c=biws,r=" + nonce + b",p=" + proof))
        return request, middle, recv_all(sock)


@pytest.mark.parametrize("door", [AUTH], indirect=True)
@pytest.mark.parametrize("user", ["alice", "md5user", "pwuser", "nosuchrole"])
async def test_a_wrong_password_is_answered_like_the_real_server(
    auth_pg: int, door: Running, user: str
) -> None:
    theirs = await asyncio.to_thread(_start_and_answer, auth_pg, user, "wrong")
    ours = await asyncio.to_thread(_start_and_answer, door.port, user, "wrong")
    if user == "md5user":  # a 4-byte random salt
        assert theirs[0][:9] == ours[0][:9] == b"R\0\0\0\x0c\0\0\0\x05"
    else:
        assert ours[0] == theirs[0]
    if theirs[1]:
        shape = rb"R\x00\x00\x00\\\x00\x00\x00\x0br=abcdefghijklmnopqrstuvwx[A-Za-z0-9+/]{24},s=[A-Za-z0-9+/]{22}==,i=4096"
        assert re.fullmatch(shape, theirs[1]) and re.fullmatch(shape, ours[1])
    assert ours[2] == theirs[2]
    assert f'password authentication failed for user "{user}"'.encode() in ours[2]
    attempt = (await door.events(AuthAttempt))[0]
    assert attempt.username == user and not attempt.accepted
    if user == "pwuser":
        assert attempt.password == "wrong"


@pytest.mark.parametrize("door", [AUTH], indirect=True)
async def test_the_scram_salt_of_a_user_is_stable_like_a_stored_verifier(door: Running) -> None:
    a = await asyncio.to_thread(_start_and_answer, door.port, "alice", "x")
    b = await asyncio.to_thread(_start_and_answer, door.port, "alice", "y")
    c = await asyncio.to_thread(_start_and_answer, door.port, "bob", "y")
    salt = [m[1].split(b",s=")[1].split(b",")[0] for m in (a, b, c)]
    assert salt[0] == salt[1] != salt[2]


async def test_ssl_request_is_accepted_with_the_persona_certificate(door: Running) -> None:
    def handshake() -> tuple[bytes, str]:
        raw = socket.create_connection(("127.0.0.1", door.port), timeout=10)
        raw.sendall(SSL_REQUEST)
        answer = raw.recv(1)
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            from cryptography import x509

            cn = x509.load_der_x509_certificate(der).subject.rfc4514_string()
            tls.sendall(startup_packet("alice"))
            request = recv_all(tls)
            assert b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0" in request
        return answer, cn

    answer, cn = await asyncio.to_thread(handshake)
    assert answer == b"S"
    assert cn == f"CN={door.sensor.host.persona.fqdn}"
