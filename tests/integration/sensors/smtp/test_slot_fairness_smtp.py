"""Fair SMTP slots over real sockets: a slowloris of idle sockets from several loopback
addresses fills the door, and a real client (smtplib) from a new network is still served
because the heaviest network loses its oldest idle connection (as HTTP and SSH do)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import ConnectionClosed, SmtpMessage
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SLOTS = 24


@pytest.fixture
async def sensor(tmp_path: Path) -> AsyncIterator[tuple[SmtpSensor, list[Any]]]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path)
    cfg = SmtpConfig(
        host="127.0.0.1", port=0, hostname="mail.corp-example.net", max_sessions=SLOTS,
        max_per_source=4, max_per_net=8, starttls=False,
    )  # fmt: skip
    smtp = SmtpSensor(cfg, ctx)
    await smtp.start()
    seen: list[Any] = []
    sub = bus.subscribe("test")

    async def collect() -> None:
        async for batch in sub:
            seen.extend(batch.events)

    tasks = [asyncio.create_task(smtp.run()), asyncio.create_task(collect())]
    yield smtp, seen
    await smtp.stop()
    for t in tasks:
        t.cancel()


def _send(port: int, source: str) -> tuple[int, bytes]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", "root@corp-example.net", "hi"
    msg.set_content("served despite the slowloris\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(source, 0)) as client:
        client.ehlo("client.example.org")
        client.send_message(msg)
        return client.noop()


async def test_idle_sockets_from_many_sources_cannot_keep_a_real_client_out(
    sensor: tuple[SmtpSensor, list[Any]],
) -> None:
    smtp, seen = sensor
    assert smtp.bound_port is not None
    port = smtp.bound_port
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        # 12 sources in 3 /24s, 4 idle sockets each (banner read, then silence): 48 tries
        for i in range(48):
            source = f"127.0.{10 + i % 3}.{1 + i % 12}"
            reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                           local_addr=(source, 0))  # fmt: skip
            held.append((reader, writer))
        async with asyncio.timeout(30):
            while smtp.limiter.active < SLOTS:
                await asyncio.sleep(0.05)
        assert max(smtp.limiter.per_net.values()) <= 8
        assert smtp.limiter.evicted == 0
        # the door is full of idle sockets; a real client from a new /24 gets served
        code, _ = await asyncio.to_thread(_send, port, "127.0.99.1")
        assert code == 250
        assert smtp.limiter.evicted >= 1
        assert smtp.limiter.active <= SLOTS
        async with asyncio.timeout(30):
            while not any(isinstance(e, SmtpMessage) for e in seen):
                await asyncio.sleep(0.05)
            while not any(isinstance(e, ConnectionClosed) and e.reason == "evicted" for e in seen):
                await asyncio.sleep(0.05)
        # an evicted slowloris socket was told why, like Postfix's too-many-connections
        replies = []
        for reader, _ in held:
            try:
                replies.append(await asyncio.wait_for(reader.read(4096), 0.2))
            except TimeoutError:
                continue
        assert any(b"421 4.7.0" in r for r in replies)
    finally:
        for _, writer in held:
            writer.close()
