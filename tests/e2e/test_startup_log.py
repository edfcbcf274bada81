"""What ``phantomnet up`` prints: where each door listens and the dashboard URL, once they all
listen; never the attacker's own lines (aiosmtpd echoes every command at INFO)."""

from __future__ import annotations

import smtplib
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_up import free_sensor_ports

pytestmark = pytest.mark.e2e


def wait_in_log(pn: PhantomNet, needle: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pn.assert_alive()
        if needle in (text := pn.log()):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never logged:\n{pn.log()[-3000:]}")


def test_start_up_log_names_every_door_and_the_dashboard(tmp_path: Path) -> None:
    sensors = free_sensor_ports()
    api_port = free_port()
    with PhantomNet(tmp_path, {"api": {"port": api_port}, "sensors": sensors}) as pn:
        text = wait_in_log(pn, "dashboard and API at")
        for name, section in sensors.items():
            assert f"door {name} listening on 127.0.0.1:{section['port']}" in text, text
        assert f"tls:{sensors['http']['tls_port']}" in text
        assert f"dashboard and API at http://127.0.0.1:{api_port}/" in text
        # The summary comes after every door started (the supervisor starts them in order).
        summary = text.index("dashboard and API at")
        assert all(text.index(f"door {name} ") < summary for name in sensors)
        code, by_itself = pn.stop()
    assert code == 0 and by_itself, pn.log()


def test_attacker_smtp_lines_stay_out_of_the_console(tmp_path: Path) -> None:
    sensors = free_sensor_ports()
    marker = f"pnmark{uuid.uuid4().hex[:12]}"
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        wait_in_log(pn, "dashboard and API at")
        with smtplib.SMTP("127.0.0.1", sensors["smtp"]["port"], timeout=30) as client:
            client.ehlo(f"{marker}.example")
            code, _ = client.docmd(f"X{marker}")  # a bogus command: aiosmtpd warns about it
            assert code >= 500
            client.mail(f"{marker}@x.example")
        pn.stop()
    log = pn.log()
    assert "door smtp listening" in log  # the log is the real console output
    assert marker not in log, log[-3000:]
