"""The image's entrypoint, run as the image runs it but outside a container: the same user
(uid 10001), the same environment (the Dockerfile's ENV, with /opt/phantomnet mapped to this
venv and the data volume to a temp dir), the same working directory and command. /health
answers, the image's own HEALTHCHECK command passes, and SIGTERM (docker stop) stops it cleanly.

No Docker engine is needed; every door listens on a free port so nothing else is disturbed.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, DOORS, final_stage
from tests.e2e.harness import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

READY = re.compile(r"dashboard and API at (http://\S+)/")


def can_run_as(uid: int, gid: int) -> bool:
    """Can ``uid`` start this interpreter? (Not when it lives under a 0700 home, e.g. pyenv
    in /root: then the test runs as ourselves, with the image's environment still.)"""
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import phantomnet"],
            user=uid, group=gid, extra_groups=[], capture_output=True, timeout=60,
        )  # fmt: skip
    except PermissionError:
        return False
    return probe.returncode == 0


def image_user() -> tuple[int, int]:
    """The image's USER (created like the Dockerfile does when missing), if we may switch to it
    and it can run this venv; otherwise ourselves."""
    uid, _, gid = final_stage().user.partition(":")
    if os.geteuid() != 0 or not can_run_as(int(uid), int(gid)):
        return os.geteuid(), os.getegid()
    try:
        pwd.getpwuid(int(uid))
    except KeyError:
        if shutil.which("useradd") is not None:
            subprocess.run(["groupadd", "--system", "--gid", gid, "phantomnet"], check=False)
            subprocess.run(
                ["useradd", "--system", "--uid", uid, "--gid", gid, "--no-create-home",
                 "--home-dir", "/var/lib/phantomnet", "--shell", "/usr/sbin/nologin",
                 "phantomnet"],
                check=False, capture_output=True,
            )  # fmt: skip
    return int(uid), int(gid)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    uid, gid = image_user()
    path = Path(tempfile.mkdtemp(prefix="phantomnet-deploy-"))  # not under a 0700 pytest dir
    os.chown(path, uid, gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def image_env(data: Path, api_port: int) -> dict[str, str]:
    """The Dockerfile's ENV with the image's paths mapped onto this machine."""
    image = final_stage()
    env: dict[str, str] = {}
    for key, value in image.env.items():
        value = value.replace("/opt/phantomnet", sys.prefix)
        value = value.replace(image.workdir, str(data))
        env[key] = value.replace("$PATH", "/usr/local/bin:/usr/bin:/bin")
    env["PHANTOMNET_API__PORT"] = str(api_port)
    for door in DOORS:  # free ports: the machine runs other PhantomNets
        env[f"PHANTOMNET_SENSORS__{door.upper()}__PORT"] = "0"
    env["PHANTOMNET_SENSORS__HTTP__TLS_PORT"] = "0"
    return env


def test_entrypoint_runs_the_image_command_as_the_image_user(data_dir: Path) -> None:
    image = final_stage()
    uid, gid = image_user()
    script = DEPLOY / "docker-entrypoint.sh"
    assert image.copies[f"/usr/local/bin/{image.entrypoint[0]}"] == "deploy/docker-entrypoint.sh"
    env = image_env(data_dir, free_port())
    proc = subprocess.Popen(
        [str(script), *image.cmd],
        env=env,
        cwd=data_dir,
        user=uid,
        group=gid,
        extra_groups=[],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    log: list[str] = []
    url = None
    try:
        for line in proc.stdout:  # until the start-up summary (or the process ends)
            log.append(line)
            found = READY.search(line)
            if found:
                url = found.group(1)
                break
        assert url is not None, "no start-up summary:\n" + "".join(log)
        drain = threading.Thread(target=lambda: log.extend(proc.stdout or ()), daemon=True)
        drain.start()
        assert url == f"http://127.0.0.1:{env['PHANTOMNET_API__PORT']}"
        # exec: the PID we started is `phantomnet up` itself, so it receives docker's signals
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[-2:-1] == [b"up"] and cmdline[1].endswith(b"/phantomnet"), cmdline
        assert Path(f"/proc/{proc.pid}").stat().st_uid == uid
        with urllib.request.urlopen(url + "/health", timeout=30) as resp:
            health = json.loads(resp.read())
        assert resp.status == 200 and health["status"] == "ok", health
        check = subprocess.run(
            image.healthcheck, env=env, user=uid, group=gid, extra_groups=[], timeout=60
        )
        assert check.returncode == 0  # the HEALTHCHECK docker would run
        assert (data_dir / "phantomnet.db").stat().st_uid == uid  # migrated into the volume
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM, as `docker stop`
        code = proc.wait(timeout=120)
    assert code == 0, "".join(log)
    assert any("PhantomNet all: stopped" in line for line in log), "".join(log)
