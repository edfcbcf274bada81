"""The email sink against a real SMTP receiver (aiosmtpd's Controller in its own process, see
smtp_receiver.py): STARTTLS required, AUTH LOGIN/PLAIN required and only over TLS, a
self-signed certificate made here with ``cryptography``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.integration.sinks.helpers import detection, free_port, running
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import ResponseBlock, SensorRef
from phantomnet.sinks.email import EmailConfig, EmailSink

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
RECEIVER = Path(__file__).with_name("smtp_receiver.py")
USER, PASSWORD = "alerts@pn.example", "S3cret-pa55!"


def make_cert(root: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = root / "cert.pem", root / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Receiver:
    """The receiver process; ``kill`` is SIGKILL, ``start`` again reuses the port."""

    def __init__(self, root: Path, *, tls: tuple[Path, Path] | None, smtps: bool = False) -> None:
        self.out = root / "smtp"
        self.out.mkdir()
        (self.out / "credentials").write_text(f"{USER}:{PASSWORD}")
        self.port = free_port()
        self.tls = tls
        self.smtps = smtps
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        (self.out / "ready").unlink(missing_ok=True)
        cmd = [sys.executable, str(RECEIVER), str(self.port), str(self.out)]
        if self.tls is not None:
            cmd += ["--smtps" if self.smtps else "--tls", str(self.tls[0]), str(self.tls[1])]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=(self.out / "stderr").open("ab")
        )
        proc = self.proc
        assert await until(lambda: (self.out / "ready").exists() or proc.poll() is not None)
        assert proc.poll() is None, (self.out / "stderr").read_text()

    async def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            await asyncio.to_thread(proc.wait)

    def mails(self) -> list[EmailMessage]:
        out = []
        for path in sorted(self.out.glob("mail-*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out

    def auth(self) -> list[dict[str, object]]:
        log = self.out / "auth.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    return make_cert(tmp_path)


@contextlib.asynccontextmanager
async def receiver(
    root: Path, tls: tuple[Path, Path] | None, *, smtps: bool = False
) -> AsyncIterator[Receiver]:
    r = Receiver(root, tls=tls, smtps=smtps)
    await r.start()
    try:
        yield r
    finally:
        await r.kill()


class Tap:
    """A TCP relay that records what the client sends (to look for credentials in clear)."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.sent: list[bytearray] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Tap:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record = bytearray()
        self.sent.append(record)
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream)

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, rec: bytearray | None
        ) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    if rec is not None:
                        rec += data
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_w, record), pipe(up_r, writer, None))


def email_sink(port: int, cert: Path | None, **extra: object) -> EmailSink:
    section: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "from": "phantomnet@pn.example",
        "to": ["soc@corp.example", "oncall@corp.example"],
        "username": USER,
        "password": PASSWORD,
        "retry_first_s": 0.05,
        "retry_max_s": 0.2,
        "timeout_s": 20,
        "alert": {
            "dedupe_window_s": 0,
            "max_per_hour": 1000,
            "dashboard_url": "https://pn.example",
        },
    }
    if cert is not None:
        section["ca_file"] = str(cert)
    section.update(extra)
    return EmailSink(EmailConfig.model_validate(section), "node-1")


def block_of(ip: str) -> ResponseBlock:
    return ResponseBlock(
        sensor=SensorRef(node="node-1", component="response"),
        target=ip,
        source="detection",
        reason="brute_force",
        duration_s=3600,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        backend="nftables",
        applied=True,
    )


def body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}"
    text: str = part.get_content()
    return text


