"""RLIMIT_NOFILE against the configured limits, and a door under EMFILE (real sockets).

Limits are changed only in child processes, never in the test process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS

PY = sys.executable


def child(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


SENSOR = """
import resource, sys, tempfile
from pathlib import Path
from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import ConfigError
from phantomnet.runtime.limits import check_nofile
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.ssh.config import SshConfig
from phantomnet.sensors.ssh.sensor import SshSensor

def ssh(**cfg):
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=Path(tempfile.mkdtemp()))
    return SshSensor(SshConfig(**cfg), ctx)
"""


def test_soft_limit_is_raised_toward_the_hard_one() -> None:
    out = child(
        SENSOR
        + """
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (300, hard))
got = check_nofile([ssh(max_sessions=600, tarpit={"max_held": 100})])
print(got, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["956", "956"]  # 600 + 100 + 256 reserved


def test_elastic_tarpit_shrinks_to_what_is_left() -> None:
    out = child(
        SENSOR
        + """
resource.setrlimit(resource.RLIMIT_NOFILE, (300, 1000))
sensor = ssh(max_sessions=500, tarpit={"max_held": 20000})
print(check_nofile([sensor]), sensor.tarpit.cap)
"""
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1000", "244"]  # 1000 - 500 - 256
    assert "at most 244 tarpitted connections" in out.stderr


def test_too_low_hard_limit_refuses_with_one_line_naming_the_settings() -> None:
    out = child(
        SENSOR
        + """
resource.setrlimit(resource.RLIMIT_NOFILE, (200, 400))
try:
    check_nofile([ssh(max_sessions=20000)])
except ConfigError as exc:
    print(exc)
"""
    )
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert "sensors.ssh.max_sessions=20000" in line and "RLIMIT_NOFILE" in line


@pytest.mark.timeout(120)
def test_door_under_emfile_logs_once_and_keeps_serving(tmp_path: Path) -> None:
    """An SSH sensor in a child with 60 descriptors: 200 connections exhaust them; the log
    holds one accept line (not a traceback per try) and after the flood a client logs in."""
    require_tool("ssh", "sshpass")
    script = tmp_path / "door.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, logging, resource, sys
            from pathlib import Path
            from phantomnet.bus.memory import MemoryBus
            from phantomnet.runtime.limits import _install_accept_filter
            from phantomnet.sensors.base import SensorContext
            from phantomnet.sensors.ssh.config import SshConfig
            from phantomnet.sensors.ssh.sensor import SshSensor

            logging.basicConfig(level=logging.INFO, stream=sys.stderr)
            _install_accept_filter()

            async def main():
                bus = MemoryBus()
                cfg = SshConfig(host="127.0.0.1", port=0, auth_fail_delay_s=0.0,
                                max_per_source=1000, max_sessions=1000)
                sensor = SshSensor(cfg, SensorContext(node="t", bus=bus, data_dir=Path(sys.argv[1])))
                await sensor.start()
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (60, hard))
                print(sensor.bound_port, flush=True)
                await asyncio.sleep(3600)

            asyncio.run(main())
            """
        )
    )
    proc = subprocess.Popen(
        [PY, str(script), str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        socks = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            socks.append(s)
        # let the door run into EMFILE for a few accept retries (asyncio retries each second)
        probe = socket.create_connection(("127.0.0.1", port), timeout=5)
        probe.settimeout(3.5)
        with contextlib.suppress(TimeoutError):
            probe.recv(64)
        probe.close()
        for s in socks:
            s.close()
        done = subprocess.run(
            ["sshpass", "-p", "123456", "ssh", *SSH_OPTS, "-p", str(port),
             "root@127.0.0.1", "echo served"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.stdout == "served\n", done.stderr
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    accept_lines = [ln for ln in err.splitlines() if "out of system resource" in ln]
    assert 1 <= len(accept_lines) <= 2, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
