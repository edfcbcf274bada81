"""Abuse over real OpenSSH: shell bombs, emulator failures, forwarding requests, a CPU hog.

Each test asserts that the platform keeps serving (the next command, the next login) and
that what the attacker did is on the record.
"""

from __future__ import annotations

import asyncio
import resource

import pytest

from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import SSH_OPTS, Running, run, ssh_exec

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("ssh", "sshpass")


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


async def test_failing_command_is_recorded_and_answered(ssh: Running) -> None:
    line = (
        "echo x > /tmp/bot.sh; head -c 1K /etc/passwd >/dev/null; ping -c zz 10.1.1.1; echo after"
    )
    rc, out, err = await run(*ssh_exec(ssh.port, "123456", line))
    assert out.endswith("after\n"), (out, err)
    assert "Segmentation fault" in err
    await ssh.captured.wait_for(lambda c: bool(c.of("command.error")))
    [cmd] = ssh.captured.of("command.input")
    assert cmd.command == line and cmd.known
    [error] = ssh.captured.of("command.error")
    assert error.reason == "emulator" and error.session_id == cmd.session_id
    # the event order is the run order: the input comes before its error
    kinds = [e.kind for e in ssh.captured.events]
    assert kinds.index("command.input") < kinds.index("command.error")
    rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "cat /tmp/bot.sh"))
    assert (rc, out) == (0, "x\n")


async def test_memory_and_printf_bombs_end_their_line_only(ssh: Running) -> None:
    before = rss_mb()
    script = b"x=a; while true; do x=$x$x; done\nprintf '%999999999d' 1\necho alive\nexit\n"
    _rc, out, err = await run(
        "sshpass", "-p", "123456", "ssh", *SSH_OPTS, "-T", "-p", str(ssh.port),
        "root@127.0.0.1", stdin=script,
    )  # fmt: skip
    assert "alive" in out, (out, err)
    assert err.count("xmalloc: cannot allocate") == 2
    assert rss_mb() - before < 300
    await ssh.captured.wait_for(lambda c: len(c.of("command.error")) == 2)
    assert {e.reason for e in ssh.captured.of("command.error")} == {"memory"}
    assert len(ssh.captured.of("command.input")) == 4


async def test_refused_forwarding_requests_are_recorded(ssh: Running) -> None:
    # -W opens a direct-tcpip channel; -R asks for tcpip-forward; -A asks for the agent
    rc, _, _err = await run(
        "sshpass", "-p", "123456", "ssh", *SSH_OPTS, "-p", str(ssh.port),
        "-W", "10.9.8.7:25", "root@127.0.0.1", stdin=b"",
    )  # fmt: skip
    assert rc != 0
    rc, out, _ = await run(
        *ssh_exec(
            ssh.port, "123456", "echo in", "root",
            "-A", "-R", "0:127.0.0.1:9", "-o", "ExitOnForwardFailure=no",
        )
    )  # fmt: skip
    assert "in" in out

    def seen(c: object) -> set[str]:
        return {e.request for e in ssh.captured.of("session.request")}

    await ssh.captured.wait_for(lambda c: {"direct-tcpip", "tcpip-forward"} <= seen(c))
    by_kind = {e.request: e for e in ssh.captured.of("session.request")}
    assert by_kind["direct-tcpip"].target == "10.9.8.7:25"
    assert by_kind["tcpip-forward"].target.endswith(":0")
    assert not any(e.accepted for e in by_kind.values())


async def test_cpu_hogs_from_one_source_do_not_lock_out_another_client(ssh: Running) -> None:
    """Eight sessions from 127.0.0.2 run CPU-heavy lines; 127.0.0.1 still logs in and runs a
    command meanwhile (no timing assertion: the hogs are still running when it is done)."""
    hog = b"for i in $(seq 2000); do for j in $(seq 2000); do x=$i$j; done; done\n" * 40
    argv = ["sshpass", "-p", "123456", "ssh", *SSH_OPTS, "-T", "-b", "127.0.0.2",
            "-p", str(ssh.port), "root@127.0.0.1"]  # fmt: skip
    procs = [
        await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(8)
    ]
    try:
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(hog)
        sched = ssh.sensor.host.scheduler
        async with asyncio.timeout(60):
            while sched.used.get("127.0.0.2", 0.0) < 0.5:
                await asyncio.sleep(0.1)
        rc, out, _ = await run(*ssh_exec(ssh.port, "123456", "echo served"))
        assert (rc, out) == (0, "served\n")
        assert all(p.returncode is None for p in procs)  # the hogs were still at work
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
            await p.wait()


async def test_subsystem_requests_are_recorded(ssh: Running) -> None:
    rc, _, _ = await run(*ssh_exec(ssh.port, "123456", "netconf", "root", "-s"))
    assert rc != 0

    def subsystems(c: object) -> list[tuple[str, bool]]:
        return [(e.target, e.accepted) for e in ssh.captured.of("session.request")
                if e.request == "subsystem"]  # fmt: skip

    await ssh.captured.wait_for(lambda c: bool(subsystems(c)))
    assert subsystems(ssh.captured) == [("netconf", False)]
