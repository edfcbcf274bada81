"""The SMTP sensor against real clients: swaks, Python's smtplib, nmap.

Each test starts the sensor on 127.0.0.1 port 0 with an in-memory bus and asserts on the
events it published and the files it stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import AuthAttempt, ClientFingerprint, CommandInput, SmtpMessage
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor
from tests.conftest import require_tool
from tests.integration.sensors.probe import DoorProbe

pytestmark = pytest.mark.integration


class Running(DoorProbe[SmtpSensor]):
    def __init__(self, sensor: SmtpSensor, bus: MemoryBus, task: asyncio.Task[None]) -> None:
        super().__init__(sensor, bus)
        self.task = task


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[Running]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path)
    cfg = SmtpConfig(
        host="127.0.0.1",
        port=0,
        hostname="mail.corp-example.net",
        spam_traps=("trap@corp-example.net",),
        max_message_bytes=200_000,
    )
    sensor = SmtpSensor(cfg, ctx)
    await sensor.start()
    running = Running(sensor, bus, asyncio.create_task(sensor.run()))
    yield running
    await sensor.stop()
    running.task.cancel()


async def run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout
    )


async def test_swaks_auth_starttls_and_attachment(smtp: Running, tmp_path: Path) -> None:
    require_tool("swaks")
    attachment = tmp_path / "invoice.pdf.exe"
    attachment.write_bytes(b"MZ\x90\x00 not really a program" * 10)
    result = await run(
        "swaks",
        "--server",
        f"127.0.0.1:{smtp.port}",
        "--tls",
        "--auth",
        "LOGIN",
        "--auth-user",
        "billing",
        "--auth-password",
        "Winter2026!",
        "--from",
        "ceo@corp-example.net",
        "--to",
        "victim@example.org",
        "--header",
        'From: "ceo@corp-example.net" <attacker@evil.example>',
        "--header",
        "Subject: urgent invoice",
        "--attach",
        f"@{attachment}",
        "--ehlo",
        "spam-bot.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "220 mail.corp-example.net ESMTP Postfix (Debian/GNU)" in out
    assert "250 2.0.0 Ok: queued as " in out
    assert "235 2.7.0 Authentication successful" in out

    auth = (await smtp.events(AuthAttempt))[0]
    assert (auth.username, auth.password, auth.method) == ("billing", "Winter2026!", "login")
    msg = (await smtp.events(SmtpMessage))[0]
    assert msg.mail_from == "ceo@corp-example.net" and msg.rcpt_to == ("victim@example.org",)
    assert msg.subject == "urgent invoice" and msg.authenticated_as == "billing"
    assert {"envelope_mismatch", "display_name_spoof"} <= set(msg.spoofing)
    assert msg.spam_trap is False
    [att] = msg.attachments
    assert att.sha256 == hashlib.sha256(attachment.read_bytes()).hexdigest()
    assert (tmp_path / "smtp" / "attachments" / att.sha256).read_bytes() == attachment.read_bytes()
    stored = tmp_path / msg.stored_as
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == msg.sha256 == stored.stem


async def test_every_message_to_a_spam_trap_is_flagged(smtp: Running) -> None:
    def send_two() -> None:
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
            client.ehlo("bot")
            for _ in range(2):
                client.sendmail(
                    "x@spammer.example",
                    ["trap@corp-example.net"],
                    b"From: x@spammer.example\r\nSubject: hi\r\n\r\nbuy\r\n",
                )

    await asyncio.to_thread(send_two)
    msgs = await smtp.events(SmtpMessage, 2)
    assert all(m.spam_trap for m in msgs)


async def test_postfix_replies_to_probes(smtp: Running) -> None:
    """nc-style probes get Postfix's exact wording (honeypot detectors match aiosmtpd's)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", smtp.port)
    greeting = await reader.readline()
    assert greeting == b"220 mail.corp-example.net ESMTP Postfix (Debian/GNU)\r\n"
    # pipelined: everything in one write, replies in order
    writer.write(
        b"EHLO probe\r\nVRFY root\r\nVRFY nosuchuser123\r\nEXPN postmaster\r\nHELP\r\n"
        b"FOO\r\nMAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\nRSET\r\nDATA\r\nNOOP\r\nQUIT\r\n"
    )
    await writer.drain()
    data = (await asyncio.wait_for(reader.read(), 60)).decode()
    lines = data.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("250 "))
    ehlo = lines[: end + 1]
    assert ehlo[0] == "250-mail.corp-example.net"
    assert [line[4:] for line in ehlo[1:]] == [
        "PIPELINING",
        "SIZE 200000",
        "VRFY",
        "ETRN",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
    ]
    rest = lines[len(ehlo) :]
    assert rest == [
        "252 2.0.0 root",
        "550 5.1.1 <nosuchuser123>: Recipient address rejected: User unknown in local recipient table",
        "502 5.5.2 Error: command not recognized",
        "502 5.5.2 Error: command not recognized",
        "502 5.5.2 Error: command not recognized",
        "250 2.1.0 Ok",
        "503 5.5.1 Error: nested MAIL command",
        "250 2.0.0 Ok",
        "503 5.5.1 Error: need RCPT command",
        "250 2.0.0 Ok",
        "221 2.0.0 Bye",
    ]
    writer.close()
    commands = [e.command for e in await smtp.events(CommandInput, 8)]
    assert "VRFY nosuchuser123" in commands and "EHLO probe" in commands
    fp = (await smtp.events(ClientFingerprint))[0]
    assert fp.method == "smtp_ehlo" and fp.value == "probe"


