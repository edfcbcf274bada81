"""asyncssh as the client: public keys, SFTP and SCP uploads into the attacker's tree."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import asyncssh
import pytest

from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS, Running, run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _connect(port: int, **kwargs: object) -> asyncssh.SSHClientConnection:
    options: dict[str, object] = {
        "known_hosts": None,
        "username": "root",
        "client_keys": None,
        "agent_path": None,
        **kwargs,
    }
    return asyncssh.connect("127.0.0.1", port, **options)


async def test_asyncssh_exec_and_publickey_attempt_recorded(ssh: Running) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    async with _connect(ssh.port, client_keys=[key], password="password") as conn:
        result = await conn.run("cat /etc/os-release | head -1; ssh -V", check=False)
    assert result.stdout == 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
    assert result.stderr == ssh.sensor.persona.spec.ssh.client_version + "\n"
    await ssh.captured.wait_for(lambda c: len(c.of("auth.attempt")) >= 2)
    key_try, pw_try = ssh.captured.of("auth.attempt")[:2]
    assert key_try.method == "publickey" and not key_try.accepted
    assert key_try.key_fingerprint == key.get_fingerprint("sha256")
    assert key_try.key_type == "ssh-ed25519"
    assert pw_try.method == "password" and pw_try.accepted
    assert pw_try.client_version.startswith("SSH-2.0-AsyncSSH_")


async def test_sftp_upload_is_captured_and_visible_in_the_shell(ssh: Running) -> None:
    body = os.urandom(200_000)
    async with _connect(ssh.port, password="123456") as conn:
        async with conn.start_sftp_client() as sftp:
            async with sftp.open("/tmp/payload.bin", "wb") as fh:
                await fh.write(body)
            assert (await sftp.stat("/tmp/payload.bin")).size == len(body)
            assert "payload.bin" in await sftp.listdir("/tmp")
        listing = await conn.run("ls -l /tmp/payload.bin; sha256sum /tmp/payload.bin", check=False)
    digest = hashlib.sha256(body).hexdigest()
    assert f"{digest}  /tmp/payload.bin" in listing.stdout
    assert f" {len(body)} " in listing.stdout
    await ssh.captured.wait_for(lambda c: bool(c.of("file.upload")))
    [up] = ssh.captured.of("file.upload")
    assert (up.sha256, up.size, up.filename, up.truncated) == (
        digest,
        len(body),
        "/tmp/payload.bin",
        False,
    )
    assert (ssh.data_dir / up.stored_as).read_bytes() == body
    assert not Path("/tmp/payload.bin").exists() or Path("/tmp/payload.bin").read_bytes() != body


async def test_upload_over_cap_is_truncated(tmp_path: Path, host_key_dir: Path) -> None:
    from tests.integration.sensors.ssh.conftest import start_sensor

    running, task = await start_sensor(tmp_path, host_key_dir, upload_max_bytes=4096)
    try:
        async with (
            _connect(running.port, password="123456") as conn,
            conn.start_sftp_client() as sftp,
            sftp.open("big", "wb") as fh,
        ):
            await fh.write(b"A" * 10_000)
        await running.captured.wait_for(lambda c: bool(c.of("file.upload")))
        [up] = running.captured.of("file.upload")
        assert up.truncated and up.size == 10_000 and up.filename == "/root/big"
        assert (tmp_path / up.stored_as).stat().st_size == 4096
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_openssh_scp_upload_legacy_and_sftp_modes(ssh: Running, tmp_path: Path) -> None:
    require_tool("scp", "sshpass")
    src = tmp_path / "dropper.sh"
    src.write_bytes(b"#!/bin/sh\necho pwned\n")
    for mode in ("-O", "-s"):
        rc, _, err = await run(
            "sshpass",
            "-p",
            "123456",
            "scp",
            mode,
            *SSH_OPTS,
            "-P",
            str(ssh.port),
            str(src),
            "root@127.0.0.1:/tmp/",
        )
        assert rc == 0, (mode, err)
    await ssh.captured.wait_for(lambda c: len(c.of("file.upload")) >= 2)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert {u.sha256 for u in ssh.captured.of("file.upload")} == {digest}
    # the uploaded script runs in the fake shell, never on the machine
    rc, out, _ = await run(
        "sshpass",
        "-p",
        "123456",
        "ssh",
        *SSH_OPTS,
        "-p",
        str(ssh.port),
        "root@127.0.0.1",
        "chmod +x /tmp/dropper.sh; /tmp/dropper.sh",
    )
    assert rc == 0 and out == "pwned\n"


async def test_key_planted_in_authorized_keys_lets_that_source_back_in(ssh: Running) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    public = key.export_public_key("openssh").decode().strip()
    with pytest.raises(asyncssh.PermissionDenied):
        async with _connect(ssh.port, client_keys=[key], password=None, preferred_auth="publickey"):
            pass
    async with _connect(ssh.port, password="123456") as conn:
        await conn.run(f"mkdir -p ~/.ssh && echo '{public} bot' >> ~/.ssh/authorized_keys")
    async with _connect(ssh.port, client_keys=[key], preferred_auth="publickey") as conn:
        result = await conn.run("whoami", check=False)
    assert result.stdout == "root\n"
    await ssh.captured.wait_for(lambda c: len(c.of("auth.attempt")) >= 3)
    key_attempts = [a for a in ssh.captured.of("auth.attempt") if a.method == "publickey"]
    assert [a.accepted for a in key_attempts] == [False, True]
    assert {a.key_fingerprint for a in key_attempts} == {key.get_fingerprint("sha256")}
    assert not ssh.sensor.host.fs("198.51.100.99").exists("/root/.ssh/authorized_keys")


async def test_several_channels_share_one_recording(ssh: Running) -> None:
    async with _connect(ssh.port, password="123456") as conn:
        first = await conn.run("echo first-channel", check=False)
        second = await conn.run("echo second-channel", check=False)
    assert (first.stdout, second.stdout) == ("first-channel\n", "second-channel\n")
    await ssh.captured.wait_for(lambda c: bool(c.of("connection.closed")))
    [closed] = ssh.captured.of("connection.closed")
    lines = (ssh.data_dir / closed.recording).read_text().splitlines()
    assert json.loads(lines[0])["version"] == 2
    text = "".join(json.loads(x)[2] for x in lines[1:])
    assert "first-channel" in text and "second-channel" in text
