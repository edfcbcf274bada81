"""FTP and SMTP phase deadlines: a client that trickles commands (each within the idle timer)
never logs in / never says HELO / never ends DATA is cut by the total deadline, with the
server's own 421 wording, and the door goes on serving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import Sensor, SensorContext
from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor

pytestmark = pytest.mark.integration

DRIPS = 60  # the client would go on for DRIPS * PAUSE s; the deadlines are 2 s
PAUSE = 0.5


async def running(sensor: Sensor) -> AsyncIterator[int]:
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    assert sensor.bound_port is not None
    yield sensor.bound_port
    await sensor.stop()
    task.cancel()


@pytest.fixture
async def ftp_port(tmp_path: Path) -> AsyncIterator[int]:
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    cfg = FtpConfig(host="127.0.0.1", port=0, login_timeout_s=2, failed_login_delay_s=0)
    async for port in running(FtpSensor(cfg, ctx)):
        yield port


@pytest.fixture
async def smtp_port(tmp_path: Path) -> AsyncIterator[int]:
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    cfg = SmtpConfig(host="127.0.0.1", port=0, helo_timeout_s=2, data_timeout_s=2,
                     starttls=False, hostname="mail.example.net")  # fmt: skip
    async for port in running(SmtpSensor(cfg, ctx)):
        yield port


async def trickle(port: int, first: bytes, drip: bytes, drips: int = DRIPS) -> tuple[bytes, int]:
    """Send ``first``, then ``drip`` every PAUSE s until the server closes; (all read, drips)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(first)
    got, sent = b"", 0
    try:
        while sent < drips:
            try:
                chunk = await asyncio.wait_for(reader.read(4096), PAUSE)
            except TimeoutError:
                writer.write(drip)
                sent += 1
                continue
            if not chunk:
                break
            got += chunk
    except ConnectionError:
        pass
    finally:
        writer.close()
    return got, sent


async def test_ftp_login_deadline(ftp_port: int) -> None:
    got, sent = await trickle(ftp_port, b"USER x\r\n", b"NOOP\r\n")
    assert got.rstrip().endswith(b"421 Timeout."), got
    assert sent < DRIPS
    # a client that logs in at once is served
    ok, _ = await trickle(ftp_port, b"USER anonymous\r\nPASS a@b\r\nQUIT\r\n", b"")
    assert b"230 Login successful." in ok and ok.rstrip().endswith(b"221 Goodbye.")


async def test_ftp_idle_timer_still_applies_after_login(ftp_port: int) -> None:
    got, sent = await trickle(ftp_port, b"USER anonymous\r\nPASS a@b\r\n", b"NOOP\r\n", 10)
    assert sent == 10 and b"421" not in got  # logged in: the login deadline (2 s) is over


async def test_smtp_helo_deadline(smtp_port: int) -> None:
    got, sent = await trickle(smtp_port, b"", b"NOOP\r\n")
    assert got.rstrip().endswith(b"421 4.4.2 mail.example.net Error: timeout exceeded"), got
    assert sent < DRIPS


async def test_smtp_data_deadline(smtp_port: int) -> None:
    first = b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
    got, sent = await trickle(smtp_port, first, b"Subject: slow\r\n")
    assert b"354 " in got, got
    assert got.rstrip().endswith(b"421 4.4.2 mail.example.net Error: timeout exceeded"), got
    assert sent < DRIPS
