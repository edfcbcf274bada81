"""Slow clients (slowloris heads, trickled bodies) are cut by the total head/body deadline,
answered 408 like httpd, recorded, and their slots come back for real clients (curl)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import HttpRequest
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from tests.conftest import require_tool
from tests.integration.sensors.http.conftest import Web, run

pytestmark = pytest.mark.integration

SLOTS = 12
LINES = 60  # a slow client would trickle for LINES * PAUSE s; the head deadline is far shorter
PAUSE = 0.5


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[Web]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path / "data")
    cfg = HttpConfig(
        host="127.0.0.1", port=0, tls_port=None, max_sessions=SLOTS, max_per_source=SLOTS,
        header_timeout_s=2, header_timeout_max_s=4, body_timeout_s=2, body_timeout_max_s=4,
    )  # fmt: skip
    sensor = HttpSensor(cfg, ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    yield Web(sensor, bus)
    await sensor.stop()
    task.cancel()


async def slow_client(port: int, head: bytes, drip: bytes) -> tuple[bytes, int]:
    """Send ``head``, then ``drip`` every PAUSE s (at most LINES times) until the server
    answers or closes; return (what it answered, drips sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    sent = 0
    answer = b""
    try:
        for sent in range(1, LINES + 1):  # noqa: B007
            try:
                answer = await asyncio.wait_for(reader.read(4096), PAUSE)
            except TimeoutError:
                writer.write(drip)
                await writer.drain()
                continue
            break
        answer += await asyncio.wait_for(reader.read(), 10)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()
    return answer, sent


async def test_slowloris_heads_are_cut_and_slots_come_back(strict: Web) -> None:
    require_tool("curl")
    port = strict.sensor.bound_port
    assert port is not None
    head = b"GET / HTTP/1.1\r\nHost: x\r\n"
    slow = [asyncio.create_task(slow_client(port, head, b"X-a: b\r\n")) for _ in range(SLOTS)]
    results = await asyncio.gather(*slow)
    for answer, sent in results:
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
        assert b"Connection: close\r\n" in answer
        assert sent < LINES  # the server ended it, not the client
    events = [e for e in await strict.settle() if isinstance(e, HttpRequest)]
    assert sum(e.status == 408 and "slow" in e.tags for e in events) == SLOTS
    ok = await run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", strict.url + "/")
    assert ok.stdout == "200", ok.stderr


async def test_a_trickled_body_is_cut_by_the_body_deadline(strict: Web) -> None:
    port = strict.sensor.bound_port
    assert port is not None
    head = b"POST /wp-login.php HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    answer, sent = await slow_client(port, head, b"a")
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert sent < LINES
