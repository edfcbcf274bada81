"""The greeting follows the persona: CentOS 7's MariaDB 5.5 and Ubuntu 22.04's MySQL 8.0,
with the real ``mariadb`` client and PyMySQL logging in through each.

MySQL 8.0 announces ``caching_sha2_password``; both clients answer with its SHA-256
scramble, and the door switches them to ``mysql_native_password`` as MySQL 8.0 does for an
account created with that plugin, so the password is still read from the native token.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pymysql
import pytest

from phantomnet.events import AuthAttempt
from tests.conftest import require_tool
from tests.integration.sensors.mysql.conftest import Door, read_packet, run, start_door

pytestmark = pytest.mark.integration


@pytest.fixture(params=["centos7", "ubuntu2204"])
async def persona_door(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Door]:
    running, task = await start_door(tmp_path, persona=request.param, tls=False)
    yield running
    await running.sensor.stop()
    task.cancel()


def greeting(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        return read_packet(sock)[1]


async def test_greeting_names_the_personas_server(persona_door: Door) -> None:
    g = await asyncio.to_thread(greeting, persona_door.port)
    version = persona_door.sensor.version
    assert g[1 : g.index(b"\x00", 1)] == version.encode()  # no 5.5.5- prefix on either
    plugin = b"caching_sha2_password" if version.startswith("8.") else b"mysql_native_password"
    assert g.endswith(b"\x00" + plugin + b"\x00")


async def test_mariadb_client_logs_in(persona_door: Door) -> None:
    require_tool("mariadb")
    cmd = ("mariadb", "-h127.0.0.1", f"-P{persona_door.port}", "-uroot", "-proot", "--ssl=0",
           "--connect-timeout=20", "-N", "-e", "SELECT 6 * 7")  # fmt: skip
    done = await run(*cmd)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    (attempt,) = await persona_door.events(AuthAttempt)
    assert attempt.accepted and attempt.password == "root"
    assert attempt.key_type == "mysql_native_password"


async def test_pymysql_logs_in_and_is_denied(persona_door: Door) -> None:
    def connect(password: str) -> str:
        try:
            conn = pymysql.connect(host="127.0.0.1", port=persona_door.port, user="root",
                                   password=password, connect_timeout=20)  # fmt: skip
        except pymysql.err.OperationalError as exc:
            return str(exc.args[0])
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            (one,) = cur.fetchone() or (None,)
        conn.close()
        return f"ok {one}"

    assert await asyncio.to_thread(connect, "root") == "ok 1"
    assert await asyncio.to_thread(connect, "Not-In-Any-List-7") == "1045"
    attempts = await persona_door.events(AuthAttempt, 2)
    assert [a.password for a in attempts] == ["root", None]


async def test_version_comment_is_the_personas(persona_door: Door) -> None:
    """The client's banner (``Server version: ...``) is the version and @@version_comment:
    "5.5.68-MariaDB MariaDB Server" on CentOS 7, "8.0.43-0ubuntu0.22.04.1 (Ubuntu)" on
    Ubuntu 22.04, never Debian 12's comment on another persona."""
    require_tool("mariadb")
    cmd = ("mariadb", "-h127.0.0.1", f"-P{persona_door.port}", "-uroot", "-proot", "--ssl=0",
           "--connect-timeout=20", "-N", "-e", "SELECT @@version_comment")  # fmt: skip
    done = await run(*cmd)
    assert done.returncode == 0, done.stderr
    version = persona_door.sensor.version
    assert done.stdout.strip() == ("(Ubuntu)" if "ubuntu" in version else "MariaDB Server")