async def test_starttls_presents_the_persona_certificate(smtp: Running) -> None:
    def handshake() -> dict[str, Any]:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
            client.starttls(context=ctx)
            der = client.sock.getpeercert(binary_form=True)  # type: ignore[union-attr]
            client.ehlo("after-tls")
            return {"der": der, "features": dict(client.esmtp_features)}

    got = await asyncio.to_thread(handshake)
    pem = ssl.DER_cert_to_PEM_cert(got["der"])
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-subject"],
        input=pem,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CN = mail.corp-example.net" in text
    assert "starttls" not in got["features"] and "auth" in got["features"]


async def test_connection_cap_answers_421(tmp_path: Path) -> None:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path)
    sensor = SmtpSensor(
        SmtpConfig(
            host="127.0.0.1", port=0, hostname="m.example.net", max_per_source=2, starttls=False
        ),
        ctx,
    )
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    try:
        conns = [await asyncio.open_connection("127.0.0.1", sensor.bound_port) for _ in range(3)]
        replies = [await asyncio.wait_for(r.readline(), 60) for r, _ in conns]
        assert replies[0].startswith(b"220 ") and replies[1].startswith(b"220 ")
        assert replies[2].startswith(b"421 4.7.0 m.example.net Error: too many connections")
        for _, w in conns:
            w.close()
    finally:
        await sensor.stop()
        task.cancel()


async def test_nmap_identifies_postfix(smtp: Running) -> None:
    require_tool("nmap")
    result = await run("nmap", "-Pn", "-n", "-sV", "-p", str(smtp.port), "127.0.0.1", timeout=120)
    assert "Postfix smtpd" in result.stdout, result.stdout


async def test_hostile_bytes_get_postfix_replies_and_safe_events(smtp: Running) -> None:
    """Issue 11: non-UTF-8 EHLO (aiosmtpd decodes it to lone surrogates) and addresses the
    address parser chokes on end in a reply, not a traceback; the events are safe text."""
    reader, writer = await asyncio.open_connection("127.0.0.1", smtp.port)
    await reader.readline()
    writer.write(b"EHLO \xff\xfe\r\nMAIL FROM:<\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<\r\nQUIT\r\n")
    await writer.drain()
    lines = (await asyncio.wait_for(reader.read(), 10)).decode("utf-8", "replace").splitlines()
    writer.close()
    rest = lines[next(i for i, ln in enumerate(lines) if ln.startswith("250 ")) + 1 :]
    assert rest == [
        "501 5.1.7 Bad sender address syntax",
        "250 2.1.0 Ok",
        "501 5.1.3 Bad recipient address syntax",
        "221 2.0.0 Bye",
    ]
    fp = (await smtp.events(ClientFingerprint))[0]
    assert fp.value == "\\xff\\xfe"
    commands = [e.command for e in await smtp.events(CommandInput, 5)]
    assert commands[0] == "EHLO \\xff\\xfe" and "MAIL FROM:<" in commands
    for event in smtp.seen:
        event.model_dump_json()  # every event serialises (no surrogates)
