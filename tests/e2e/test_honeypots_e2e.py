"""``phantomnet up`` with the HTTP(S), FTP and SMTP honeypots, attacked by curl, lftp and
swaks; everything read back through the API (events and detections)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_up import free_sensor_ports

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


def sh(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


def test_up_records_web_ftp_and_smtp_attacks(tmp_path: Path) -> None:
    require_tool("curl", "lftp", "swaks")
    sensors = free_sensor_ports()
    sensors["ftp"]["failed_login_delay_s"] = 0.05
    web, tls = sensors["http"]["port"], sensors["http"]["tls_port"]
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        pn.wait_http("/health")
        for port in (web, tls, sensors["ftp"]["port"], sensors["smtp"]["port"]):
            pn.wait_port(port)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()

        passwd = sh("curl", "-sS", "--path-as-is", f"http://127.0.0.1:{web}/../../../etc/passwd")
        assert passwd.stdout.startswith("root:x:0:0:root:/root:/bin/bash\n")
        sqli = sh("curl", "-sS", f"http://127.0.0.1:{web}/products.php?id=1%27")
        assert "You have an error in your SQL syntax" in sqli.stdout
        ping = sh("curl", "-sSk", f"https://127.0.0.1:{tls}/ping.php?ip=1;id")
        assert "uid=33(www-data)" in ping.stdout
        payload = tmp_path / "drop.sh"
        payload.write_text("#!/bin/sh\necho pwned\n")
        ftp = sh("lftp", "-u", "anonymous,a@b.c", "-p", str(sensors["ftp"]["port"]), "-e",
                 f"set net:max-retries 1; cd incoming; put {payload} -o drop.sh; bye", "127.0.0.1")  # fmt: skip
        assert ftp.returncode == 0, ftp.stderr
        mail = sh("swaks", "--server", f"127.0.0.1:{sensors['smtp']['port']}", "--to",
                  "victim@example.org", "--from", "a@b.c", "--auth", "LOGIN", "--auth-user", "u",
                  "--auth-password", "p", "--attach", str(payload))  # fmt: skip
        assert mail.returncode == 0, mail.stdout + mail.stderr

        requests = wait_items(pn, "/api/events?kind=http.request", token, 3)
        tags = {tuple(r["payload"]["tags"]) for r in requests}
        assert {("traversal",), ("sqli",), ("cmd_injection",)} <= tags
        tls = [r["payload"] for r in requests if r["payload"]["tls"]]
        assert tls and tls[0]["ja3"] and tls[0]["ja4"].startswith("t13")  # curl's ClientHello
        upload = wait_items(pn, "/api/events?kind=file.upload", token)[0]["payload"]
        assert upload["protocol"] == "ftp" and upload["size"] == payload.stat().st_size
        message = wait_items(pn, "/api/events?kind=smtp.message", token)[0]["payload"]
        assert message["rcpt_to"] == ["victim@example.org"] and message["attachments"]
        logins = wait_items(pn, "/api/events?kind=auth.attempt&protocol=smtp", token)
        assert logins[0]["payload"]["username"] == "u"
        detections = wait_items(pn, "/api/detections", token, 3)
        by_rule = {d["rule"]: d for d in detections}
        assert {"http_sqli", "http_traversal", "http_cmd_injection"} <= set(by_rule), detections
        assert by_rule["http_cmd_injection"]["protocol"] == "https"
        assert by_rule["http_sqli"]["src_ip"] == "127.0.0.1" and by_rule["http_sqli"]["evidence"]
        code, _ = pn.stop()
    assert code == 0, pn.log()[-3000:]


def test_up_against_scanners_sqlmap_and_hydra(tmp_path: Path) -> None:
    require_tool("nmap", "sqlmap", "hydra")
    sensors = free_sensor_ports()
    sensors["ftp"]["failed_login_delay_s"] = 0.05
    config = {"api": {"port": free_port()}, "sensors": sensors,
              "detectors": {"brute_force": {"threshold": 5}}}  # fmt: skip
    web = sensors["http"]["port"]
    with PhantomNet(tmp_path, config) as pn:
        pn.wait_http("/health")
        ports = [web, sensors["http"]["tls_port"], sensors["ftp"]["port"], sensors["smtp"]["port"]]
        for port in ports:
            pn.wait_port(port)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()

        scan = sh("nmap", "-sV", "-Pn", "-n", "-p", ",".join(map(str, ports)), "127.0.0.1",
                  timeout=180).stdout  # fmt: skip
        assert f"{ports[0]}/tcp open  http" in scan and "Apache httpd 2.4.65 ((Debian))" in scan
        assert f"{ports[1]}/tcp open  ssl/http" in scan, scan
        assert "vsftpd 3.0.3" in scan and "Postfix smtpd" in scan, scan
        assert "honeypot" not in scan.lower()

        out = tmp_path / "sqlmap"
        found = sh("sqlmap", "-u", f"http://127.0.0.1:{web}/products.php?id=1", "--batch",
                   "--output-dir", str(out), "--timeout", "5", "--retries", "0", "--threads", "1",
                   "--technique=BU", "--dump", "-T", "users", "-D", "shop", "--answers=crack=N",
                   timeout=180).stdout  # fmt: skip
        assert "(MariaDB fork)" in found and "[5 entries]" in found, found[-2000:]

        (tmp_path / "users").write_text("admin\n")
        (tmp_path / "pw").write_text("".join(f"wrong{i}\n" for i in range(8)))
        hydra = subprocess.run(
            ["hydra", "-I", "-l", "admin", "-P", "pw", "-t", "2", "-s", str(web), "127.0.0.1",
             "http-post-form", "/wp-login.php:log=^USER^&pwd=^PASS^:F=incorrect"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        assert "0 valid password" in hydra.stdout, hydra.stdout

        detections = wait_items(pn, "/api/detections", token, 2)
        brute = [d for d in detections if d["rule"] == "brute_force"]
        assert brute and brute[0]["protocol"] == "http", detections
        sqli = [d for d in detections if d["rule"] == "http_sqli"]
        assert sqli and sqli[0]["src_ip"] == "127.0.0.1"
        failed = wait_items(pn, "/api/events?kind=auth.attempt&protocol=http", token, 8)
        assert {e["payload"]["username"] for e in failed} == {"admin"}
        code, _ = pn.stop()
    assert code == 0, pn.log()[-3000:]
