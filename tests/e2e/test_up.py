"""``phantomnet up``: everything in one process, attacked by a real client, read back through the
API, and stopped by Ctrl-C within 5 s."""

from __future__ import annotations

import json
import smtplib
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from phantomnet import plugins
from tests.e2e.harness import PhantomNet, free_port

pytestmark = pytest.mark.e2e


def free_sensor_ports() -> dict[str, dict[str, Any]]:
    """Every registered sensor on loopback with free ports (defaults may be taken here)."""
    sensors: dict[str, dict[str, Any]] = {}
    for name in plugins.available(plugins.SENSORS):
        section: dict[str, Any] = {"host": "127.0.0.1", "port": free_port()}
        if name == "http":
            section["tls_port"] = free_port()
        sensors[name] = section
    return sensors


def get(pn: PhantomNet, path: str, token: str) -> Any:
    req = urllib.request.Request(pn.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_up_records_an_attack_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    sensors = free_sensor_ports()
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        health = pn.wait_http("/health")
        assert health["database"] == "ok" and health["bus"] == "ok", health
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()
        assert token.startswith("pn_")

        smtp_port = sensors["smtp"]["port"]
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.ehlo("e2e.example")
            client.sendmail("a@x.example", ["b@y.example"], b"Subject: e2e\r\n\r\nhello\r\n")

        deadline, items = time.monotonic() + 120, []
        while time.monotonic() < deadline and not items:
            items = get(pn, "/api/events?kind=smtp.message", token)["items"]
            time.sleep(0.3)
        assert items and items[0]["payload"]["rcpt_to"] == ["b@y.example"]
        status = get(pn, "/api/honeypots/status", token)["items"]
        assert {"smtp", "storage", "api"} <= {s["component"] for s in status if s["up"]}

        code, by_itself = pn.stop()
    assert by_itself, "phantomnet did not stop on Ctrl-C (killed after 120 s)"
    assert code == 0, pn.log()


def test_user_mistake_is_one_line_and_nonzero(tmp_path: Path) -> None:
    pn = PhantomNet(tmp_path, {"api": {"port": "not-a-port"}})
    result = pn.cli("up", check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: api.port: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        pn = PhantomNet(tmp_path, {"api": {"port": port}, "sensors": free_sensor_ports()})
        result = pn.cli("up", check=False)
    assert result.returncode == 2, result.stderr
    assert f"api.port: 127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
