"""Issue 11 regression: hostile bytes on the FTP/SMTP doors end one connection, never
``phantomnet up``. Real process, real sockets; afterwards every door and the API still answer
and the events of the hostile connections are stored."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_up import free_sensor_ports

pytestmark = pytest.mark.e2e

#: (door, bytes sent after the greeting) from issue 11.
HOSTILE = (
    ("smtp", b"EHLO \xff\xfe\r\n"),
    ("ftp", b"USER \xff\xfe\r\n"),
    ("ftp", b"USER anonymous\r\nPASS a@b.c\r\n\xff\xf4\xff\xf2ABOR\r\n"),
)


def get(pn: PhantomNet, path: str, token: str) -> Any:
    req = urllib.request.Request(pn.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def converse(port: int, data: bytes) -> bytes:
    """Read the greeting, send ``data``, then QUIT, and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        got = s.recv(4096)
        s.sendall(data + b"QUIT\r\n")
        while chunk := s.recv(4096):
            got += chunk
    return got


def wait_stored(pn: PhantomNet, path: str, token: str, want: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        pn.assert_alive()
        items = get(pn, path, token)["items"]
        if want(items):
            return
        time.sleep(0.3)
    raise AssertionError(f"{path}: not stored: {items!r}; log:\n{pn.log()[-3000:]}")


def test_hostile_bytes_end_one_connection_not_the_platform(tmp_path: Path) -> None:
    sensors = free_sensor_ports()
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        pn.wait_http("/health")
        doors = [s["port"] for s in sensors.values()] + [sensors["http"]["tls_port"]]
        for port in doors:
            pn.wait_port(port)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()

        replies = [converse(sensors[door]["port"], data) for door, data in HOSTILE]
        assert replies[0].startswith(b"220 ") and b"\r\n221 " in replies[0], replies[0]
        assert replies[1].startswith(b"220 ") and b"\r\n221 " in replies[1], replies[1]
        assert b"\r\n230 " in replies[2] and b"\r\n221 " in replies[2], replies[2]

        # Still alive: every door accepts and speaks, the API answers.
        for port in doors:
            pn.wait_port(port, timeout=10)
        assert converse(sensors["smtp"]["port"], b"").startswith(b"220 ")
        assert converse(sensors["ftp"]["port"], b"").startswith(b"220 ")
        with socket.create_connection(("127.0.0.1", sensors["ssh"]["port"]), timeout=20) as s:
            assert s.recv(256).startswith(b"SSH-2.0-")
        web = f"http://127.0.0.1:{sensors['http']['port']}/"
        with urllib.request.urlopen(web, timeout=20) as resp:
            assert resp.status == 200
        assert pn.wait_http("/health")["database"] == "ok"

        def has(method: str, value: str) -> Any:
            return lambda items: any(
                i["payload"].get("method") == method and i["payload"].get("value") == value
                for i in items
            )

        wait_stored(pn, "/api/events?kind=client.fingerprint&protocol=smtp", token,
                    has("smtp_ehlo", "\\xff\\xfe"))  # fmt: skip

        def commands(want: set[str]) -> Any:
            return lambda items: want <= {i["payload"]["command"] for i in items}

        wait_stored(pn, "/api/events?kind=command.input&protocol=ftp", token,
                    commands({"USER \\xff\\xfe", "ABOR"}))  # fmt: skip
        wait_stored(pn, "/api/events?kind=command.input&protocol=smtp", token,
                    commands({"EHLO \\xff\\xfe"}))  # fmt: skip
        code, _ = pn.stop()
    assert code == 0, pn.log()[-3000:]
