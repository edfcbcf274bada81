"""A stopping sensor stops accepting, lets in-flight sessions finish (up to its drain
deadline), closes the ones left, and has published every event of them when ``stop``
returns: nothing a client got an answer for is still to be published after that.

Real clients (smtplib, raw sockets) against the real SMTP and HTTP sensors on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import ConnectionClosed, HttpRequest, SmtpMessage
from phantomnet.sensors.base import Sensor, SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def queued(bus: MemoryBus, group: str) -> list[Any]:
    """What ``group`` has been sent so far (read without consuming: the test looks at the
    very moment ``stop`` returns)."""
    return list(bus._groups[group].items)


async def started(sensor: Sensor) -> asyncio.Task[None]:
    await sensor.start()
    return asyncio.create_task(sensor.run())


async def test_smtp_session_in_flight_finishes_before_stop_returns(tmp_path: Path) -> None:
    bus = MemoryBus()
    bus.subscribe("probe")
    cfg = SmtpConfig(host="127.0.0.1", port=0, hostname="mail.example.net", drain_timeout_s=30)
    sensor = SmtpSensor(cfg, SensorContext(node="t", bus=bus, data_dir=tmp_path))
    task = await started(sensor)
    greeted, go = threading.Event(), threading.Event()
    answers: list[Any] = []

    def client() -> None:
        with smtplib.SMTP("127.0.0.1", sensor.bound_port or 0, timeout=20) as smtp:
            smtp.ehlo("client.example")
            greeted.set()
            go.wait(20)  # the sensor is stopping now
            answers.append(
                smtp.sendmail("a@x.example", ["b@mail.example.net"], b"Subject: d\r\n\r\nhi\r\n")
            )

    thread = asyncio.create_task(asyncio.to_thread(client))
    assert await asyncio.to_thread(greeted.wait, 20)
    stopping = asyncio.create_task(sensor.stop())
    await asyncio.sleep(0)  # the listener is closed; the session goes on
    with pytest.raises(OSError):
        await asyncio.to_thread(socket.create_connection, ("127.0.0.1", sensor.bound_port), 2)
    go.set()
    await stopping
    events = queued(bus, "probe")  # at the moment stop() returned
    await thread
    assert answers == [{}], "the client got its 250"
    assert [type(e) for e in events if isinstance(e, SmtpMessage | ConnectionClosed)] == [
        SmtpMessage, ConnectionClosed,
    ]  # fmt: skip
    task.cancel()


async def test_idle_session_is_closed_at_the_deadline_and_recorded(tmp_path: Path) -> None:
    bus = MemoryBus()
    bus.subscribe("probe")
    cfg = HttpConfig(
        host="127.0.0.1", port=0, tls_port=None, idle_timeout_s=300, drain_timeout_s=0.5
    )
    sensor = HttpSensor(cfg, SensorContext(node="t", bus=bus, data_dir=tmp_path))
    task = await started(sensor)

    def keep_alive_client() -> socket.socket:
        s = socket.create_connection(("127.0.0.1", sensor.bound_port or 0), timeout=20)
        s.sendall(b"GET /drain-probe HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 ")  # answered; the connection stays open
        return s

    conn = await asyncio.to_thread(keep_alive_client)
    try:
        await sensor.stop()  # would wait 300 s for the idle keep-alive connection
        events = queued(bus, "probe")
        paths = [e.path for e in events if isinstance(e, HttpRequest)]
        closed = [e for e in events if isinstance(e, ConnectionClosed)]
        assert paths == ["/drain-probe"] and len(closed) == 1
        assert sensor.limiter.active == 0
    finally:
        conn.close()
        task.cancel()
