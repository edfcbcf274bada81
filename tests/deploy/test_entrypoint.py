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
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.deploy.tools import DEPLOY, DOORS, final_stage
from tests.e2e.harness import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

READY = re.compile(r"dashboard and API at (http://\S+)/")
DOOR = re.compile(r"door (\w+) listening on ")


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


class Started:
    """The entrypoint started as the image starts it, read up to its start-up summary."""

    def __init__(
        self, args: list[str], env: dict[str, str], data: Path, doors: int | None = None
    ) -> None:
        """``doors``: a sensor (no API) is up once that many doors logged where they listen."""
        self.uid, self.gid = image_user()
        self.env = env
        self.proc = subprocess.Popen(
            [str(DEPLOY / "docker-entrypoint.sh"), *args],
            env=env,
            cwd=data,
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log: list[str] = []
        self.url: str | None = None
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # until the start-up summary (or the process ends)
            self.log.append(line)
            found = READY.search(line)
            if found:
                self.url = found.group(1)
            if doors is not None and sum(DOOR.search(x) is not None for x in self.log) == doors:
                self.url = ""
            if self.url is not None:
                threading.Thread(target=self._drain, daemon=True).start()
                break

    def _drain(self) -> None:
        self.log.extend(self.proc.stdout or ())

    def text(self) -> str:
        return "".join(self.log)

    def check_running_as_the_image(self, command: str) -> None:
        assert self.url == f"http://127.0.0.1:{self.env['PHANTOMNET_API__PORT']}", self.text()
        # exec: the PID we started is `phantomnet ROLE` itself, so it receives docker's signals
        cmdline = Path(f"/proc/{self.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[-2:-1] == [command.encode()], cmdline
        assert cmdline[1].endswith(b"/phantomnet"), cmdline
        assert Path(f"/proc/{self.proc.pid}").stat().st_uid == self.uid
        with urllib.request.urlopen(self.url + "/health", timeout=30) as resp:
            health = json.loads(resp.read())
        assert resp.status == 200 and health["status"] == "ok", health
        check = subprocess.run(
            final_stage().healthcheck,
            env=self.env,
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            timeout=60,
        )
        assert check.returncode == 0  # the HEALTHCHECK docker would run

    def stop(self) -> int:
        """SIGTERM, as ``docker stop``; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=120)


def test_entrypoint_runs_the_image_command_as_the_image_user(data_dir: Path) -> None:
    image = final_stage()
    assert image.copies[f"/usr/local/bin/{image.entrypoint[0]}"] == "deploy/docker-entrypoint.sh"
    run = Started(image.cmd, image_env(data_dir, free_port()), data_dir)
    try:
        run.check_running_as_the_image("up")
        assert (data_dir / "phantomnet.db").stat().st_uid == run.uid  # migrated into the volume
    finally:
        code = run.stop()
    assert code == 0, run.text()
    assert "PhantomNet all: stopped" in run.text()


@pytest.fixture
def server_env(data_dir: Path, pg_database: str, redis_url: str) -> Iterator[dict[str, str]]:
    """The compose file's server environment, on a fresh database and a stream of its own."""
    stream = f"pn-test-deploy-{uuid.uuid4().hex[:8]}"
    env = image_env(data_dir, free_port())
    env.update(
        PHANTOMNET_ENV="prod",
        PHANTOMNET_SECRET_KEY=uuid.uuid4().hex,
        PHANTOMNET_NODE="server",
        PHANTOMNET_DATABASE__URL=pg_database,
        PHANTOMNET_BUS__BACKEND="redis",
        PHANTOMNET_BUS__URL=redis_url,
        PHANTOMNET_BUS__STREAM=stream,
        PHANTOMNET_BUS__DEAD_LETTER_STREAM=f"{stream}-dead",
    )
    yield env
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete(stream, f"{stream}-dead")
    client.close()


def test_server_entrypoint_migrates_then_serves(data_dir: Path, server_env: dict[str, str]) -> None:
    # without the entrypoint's migration the server refuses a fresh database ...
    refused = Started(["server"], {**server_env, "PHANTOMNET_SKIP_MIGRATE": "1"}, data_dir)
    assert refused.url is None and refused.stop() != 0, refused.text()
    assert "run `phantomnet migrate` first" in refused.text()
    # ... with it, the same command migrates, serves /health and stops cleanly
    run = Started(["server"], server_env, data_dir)
    try:
        run.check_running_as_the_image("server")
    finally:
        code = run.stop()
    assert code == 0, run.text()
    assert "PhantomNet server: stopped" in run.text()


def test_sensor_entrypoint_serves_the_doors_compose_checks(
    data_dir: Path, server_env: dict[str, str]
) -> None:
    ssh = free_port()
    env = {k: v for k, v in server_env.items() if not k.startswith("PHANTOMNET_DATABASE")}
    env.update(PHANTOMNET_NODE="sensor-1", PHANTOMNET_SENSORS__SSH__PORT=str(ssh))
    run = Started(["sensor"], env, data_dir, doors=len(DOORS))
    try:
        assert run.url == "", run.text()  # every door listening
        cmdline = Path(f"/proc/{run.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[-2:-1] == [b"sensor"], cmdline
        # the compose file's sensor health check, pointed at this SSH door
        test = compose_healthcheck("sensor")
        assert test[0] == "CMD" and "2222" in test[-1]
        argv = [*test[1:-1], test[-1].replace("2222", str(ssh))]
        check = subprocess.run(
            argv, env=env, user=run.uid, group=run.gid, extra_groups=[], timeout=60
        )
        assert check.returncode == 0
        with socket.create_connection(("127.0.0.1", ssh), timeout=30) as conn:
            assert conn.recv(64).startswith(b"SSH-2.0-OpenSSH_9.2p1")
    finally:
        code = run.stop()
    assert code == 0, run.text()
    assert "PhantomNet sensor: stopped" in run.text()


def compose_healthcheck(service: str) -> list[str]:
    """The health-check test of ``service`` as written in deploy/compose.yaml."""
    parsed = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return list(parsed["services"][service]["healthcheck"]["test"])