async def test_alert_mail_over_starttls_and_auth_headers_and_body(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    async with receiver(tmp_path, cert) as smtp, Tap(smtp.port) as tap:
        bus = MemoryBus()
        await bus.start()
        attack = detection(3, severity="critical")
        assert attack.src is not None
        sink = email_sink(tap.port, cert[0], subject_prefix="[PN-test]")
        async with running(sink, bus) as comp:
            await bus.publish_many([block_of(attack.src.ip), attack])
            assert await until(lambda: len(smtp.mails()) >= 2)
            assert await until(lambda: comp.delivered == 2 and bus.stats.acked == 2)
        mails = smtp.mails()
        mail = next(m for m in mails if m["X-PhantomNet-Event-Id"] == str(attack.event_id))
        assert mail["X-Test-TLS"] == "True"  # the receiver saw the message under TLS
        assert mail["From"] == "phantomnet@pn.example"
        assert mail["To"] == "soc@corp.example, oncall@corp.example"
        assert mail["X-Test-Rcpt"] == "soc@corp.example,oncall@corp.example"
        assert mail["Subject"] == f"[PN-test] [critical] brute_force: {attack.summary}"
        assert mail["X-PhantomNet-Severity"] == "critical"
        assert mail.get_content_type() == "multipart/alternative"
        plain, html = body(mail, "plain"), body(mail, "html")
        assert f"Who:       {attack.src.ip}:{attack.src.port}" in plain
        assert "Where:     door ssh, on 192.0.2.10:22, node node-1" in plain
        assert f"Action:    blocked {attack.src.ip} for 3600 s until" in plain
        assert f"https://pn.example/attackers/{attack.src.ip}" in plain
        assert f"https://pn.example/events/{attack.event_id}" in plain
        assert f"<a href='https://pn.example/attackers/{attack.src.ip}'>" in html
        assert "<th align='left'>Action</th>" in html
        # AUTH happened, only under TLS, and the password never crossed in clear
        assert smtp.auth() and all(a["ok"] and a["tls"] for a in smtp.auth())
        assert {a["mechanism"] for a in smtp.auth()} <= {"LOGIN", "PLAIN"}
        secrets = [
            PASSWORD.encode(),
            base64.b64encode(PASSWORD.encode()),
            base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
        ]
        assert tap.sent
        for stream in tap.sent:
            clear, starttls, _ = bytes(stream).partition(b"STARTTLS\r\n")
            assert starttls, "the client never asked for STARTTLS"
            assert b"AUTH" not in clear.upper() and b"MAIL FROM" not in clear.upper()
            assert not any(s in stream for s in secrets)


async def test_wrong_password_raises_and_is_retried_until_it_is_right(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    async with receiver(tmp_path, cert) as smtp:
        (smtp.out / "credentials").write_text(f"{USER}:another-password")
        bus = MemoryBus()
        await bus.start()
        async with running(email_sink(smtp.port, cert[0]), bus) as comp:
            await bus.publish(detection(1))
            assert await until(lambda: len(smtp.auth()) >= 3)  # retried, never given up
            assert comp.delivered == 0 and smtp.mails() == [] and bus.stats.acked == 0
            assert comp.health.failing_since is not None
            assert "535" in (comp.health.last_error or "")
            assert not any(a["ok"] for a in smtp.auth())
            (smtp.out / "credentials").write_text(f"{USER}:{PASSWORD}")
            assert await until(lambda: comp.delivered == 1 and bus.stats.acked == 1)
            assert comp.health.failing_since is None
        assert len(smtp.mails()) == 1


async def test_receiver_killed_mid_stream_every_alert_arrives(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    async with receiver(tmp_path, cert) as smtp:
        bus = MemoryBus()
        await bus.start()
        events = [detection(i) for i in range(16)]
        async with running(email_sink(smtp.port, cert[0], batch_size=2), bus) as comp:
            await bus.publish_many(events[:8])
            assert await until(lambda: len(smtp.mails()) >= 2)
            await smtp.kill()  # SIGKILL, wherever the sink is in its sessions
            await bus.publish_many(events[8:])
            assert await until(lambda: comp.health.failing_since is not None)
            assert comp.delivered < 16
            await smtp.start()  # same port, a new process
            assert await until(lambda: comp.delivered == 16 and bus.stats.acked == 16)
        got = {m["X-PhantomNet-Event-Id"] for m in smtp.mails()}
        assert got == {str(e.event_id) for e in events}  # every alert (a repeat is allowed)


async def test_digest_mail_holds_the_acks_until_it_is_sent(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    async with receiver(tmp_path, cert) as smtp:
        bus = MemoryBus()
        await bus.start()
        (smtp.out / "credentials").write_text(f"{USER}:held-back")  # the digest cannot go yet
        alert = {"dedupe_window_s": 0, "digest_s": 0.5, "dashboard_url": "https://pn.example"}
        events = [detection(i % 3) for i in range(6)]
        async with running(email_sink(smtp.port, cert[0], alert=alert), bus) as comp:
            await bus.publish_many(events)
            assert await until(lambda: len(smtp.auth()) >= 2)  # the digest is due and failing
            held = comp.describe()["held_batches"]
            assert bus.stats.acked == 0 and isinstance(held, int) and held >= 1
            (smtp.out / "credentials").write_text(f"{USER}:{PASSWORD}")
            assert await until(lambda: bus.stats.acked == 6)
            assert comp.delivered == 6 and comp.describe()["digests"] == 1
        (mail,) = smtp.mails()
        assert mail["Subject"].startswith("[PhantomNet] digest: 6 alerts, 6 events since ")
        assert mail["X-PhantomNet-Event-Id"] is None
        plain = body(mail, "plain")
        assert "What:      brute_force x6" in plain
        for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
            assert f"https://pn.example/attackers/{ip}" in plain


async def test_credentials_are_not_sent_without_tls(tmp_path: Path) -> None:
    async with receiver(tmp_path, None) as smtp:  # offers no STARTTLS, would take AUTH in clear
        bus = MemoryBus()
        await bus.start()
        sink = email_sink(smtp.port, None, starttls="opportunistic")
        async with running(sink, bus) as comp:
            await bus.publish(detection(1))
            assert await until(lambda: comp.attempts >= 3)
            assert "credentials not sent" in (comp.health.last_error or "")
            assert comp.delivered == 0 and bus.stats.acked == 0
        assert smtp.auth() == [] and smtp.mails() == []


async def test_implicit_tls_smtps(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    async with receiver(tmp_path, cert, smtps=True) as smtp:
        bus = MemoryBus()
        await bus.start()
        async with running(email_sink(smtp.port, cert[0], tls=True), bus) as comp:
            await bus.publish(detection(2))
            assert await until(lambda: comp.delivered == 1)
        (mail,) = smtp.mails()
        assert mail["X-Test-TLS"] == "True" and mail["Subject"].startswith("[PhantomNet] [high]")
        assert [a["ok"] for a in smtp.auth()] == [True]
