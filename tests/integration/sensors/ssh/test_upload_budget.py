"""Uploads past the attacker's quota or the disk budget: refused before any byte reaches the
disk, answered with a protocol error, still recorded as ``file.upload`` (real scp/sftp)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS, Running, run, ssh_exec

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("ssh", "scp", "sftp", "sshpass")


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def shrink(ssh: Running, **limits: int) -> None:
    host = ssh.sensor.host
    host.limits = dataclasses.replace(host.limits, **limits)
    host._views.clear()  # views made from now on use the new limits


async def sftp_put(ssh: Running, src: Path, dest: str, source: str = "127.0.0.1") -> tuple:
    batch = src.parent / f"batch-{src.name}"
    batch.write_text(f"put {src} {dest}\n")
    return await run(
        "sshpass", "-p", "123456", "sftp", *SSH_OPTS, "-o", "BatchMode=no",
        "-o", f"BindAddress={source}",
        "-b", str(batch), "-P", str(ssh.port), "root@127.0.0.1",
    )  # fmt: skip


async def test_upload_past_quota_never_reaches_the_disk(ssh: Running, tmp_path: Path) -> None:
    shrink(ssh, max_owner_bytes=1024 * 1024)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024))
    rc, _, err = await sftp_put(ssh, big, "/tmp/big.bin")
    # SFTP v3 (OpenSSH) has no ENOSPC code: FX_FAILURE, which its client shows as "Failure"
    assert rc != 0 and 'write remote "/tmp/big.bin": Failure' in err, err
    rc, _, err = await run(
        "sshpass", "-p", "123456", "scp", "-O", *SSH_OPTS, "-P", str(ssh.port),
        str(big), "root@127.0.0.1:/tmp/big2.bin",
    )  # fmt: skip
    assert rc != 0
    await ssh.captured.wait_for(lambda c: len(c.of("file.upload")) >= 2)
    ups = ssh.captured.of("file.upload")
    assert {u.refused for u in ups} == {"quota"}
    assert all(u.stored_as is None and u.truncated for u in ups)
    assert disk_bytes(ssh.data_dir / "uploads") < 1024 * 1024  # not 3 MB, not 6 MB
    # the attacker's tree shows no half file, and a small upload still works
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "ls /tmp/big.bin /tmp/big2.bin"))
    assert "No such file" in out or rc != 0
    small = tmp_path / "small.sh"
    small.write_bytes(b"echo hi\n")
    rc, _, err = await sftp_put(ssh, small, "/tmp/small.sh")
    assert rc == 0, err
    await ssh.captured.wait_for(lambda c: any(u.refused is None for u in c.of("file.upload")))


async def test_disk_budget_is_shared_and_bounds_the_real_disk(ssh: Running, tmp_path: Path) -> None:
    disk = ssh.sensor.host.disk
    disk.limit = disk.used + 512 * 1024
    body = tmp_path / "part.bin"
    body.write_bytes(os.urandom(200 * 1024))
    results = []
    for i in range(5):  # five sources, each well under its own quota
        rc, _, _err = await sftp_put(ssh, body, f"/tmp/p{i}.bin", source=f"127.0.0.{20 + i}")
        body.write_bytes(os.urandom(200 * 1024))  # a new body: no dedup by SHA-256
        results.append(rc)
    assert results[:2] == [0, 0] and all(rc != 0 for rc in results[3:])
    await ssh.captured.wait_for(lambda c: len(c.of("file.upload")) == 5)
    refused = [u.refused for u in ssh.captured.of("file.upload")]
    assert refused[:2] == [None, None] and set(refused[3:]) == {"disk"}
    assert disk_bytes(ssh.data_dir / "uploads") <= 512 * 1024
    assert disk.used <= disk.limit
    # the door still serves everyone else
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "echo served"))
    assert (rc, out) == (0, "served\n")


async def test_recordings_stop_when_the_disk_budget_is_spent(ssh: Running) -> None:
    disk = ssh.sensor.host.disk
    disk.limit = disk.used + 4096
    line = "cat /etc/services /etc/services /etc/services; echo end"
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", line))
    assert rc == 0 and out.endswith("end\n")  # the session itself is not affected
    await ssh.captured.wait_for(lambda c: bool(c.of("connection.closed")))
    [closed] = ssh.captured.of("connection.closed")
    assert (ssh.data_dir / closed.recording).stat().st_size <= 4096
    assert disk.used <= disk.limit
