"""``phantomnet up`` keeps its data private: the data dir and every directory in it 0700,
every file 0600 (database and its -wal/-shm, recordings, uploads, mail, spool, honeytokens,
fake-fs overlays, host and TLS keys), after a little attack on every door; and a data dir an
older version left world-readable is tightened at start, with a log line saying so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_honeypots_e2e import sh, wait_items
from tests.e2e.test_ssh_e2e import ssh
from tests.e2e.test_up import free_sensor_ports

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def loose_modes(data_dir: Path) -> dict[str, str]:
    """Every entry whose mode is not exactly 0700 (directory) / 0600 (file)."""
    bad: dict[str, str] = {}
    entries = [data_dir, *data_dir.rglob("*")]
    for path in entries:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        want = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        if stat.S_IMODE(info.st_mode) != want:
            bad[str(path.relative_to(data_dir))] = oct(stat.S_IMODE(info.st_mode))
    return bad


def test_data_dir_and_every_file_are_private(tmp_path: Path) -> None:
    require_tool("ssh", "sshpass", "curl", "lftp", "swaks")
    data = tmp_path / "data"
    (data / "old").mkdir(parents=True)
    os.chmod(data, 0o755)
    os.chmod(data / "old", 0o755)
    (data / "old" / "left-by-an-older-version.log").write_text("x")
    os.chmod(data / "old" / "left-by-an-older-version.log", 0o644)
    os.umask(0o022)  # the usual shell umask: PhantomNet must not depend on the caller's

    sensors = free_sensor_ports()
    sensors["ssh"].update(auth_fail_delay_s=0.05, auth_fail_jitter=0.0)
    sensors["ftp"]["failed_login_delay_s"] = 0.05
    web, tls = sensors["http"]["port"], sensors["http"]["tls_port"]
    with PhantomNet(tmp_path, {"api": {"port": free_port()}, "sensors": sensors}) as pn:
        pn.wait_http("/health")
        for section in sensors.values():
            pn.wait_port(section["port"])
        pn.wait_port(tls)
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()

        login = ssh(sensors["ssh"]["port"], "123456", "echo canary > /tmp/x; cat /tmp/x")
        assert login.returncode == 0 and login.stdout == "canary\n", login.stderr
        assert sh("curl", "-sS", f"http://127.0.0.1:{web}/").returncode == 0
        assert sh("curl", "-sSk", f"https://127.0.0.1:{tls}/").returncode == 0
        payload = tmp_path / "drop.sh"
        payload.write_text("#!/bin/sh\necho pwned\n")
        ftp = sh("lftp", "-u", "anonymous,a@b.c", "-p", str(sensors["ftp"]["port"]), "-e",
                 f"set net:max-retries 1; cd incoming; put {payload} -o drop.sh; bye", "127.0.0.1")  # fmt: skip
        assert ftp.returncode == 0, ftp.stderr
        mail = sh("swaks", "--server", f"127.0.0.1:{sensors['smtp']['port']}", "--to",
                  "victim@example.org", "--from", "a@b.c", "--attach", str(payload))  # fmt: skip
        assert mail.returncode == 0, mail.stdout + mail.stderr

        wait_items(pn, "/api/events?kind=command.input", token)
        wait_items(pn, "/api/events?kind=file.upload", token)
        wait_items(pn, "/api/events?kind=smtp.message", token)
        wait_items(pn, "/api/events?kind=http.request", token, 2)
        running = loose_modes(data)  # while running: the SQLite -wal and -shm exist
        names = {p.name for p in data.rglob("*")}
        tops = {p.relative_to(data).parts[0] for p in data.rglob("*")}
        code, _ = pn.stop()
    assert code == 0, pn.log()[-3000:]
    assert {"phantomnet.db", "phantomnet.db-wal", "phantomnet.db-shm"} <= names, sorted(names)
    assert {"honeytokens.json", "fs.sqlite", "ssh_host_ed25519_key"} <= names, sorted(names)
    assert {"recordings", "uploads", "smtp", "tls", "deception", "ssh"} <= tops, sorted(tops)
    assert running == {}, running
    assert loose_modes(data) == {}
    assert "removed group/other access from 3 existing entries" in pn.log(), pn.log()[-3000:]
