"""``phantomnet up`` attacked over SSH by the real OpenSSH client; everything read back through
the API: login attempts, commands, the session with its asciicast recording, the persistent
fake filesystem, and the brute_force detection."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from phantomnet import plugins
from tests.conftest import require_tool
from tests.e2e.harness import PhantomNet, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20"]  # fmt: skip


def get(pn: PhantomNet, path: str, token: str, raw: bool = False) -> Any:
    req = urllib.request.Request(pn.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return body if raw else json.loads(body)


def wait_items(pn: PhantomNet, path: str, token: str, count: int = 1) -> list[dict[str, Any]]:
    deadline, items = time.monotonic() + 120, []
    while time.monotonic() < deadline:
        items = get(pn, path, token)["items"]
        if len(items) >= count:
            return items
        time.sleep(0.3)
    raise AssertionError(f"{path}: {len(items)} items, wanted {count}\n{pn.log()}")


def ssh(
    port: int, password: str, command: str, tmp: Path | None = None
) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", *SSH_OPTS, "-p", str(port), "root@127.0.0.1", command]
    env = None
    if tmp is None:
        argv = ["sshpass", "-p", password, *argv]
    else:  # several wrong passwords in one connection
        script = tmp / "askpass.sh"
        script.write_text(f"#!/bin/sh\necho '{password}'\n")
        script.chmod(0o700)
        env = {"SSH_ASKPASS": str(script), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0",
               "PATH": "/usr/bin:/bin"}  # fmt: skip
        argv[1:1] = ["-o", "NumberOfPasswordPrompts=10", "-o", "PreferredAuthentications=password"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def test_ssh_attack_is_readable_through_the_api(tmp_path: Path) -> None:
    require_tool("ssh", "sshpass")
    sensors: dict[str, Any] = {}
    for name in plugins.available(plugins.SENSORS):
        sensors[name] = {"host": "127.0.0.1", "port": free_port()}
        if name == "http":
            sensors[name]["tls_port"] = free_port()
    sensors["ssh"].update(auth_fail_delay_s=0.05, auth_fail_jitter=0.0)
    config = {"api": {"port": free_port()}, "sensors": sensors,
              "detectors": {"brute_force": {"threshold": 5}}}  # fmt: skip
    port = sensors["ssh"]["port"]
    with PhantomNet(tmp_path, config) as pn:
        pn.wait_http("/health")
        pn.wait_port(port)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()

        first = ssh(port, "123456", "uname -n; echo canary > /tmp/x")
        second = ssh(port, "123456", "cat /tmp/x")
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert second.stdout == "canary\n"
        failed = ssh(port, "not-the-password", "id", tmp=tmp_path)
        assert "Too many authentication failures" in failed.stderr

        attempts = wait_items(pn, "/api/events?kind=auth.attempt", token, count=8)
        accepted = [a for a in attempts if a["payload"]["accepted"]]
        assert len(accepted) == 2 and all(a["payload"]["hassh"] for a in attempts)
        commands = wait_items(pn, "/api/events?kind=command.input", token, count=2)
        assert {c["payload"]["command"] for c in commands} == {
            "uname -n; echo canary > /tmp/x", "cat /tmp/x"}  # fmt: skip

        session_id = next(
            c["session_id"] for c in commands if c["payload"]["command"] == "cat /tmp/x"
        )
        detail = wait_for_recording(pn, session_id, token)
        kinds = [e["kind"] for e in detail["events"]]
        assert (
            kinds[0] == "connection.opened" and "auth.attempt" in kinds and "command.input" in kinds
        )
        cast = get(pn, f"/api/sessions/{session_id}/recording", token, raw=True).decode()
        header, *frames = cast.splitlines()
        assert json.loads(header)["version"] == 2
        assert any("canary" in json.loads(f)[2] for f in frames)

        detections = wait_items(pn, "/api/events?kind=detection", token)
        assert any(d["payload"]["rule"] == "brute_force" and d["payload"]["protocol"] == "ssh"
                   for d in detections)  # fmt: skip
        code, _ = pn.stop()
    assert code == 0, pn.log()


def wait_for_recording(pn: PhantomNet, session_id: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            detail = get(pn, f"/api/sessions/{session_id}", token)
        except urllib.error.HTTPError:
            detail = None
        if detail and detail["session"]["has_recording"]:
            return dict(detail)
        time.sleep(0.3)
    raise AssertionError(f"session {session_id} never got its recording\n{pn.log()}")
