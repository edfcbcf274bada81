"""Side by side with Debian 12's real inetutils telnetd and login(1) on this machine: the
option dialogue byte for byte (for a Mirai-style client and for inetutils' own telnet
client), the login dialogue, and what ``nmap -sV`` says about each."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest

from tests.conftest import unavailable
from tests.integration.sensors.telnet.conftest import (
    INETUTILS_ROUND1,
    INETUTILS_SB,
    Door,
    RawTelnet,
    iac_sequences,
)

pytestmark = pytest.mark.integration


def opening(port: int, policy: str) -> tuple[list[bytes], bytes]:
    """(the IAC sequences before the login prompt, the data text) for one client policy."""
    client = RawTelnet(port, policy)
    try:
        if policy == "inetutils":
            # replay inetutils telnet's answers round by round, as captured from the real client
            client.read(1.0)
            client.send(INETUTILS_ROUND1)
            client.read(1.0)
            client.send(INETUTILS_SB)
            client.read(1.0)
            client.send(
                b'\xff\xfd\x03\xff\xfc\x01\xff\xfb"\xff\xfa"\x03\x01\x00\x00\x03b\x03\x04\x02'
                b"\x0f\x05\x00\x00\x07b\x1c\x08\x02\x04\tB\x1a\n\x02\x7f\x0b\x02\x15\x0c\x02"
                b"\x17\r\x02\x12\x0e\x02\x16\x0f\x02\x11\x10\x02\x13\x11\x00\x00\x12\x00\x00"
                b"\xff\xf0\xff\xfb\x1f\xff\xfa\x1f\x00P\x00\x18\xff\xf0\xff\xfd\x05\xff\xfb!"
            )
            client.read(1.0)
            client.send(b'\xff\xfa"\x01\x07\xff\xf0')
        text = client.until(b"login: ")
        return iac_sequences(bytes(client.raw)), text
    finally:
        client.close()


def hydra_opening(port: int) -> list[bytes]:
    """hydra's telnet module offers LINEMODE unsolicited and refuses the rest (as captured);
    the real telnetd then waits for a LINEMODE answer hydra never sends: compare what is sent
    within two seconds."""
    client = RawTelnet(port, "none")
    try:
        client.read(0.5)
        client.send(
            b"\xff\xfb\x22\xff\xfe%\xff\xfe&\xff\xfc\x18\xff\xfc \xff\xfc#\xff\xfc'\xff\xfc$"
        )
        client.read(0.3)
        client.send(b"\xff\xfe\x03")
        client.read(0.3)
        client.send(b"\xff\xfc\x01\xff\xfc\x1f\xff\xfe\x05\xff\xfc!")
        client.read(1.5)
        return iac_sequences(bytes(client.raw))
    finally:
        client.close()


async def test_offered_linemode_is_answered_like_telnetd(door: Door, real_telnetd: int) -> None:
    real = await asyncio.to_thread(hydra_opening, real_telnetd)
    ours = await asyncio.to_thread(hydra_opening, door.port)
    assert ours == real, f"door {ours!r}\nreal {real!r}"


@pytest.mark.parametrize("policy", ["mirai", "inetutils"])
async def test_option_dialogue_is_telnetd_s(door: Door, real_telnetd: int, policy: str) -> None:
    real, real_text = await asyncio.to_thread(opening, real_telnetd, policy)
    ours, our_text = await asyncio.to_thread(opening, door.port, policy)
    assert ours == real, f"door {ours!r}\nreal {real!r}"
    # the banner has telnetd's shape: CR LF, "Linux <release> (<host>) (pts/N)", a blank line
    shape = re.compile(rb"^(\x00)*\r\nLinux \S+ \(\S+\) \(pts/\d+\)\r\n\r\n\S+ login: $")
    assert shape.match(real_text), real_text
    assert shape.match(our_text), our_text


def login_dialogue(port: int, user: str, password: str, tries: int) -> bytes:
    client = RawTelnet(port, "mirai")
    try:
        client.until(b"login: ")
        start = len(client.text)
        for _ in range(tries):
            client.line(user)
            client.until(b"Password: ")
            client.line(password)
            client.until(b"Login incorrect\r\n")
        client.read(1.5)
        return bytes(client.text[start:])
    finally:
        client.close()


def normalise(text: bytes) -> bytes:
    return re.sub(rb"\S+ login: ", b"HOST login: ", text)


async def test_login_incorrect_and_max_tries_like_login1(door: Door, real_telnetd: int) -> None:
    user, password = "nosuchuser", "wrong-password"
    real = await asyncio.to_thread(login_dialogue, real_telnetd, user, password, 5)
    ours = await asyncio.to_thread(login_dialogue, door.port, user, password, 5)
    assert normalise(ours) == normalise(real), f"door {ours!r}\nreal {real!r}"
    assert real.endswith(b"Maximum number of tries exceeded (5)\r\n")
    await door.captured.wait_for(lambda c: len(c.of("auth.attempt")) == 5)
    await door.captured.wait_for(lambda c: bool(c.of("connection.closed")))
    assert door.captured.of("connection.closed")[0].reason == "limit"
    assert all(not a.accepted and a.protocol == "telnet" for a in door.captured.of("auth.attempt"))


async def test_ayt_is_answered_like_telnetd(door: Door, real_telnetd: int) -> None:
    def ayt(port: int) -> bytes:
        client = RawTelnet(port, "none")
        try:
            client.read(0.5)
            before = len(client.text)
            client.send(b"\xff\xf6")
            client.read(1.0)
            return bytes(client.text[before:])
        finally:
            client.close()

    assert await asyncio.to_thread(ayt, door.port) == await asyncio.to_thread(ayt, real_telnetd)


async def nmap_service(port: int) -> str:
    proc = await asyncio.create_subprocess_exec(
        "nmap", "-sV", "-Pn", "-n", "-p", str(port), "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with asyncio.timeout(240):
        out, _ = await proc.communicate()
    line = next(ln for ln in out.decode().splitlines() if ln.startswith(f"{port}/tcp"))
    return re.sub(r"^\d+/tcp\s+", "", line).strip()


@pytest.mark.slow
async def test_nmap_sv_sees_the_same_service(door: Door, real_telnetd: int) -> None:
    if shutil.which("nmap") is None:
        unavailable("nmap not installed")
    real, ours = await asyncio.gather(nmap_service(real_telnetd), nmap_service(door.port))
    assert ours == real
    assert "honeypot" not in ours.lower()
    assert ours.split()[:2] == ["open", "telnet"]
