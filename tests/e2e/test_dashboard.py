"""The dashboard end to end: real ``phantomnet up``, real SSH/HTTP clients, real Chromium.

``phantomnet up`` runs as a subprocess (temp data dir, SQLite, free ports); an admin token
comes from ``phantomnet token create``. The browser script (web/e2e/dashboard.e2e.mjs, node +
playwright-core + Debian's Chromium) signs in and waits with the live stream open; this test
then logs in over SSH with OpenSSH (sshpass) and runs commands carrying a unique marker, probes
the HTTP sensor with curl, and tells the script, which must see the marker arrive live without a
reload, open the attacker page and replay the session. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from phantomnet import plugins
from tests.conftest import require_tool, unavailable
from tests.e2e.harness import PhantomNet, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).parents[2]
WEB = ROOT / "web"
SCRIPT = WEB / "e2e" / "dashboard.e2e.mjs"
STATIC_INDEX = ROOT / "src" / "phantomnet" / "dashboard" / "static" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM = Path("/usr/bin/chromium")
#: Passwords tried in turn (bounded): the honeypot accepts a login from its credential policy.
PASSWORDS = ("123456", "password", "root", "admin", "toor")


def require_browser_stack() -> None:
    require_tool("node", "ssh", "sshpass", "curl")
    if not CHROMIUM.exists():
        unavailable("Debian chromium is not installed (/usr/bin/chromium)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        unavailable("web/node_modules missing: run `cd web && npm ci`")
    if not STATIC_INDEX.exists():
        unavailable("dashboard not built: run `make web`")
    if "ssh" not in plugins.available(plugins.SENSORS):
        unavailable("the ssh sensor is not registered")


def config(api_port: int, ports: dict[str, int]) -> dict[str, Any]:
    """Only the sensors we attack run (others disabled), all on free loopback ports."""
    sensors: dict[str, Any] = {
        name: {"enabled": False} for name in plugins.available(plugins.SENSORS)
    }
    for name, port in ports.items():
        sensors[name] = {"host": "127.0.0.1", "port": port}
    return {"api": {"port": api_port, "host": "127.0.0.1"}, "sensors": sensors}


def ssh_attack(port: int, marker: str) -> list[str]:
    """Log in with OpenSSH (password via sshpass) and type commands in a shell (pty)."""
    script = f"uname -a\nid\necho {marker}\ncat /etc/passwd | head -3\nexit\n"
    tried: list[str] = []
    for password in PASSWORDS:
        cmd = [
            "sshpass", "-p", password, "ssh", "-tt", "-p", str(port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=password,keyboard-interactive",
            "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            "root@127.0.0.1",
        ]  # fmt: skip
        res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=30)
        tried.append(f"{password}: rc={res.returncode} {res.stderr.strip()[-120:]}")
        if marker in res.stdout:
            return tried
    raise AssertionError("no SSH login succeeded:\n" + "\n".join(tried))


def http_probe(url: str) -> None:
    subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-A", "pn-e2e-scanner", "--max-time", "10", url],
        check=True,
        timeout=20,
    )


class Browser:
    """The node script, spoken to over stdin/stdout."""

    def __init__(self, url: str, token: str, marker: str) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PHANTOMNET_")},
            "PN_URL": url, "PN_TOKEN": token, "PN_MARKER": marker,
            "PN_ARTIFACTS": str(ARTIFACTS), "PN_TIMEOUT_MS": "30000",
        }  # fmt: skip
        self.proc = subprocess.Popen(
            ["node", str(SCRIPT)], cwd=WEB, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.strip() == "READY":
                return
            if line.startswith("RESULT ") or not line:
                raise AssertionError(f"browser failed before READY: {line}{self.stderr()}")
        raise TimeoutError("browser never became ready")

    def finish(self, timeout: float = 150) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("ATTACKED\n")
        self.proc.stdin.flush()
        out, err = self.proc.communicate(timeout=timeout)
        lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
        assert lines, f"no RESULT from the browser script; stderr:\n{err}"
        result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
        result["returncode"] = self.proc.returncode
        return result

    def stderr(self) -> str:
        self.proc.kill()
        return self.proc.communicate(timeout=10)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_dashboard_live_attack_attacker_page_and_replay(tmp_path: Path) -> None:
    require_browser_stack()
    marker = f"pn-e2e-{uuid.uuid4().hex[:10]}"
    api_port, ssh_port = free_port(), free_port()
    ports = {"ssh": ssh_port}
    has_http = "http" in plugins.available(plugins.SENSORS)
    if has_http:
        ports["http"] = free_port()
    with PhantomNet(tmp_path, config(api_port, ports)) as pn:
        pn.wait_http("/health", timeout=90)
        pn.wait_port(ssh_port)
        token = pn.cli("token", "create", "--role", "admin", "--name", "e2e").stdout.strip()
        assert token, "token create printed nothing"
        browser = Browser(pn.api, token, marker)
        try:
            browser.wait_ready()
            ssh_attack(ssh_port, marker)
            http_probe(f"http://127.0.0.1:{ports['http']}/wp-login.php" if has_http else pn.api)
            result = browser.finish()
        finally:
            browser.stop()
        pn.assert_alive()
    assert result["returncode"] == 0, json.dumps(result, indent=2) + "\n" + pn.log()[-3000:]
    assert result["role"] == "admin"
    assert result["noReload"] is True
    assert marker in result["liveRowText"]
    assert result["attackerIp"] == "127.0.0.1"
    assert result["blockControlShown"] is True
    assert any(marker in line for line in result["replayText"])
    assert result["mapDrawn"] is True
    assert result["pageErrors"] == []
    assert result["cspViolations"] == []  # the strict CSP of the dashboard breaks nothing
    assert result["drawerHasFocus"] is True and result["focusReturned"] is True
    for name in ("01-sign-in", "02-overview", "03-attacker", "04-replay", "05-events-drawer"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
