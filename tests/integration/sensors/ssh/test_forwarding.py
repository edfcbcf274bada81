"""Agent, X11, local (-L) forwarding and subsystem requests over real OpenSSH (issue 11):
each is refused like sshd with forwarding disabled, recorded as ``session.request`` with
what was asked for, and the session goes on (the command after it still runs)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS, Running, run, ssh_exec

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("ssh", "sshpass", "ssh-agent")


def _requests(ssh: Running, kind: str) -> list[tuple[str, bool]]:
    return [(e.target, e.accepted) for e in ssh.captured.of("session.request") if e.request == kind]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_agent_forwarding_is_refused_recorded_and_the_session_runs(
    ssh: Running, tmp_path: Path
) -> None:
    # OpenSSH asks for the agent only when it has one: a real ssh-agent, stopped by its pid
    sock = tmp_path / "agent.sock"
    agent = await asyncio.create_subprocess_exec(
        "ssh-agent", "-D", "-a", str(sock), stdout=asyncio.subprocess.DEVNULL
    )
    try:
        async with asyncio.timeout(30):
            while not sock.exists():
                await asyncio.sleep(0.05)
        rc, out, err = await run(
            *ssh_exec(ssh.port, "123456", "echo agent-in; id -u", "root", "-A"),
            env={"SSH_AUTH_SOCK": str(sock)},
        )
        assert (rc, out) == (0, "agent-in\n0\n"), err
        await ssh.captured.wait_for(lambda c: bool(_requests(ssh, "agent")))
        assert _requests(ssh, "agent") == [("", False)]
    finally:
        agent.send_signal(signal.SIGTERM)
        await agent.wait()


async def test_x11_forwarding_is_refused_recorded_and_the_session_runs(ssh: Running) -> None:
    # the request needs only a DISPLAY on the client side, no X server (-Y: no xauth either)
    rc, out, err = await run(
        *ssh_exec(ssh.port, "123456", "echo x11-in", "root", "-Y"),
        env={"DISPLAY": "127.0.0.1:93", "XAUTHORITY": os.devnull},
    )
    assert (rc, out) == (0, "x11-in\n"), err
    await ssh.captured.wait_for(lambda c: bool(_requests(ssh, "x11")))
    [(target, accepted)] = _requests(ssh, "x11")
    assert target == "screen 0" and not accepted


async def test_local_forward_channel_is_refused_recorded_and_the_session_runs(
    ssh: Running,
) -> None:
    """``-L``: OpenSSH opens a direct-tcpip channel when something connects to its local
    port; the honeypot refuses it (never connects out) and the shell keeps running."""
    local = _free_port()
    argv = [
        "sshpass", "-p", "123456", "ssh", *SSH_OPTS, "-T", "-L", f"{local}:10.9.8.7:3306",
        "-o", "ExitOnForwardFailure=no", "-p", str(ssh.port), "root@127.0.0.1",
    ]  # fmt: skip
    client = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert client.stdin is not None and client.stdout is not None
    try:
        client.stdin.write(b"echo ready\n")
        async with asyncio.timeout(60):
            assert await client.stdout.readline() == b"ready\n"
        # the tunnel's local end: connecting makes the client ask for the channel
        reader, writer = await asyncio.open_connection("127.0.0.1", local)
        async with asyncio.timeout(30):
            assert await reader.read(100) == b""  # refused channel: the client closes it
        writer.close()
        await ssh.captured.wait_for(lambda c: bool(_requests(ssh, "direct-tcpip")))
        assert _requests(ssh, "direct-tcpip") == [("10.9.8.7:3306", False)]
        client.stdin.write(b"echo still-here\nexit\n")
        async with asyncio.timeout(60):
            rest = await client.stdout.read()
        assert b"still-here\n" in rest
    finally:
        if client.returncode is None:
            client.kill()
        await client.wait()


async def test_subsystem_request_is_refused_recorded_and_the_next_login_runs(
    ssh: Running,
) -> None:
    rc, _, _ = await run(*ssh_exec(ssh.port, "123456", "x11-agent\x1b[2J", "root", "-s"))
    assert rc != 0
    await ssh.captured.wait_for(lambda c: bool(_requests(ssh, "subsystem")))
    [(target, accepted)] = _requests(ssh, "subsystem")
    assert target == "x11-agent\\x1b[2J" and not accepted  # attacker text, escaped
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "echo after"))
    assert (rc, out) == (0, "after\n")
