"""A sensor host and a central server as two processes: sensor → Redis Streams → server →
PostgreSQL (docs/architecture.md §3). Real processes, real Redis, real PostgreSQL, a real SMTP client."""

from __future__ import annotations

import asyncio
import smtplib
import time
import uuid
from pathlib import Path

import asyncpg
import pytest

from phantomnet import plugins
from tests.e2e.harness import PhantomNet, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def only_sensor(name: str, port: int) -> dict[str, dict[str, object]]:
    sensors: dict[str, dict[str, object]] = {
        other: {"enabled": False} for other in plugins.available(plugins.SENSORS)
    }
    sensors[name] = {"enabled": True, "host": "127.0.0.1", "port": port}
    return sensors


async def count_rows(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def test_sensor_and_server_processes_over_redis(
    tmp_path: Path, pg_database: str, redis_url: str
) -> None:
    stream = f"pn-test-{uuid.uuid4().hex[:8]}"
    bus = {
        "backend": "redis",
        "url": redis_url,
        "stream": stream,
        "dead_letter_stream": f"{stream}-dead",
    }
    smtp_port = free_port()
    sensor_dir, server_dir = tmp_path / "sensor", tmp_path / "server"
    sensor_dir.mkdir()
    server_dir.mkdir()
    sensor = PhantomNet(
        sensor_dir,
        {"node": "edge-1", "bus": bus, "sensors": only_sensor("smtp", smtp_port)},
        command="sensor",
    )
    server = PhantomNet(
        server_dir,
        {
            "node": "central",
            "bus": bus,
            "database": {"url": pg_database},
            "api": {"port": free_port()},
        },
        command="server",
    )
    assert server.cli("migrate").returncode == 0
    with sensor, server:
        sensor.wait_port(smtp_port)
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.ehlo("edge-test")
            client.sendmail(
                "a@remote.example",
                ["b@corp.example"],
                b"From: a@remote.example\r\nSubject: two hosts\r\n\r\nhello\r\n",
            )
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and stored == 0:
            stored = asyncio.run(
                count_rows(
                    pg_database,
                    "SELECT count(*) FROM event WHERE kind = 'smtp.message' AND node = 'edge-1'",
                )
            )
            time.sleep(0.3)
        assert stored == 1, server.log() + sensor.log()
        # the readiness probe (wait_port) was a connection too: two sessions, one with commands
        sessions = asyncio.run(
            count_rows(pg_database, "SELECT count(*) FROM attack_session WHERE component = 'smtp'")
        )
        busy = asyncio.run(
            count_rows(pg_database, "SELECT count(*) FROM attack_session WHERE commands >= 4")
        )
        assert (sessions, busy) == (2, 1)
        assert sensor.stop()[0] == 0
        assert server.stop()[0] == 0
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete(stream, f"{stream}-dead")
    client.close()
