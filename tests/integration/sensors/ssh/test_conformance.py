"""Side by side with a REAL Debian 12 sshd started here: same banner, same KEXINIT lists in the
same order, same ssh-audit / nmap ssh2-enum-algos / nmap -sV answers, same replies to bad
identification lines (the honeydet/nuclei ``SSH-1111`` probes)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from phantomnet.analyzers.ssh import KexInit, parse_kexinit_packet
from tests.conftest import require_root, require_tool
from tests.integration.sensors.ssh.conftest import Running, run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def same_release(text: str | bytes) -> str:
    """The Debian security revision (``deb12uN``) moves with updates on the test host; the
    persona pins one. Everything else must be identical."""
    raw = text.decode("latin-1") if isinstance(text, bytes) else text
    return re.sub(r"deb12u\d+", "deb12uN", raw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def real_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Debian sshd on a free loopback port (one per module; stopped by its PID)."""
    require_tool("sshd", "ssh-keygen")
    if not Path("/run/sshd").is_dir():
        require_root()
        Path("/run/sshd").mkdir(mode=0o755)
    folder = tmp_path_factory.mktemp("real-sshd")
    port = _free_port()
    keys = []
    for kind in ("rsa", "ecdsa", "ed25519"):
        key = folder / f"ssh_host_{kind}_key"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(key)], check=True)
        keys.append(f"HostKey {key}")
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\n"
        + "\n".join(keys)
        + f"\nPidFile {folder}/sshd.pid\nUsePAM no\nStrictModes no\n"
        + "KbdInteractiveAuthentication no\n"  # as in Debian's shipped sshd_config
    )
    sshd = shutil.which("sshd")
    assert sshd is not None
    # sshd re-execs itself, so it needs its absolute path
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def exchange(port: int, send: bytes, read_s: float = 1.0) -> bytes:
    """Send ``send`` and return everything received until the peer closes or ``read_s``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(send)
    data = b""
    try:
        async with asyncio.timeout(read_s):
            while chunk := await reader.read(65536):
                data += chunk
    except (TimeoutError, ConnectionError):
        pass
    writer.close()
    return data


async def server_kexinit(port: int) -> tuple[bytes, KexInit]:
    data = await exchange(port, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n", read_s=1.0)
    banner, rest = data.split(b"\r\n", 1)
    status, kex = parse_kexinit_packet(rest)
    assert status == "ok" and kex is not None
    return banner, kex


async def test_banner_and_kexinit_lists_identical(ssh: Running, real_sshd: int) -> None:
    ours_banner, ours = await server_kexinit(ssh.port)
    ref_banner, ref = await server_kexinit(real_sshd)
    assert same_release(ours_banner) == same_release(ref_banner)
    assert ours == ref  # every list, same order, including sntrup761 and kex-strict-s
    assert "kex-strict-s-v00@openssh.com" in ours.kex
    assert "sntrup761x25519-sha512@openssh.com" in ours.kex
    assert ours.hassh_server_string() == ref.hassh_server_string()


def _audit_lines(text: str) -> list[str]:
    clean = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return [
        " ".join(line.split()[:2])
        for line in clean.splitlines()
        if re.match(r"^\((gen|kex|key|enc|mac)\)", line)
    ]


async def test_ssh_audit_sees_the_same_server(ssh: Running, real_sshd: int) -> None:
    require_tool("ssh-audit")
    _, ours, _ = await run("ssh-audit", "-p", str(ssh.port), "127.0.0.1", timeout=60)
    _, ref, _ = await run("ssh-audit", "-p", str(real_sshd), "127.0.0.1", timeout=60)
    assert _audit_lines(same_release(ours)) == _audit_lines(same_release(ref))
    assert "(gen) banner: SSH-2.0-OpenSSH_9.2p1" in re.sub(r"\x1b\[[0-9;]*m", "", ours)


def _nmap_scripts(text: str) -> dict[str, list[str]]:
    """Script outputs by script name; host-key fingerprints reduced to size and type."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        if m := re.match(r"^\| ([\w-]+):\s*$", line):
            current = blocks.setdefault(m.group(1), [])
            continue
        item = line.strip("| _")
        current.append(re.sub(r"^(\d+) [0-9a-f]{32} \((\w+)\)$", r"\1 (\2)", item))
    return blocks


async def test_nmap_enum_algos_and_version_match(ssh: Running, real_sshd: int) -> None:
    require_tool("nmap")
    scripts = "ssh2-enum-algos,ssh-auth-methods,ssh-hostkey"
    args = ["nmap", "-Pn", "-n", "--script", scripts, "-sV", "--version-light"]
    _, ours, _ = await run(*args, "-p", str(ssh.port), "127.0.0.1", timeout=90)
    _, ref, _ = await run(*args, "-p", str(real_sshd), "127.0.0.1", timeout=90)
    assert _nmap_scripts(ours) == _nmap_scripts(ref)
    assert set(_nmap_scripts(ours)) == {"ssh2-enum-algos", "ssh-auth-methods", "ssh-hostkey"}
    version = re.compile(r"open\s+ssh\s+(.*)")
    ours_v, ref_v = version.search(ours), version.search(ref)
    assert ours_v and ref_v
    assert same_release(ours_v.group(1).strip()) == same_release(ref_v.group(1).strip())
    assert "OpenSSH 9.2p1 Debian" in ours_v.group(1)


@pytest.mark.parametrize(
    "probe",
    [
        b"SSH-1111-OpenSSH_9.0\r\n",
        b"SSH-1337-OpenSSH_9.0\r\n",
        b"SSH-1.5-OpenSSH_9.0\r\n",
        b"SSH-3.0-x\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"SSH-2.0\r\n",
        b"SSH-2.0-\r\n",
    ],
)
async def test_bad_identification_answers_like_openssh(
    ssh: Running, real_sshd: int, probe: bytes
) -> None:
    ours = await exchange(ssh.port, probe)
    ref = await exchange(real_sshd, probe)
    assert same_release(ours) == same_release(ref), (ours, ref)


async def test_spacer_and_double_banner_probes_look_the_same(ssh: Running, real_sshd: int) -> None:
    for probe in (b"SSH-2.0-OpenSSH_9.0\r\n\r\n\r\n\r\n", b"SSH-2.0-x\r\nSSH-2.0-x\r\n"):
        ours = await exchange(ssh.port, probe)
        ref = await exchange(real_sshd, probe)
        ours_banner, ours_rest = ours.split(b"\r\n", 1)
        ref_banner, ref_rest = ref.split(b"\r\n", 1)
        assert same_release(ours_banner) == same_release(ref_banner)
        assert parse_kexinit_packet(ours_rest)[1] == parse_kexinit_packet(ref_rest)[1]
    assert os.path.exists("/run/sshd")
