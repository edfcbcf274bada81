"""Pure parts of the SSH sensor: identification rules, KEXINIT/HASSH, tarpit, recordings."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from phantomnet.analyzers.ssh import check_identification, parse_kexinit_packet
from phantomnet.sensors.ssh.config import TarpitConfig
from phantomnet.sensors.ssh.tarpit import TarpitPolicy, random_line
from phantomnet.sensors.terminal.recording import Recorder


@pytest.mark.parametrize(
    ("raw", "verdict"),
    [
        (b"SSH-2.0-OpenSSH_9.0\r\n", "ok"),
        (b"SSH-1.99-x\n", "ok"),
        (b"SSH-2.0-x", "incomplete"),
        (b"SSH-1111-OpenSSH_9.0\r\n", "invalid"),
        (b"SSH-1.5-OpenSSH_9.0\r\n", "major_differs"),
        (b"SSH-3.0-x\r\n", "major_differs"),
        (b"GET / HTTP/1.0\r\n", "invalid"),
        (b"SSH-2.0-\r\n", "invalid"),
        (b"\r\nSSH-2.0-x\r\n", "invalid"),
        (b"A" * 9000, "too_long"),
    ],
)
def test_identification_rules(raw: bytes, verdict: str) -> None:
    assert check_identification(raw).verdict == verdict


def _namelist(items: list[str]) -> bytes:
    data = ",".join(items).encode()
    return struct.pack(">I", len(data)) + data


def _kexinit_packet(lists: list[list[str]]) -> bytes:
    payload = (
        bytes([20]) + b"\x11" * 16 + b"".join(_namelist(x) for x in lists) + b"\x00" + b"\x00" * 4
    )
    pad = 8 - (len(payload) + 5) % 8 + 8
    body = bytes([pad]) + payload + b"\x00" * pad
    return struct.pack(">I", len(body)) + body


def test_kexinit_parse_and_hassh() -> None:
    lists = [
        ["curve25519-sha256", "ext-info-c"],
        ["ssh-ed25519"],
        ["aes128-ctr"],
        ["aes256-ctr"],
        ["hmac-sha2-256"],
        ["hmac-sha1"],
        ["none", "zlib@openssh.com"],
        ["none"],
        [],
        [],
    ]
    packet = _kexinit_packet(lists)
    assert parse_kexinit_packet(packet[:10]) == ("incomplete", None)
    status, kex = parse_kexinit_packet(packet + b"trailing")
    assert status == "ok" and kex is not None
    expected = "curve25519-sha256,ext-info-c;aes128-ctr;hmac-sha2-256;none,zlib@openssh.com"
    assert kex.hassh_string() == expected
    assert kex.hassh() == hashlib.md5(expected.encode()).hexdigest()
    assert parse_kexinit_packet(b"\xff\xff\xff\xff\x00")[0] == "bad"


def test_kexinit_parser_never_raises_on_garbage() -> None:
    for n in range(0, 300, 7):
        blob = bytes((i * 37 + n) % 256 for i in range(n))
        parse_kexinit_packet(blob)
        check_identification(blob)


def test_tarpit_policy_and_lines() -> None:
    policy = TarpitPolicy(TarpitConfig(sources=("10.0.0.0/8",), after_connections=2, window_s=60))
    assert policy.should_hold("10.1.2.3")
    assert [policy.should_hold("192.0.2.1", now=t) for t in (0, 1, 2)] == [False, False, True]
    assert not policy.should_hold("192.0.2.1", now=500)  # the window has passed
    for _ in range(200):
        line = random_line(32)
        assert line.endswith(b"\r\n") and not line.startswith(b"SSH-") and 5 <= len(line) <= 34


def test_recording_is_asciicast_v2(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "abc", 100, 30, "xterm")
    rec.event("o", "hello\r\n")
    rec.event("i", b"ls\n")
    rec.close()
    lines = (tmp_path / rec.relative).read_text().splitlines()
    header = json.loads(lines[0])
    assert (header["version"], header["width"], header["height"]) == (2, 100, 30)
    assert [json.loads(x)[1:] for x in lines[1:]] == [["o", "hello\r\n"], ["i", "ls\n"]]


async def test_line_discipline_like_bash() -> None:
    from phantomnet.sensors.terminal.lineedit import Interrupted, LineReader

    chunks = ["ls\x7f\x7fecho hi\x1b[A\x1b[D!\r", "\nsleep 5\x03", "wc\x15id\r", "\x04"]
    shown: list[str] = []

    async def read() -> str:
        return chunks.pop(0) if chunks else ""

    reader = LineReader(read, shown.append, max_len=64)
    assert await reader.readline() == "echo hi!"
    with pytest.raises(Interrupted):
        await reader.readline()
    assert await reader.readline() == "id"
    assert await reader.readline() is None
    text = "".join(shown)
    assert text.startswith("ls\b \b\b \becho hi!\r\n") and "sleep 5^C\r\n" in text
