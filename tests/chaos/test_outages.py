"""Chaos: sensor → Redis → ``phantomnet server`` → PostgreSQL, as real processes, with a real
SMTP client sending throughout, while the broker or the database goes away.

* Redis stopped for 20 s and started again (the sensor spools, the server waits);
* PostgreSQL stopped for 20 s and started again (the writer retries, the response sweeps
  and the retention job back off);
* a poison entry XADDed straight into the stream ahead of good events (delivery-count
  dead-lettering; the writer-side fix of its OverflowError is h4's, either path must park it).

Each case: every accepted message is stored exactly once (0 lost, 0 duplicated), neither
process exited or was restarted by hand, ``/health`` said ``degraded`` during the outage and
``ok`` after. The recovery time (service back → backlog drained) is printed (``-s``), never
asserted. Servers are our own (free ports); nothing touches the shared 6379/5432.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis

from phantomnet import plugins
from tests.chaos.outage_helpers import DurableRedis, PrivatePostgres, SmtpLoad, free_port
from tests.conftest import unavailable
from tests.e2e.harness import PhantomNet

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
OUTAGE_S = 20
DRAIN_DEADLINE_S = 240
STREAM = "pn-chaos:events"
DEAD = "pn-chaos:dead"


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[DurableRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    (tmp_path / "redis").mkdir()
    server = DurableRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if not (Path("/usr/lib/postgresql/15/bin/initdb")).exists():
        unavailable("PostgreSQL 15 server binaries are not installed")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


class Setup:
    def __init__(self, tmp: Path, redis_url: str, pg_url: str) -> None:
        bus = {"backend": "redis", "url": redis_url, "stream": STREAM, "dead_letter_stream": DEAD}
        self.smtp_port = free_port()
        sensors: dict[str, dict[str, object]] = {
            name: {"enabled": False} for name in plugins.available(plugins.SENSORS)
        }
        sensors["smtp"] = {"enabled": True, "host": "127.0.0.1", "port": self.smtp_port}
        (tmp / "sensor").mkdir()
        (tmp / "server").mkdir()
        self.pg_url = pg_url
        self.sensor = PhantomNet(
            tmp / "sensor", {"node": "edge-1", "bus": bus, "sensors": sensors}, command="sensor"
        )
        self.server = PhantomNet(
            tmp / "server",
            {"node": "central", "bus": bus, "database": {"url": pg_url},
             "api": {"port": free_port(), "auth": "off"}},
            command="server",
        )  # fmt: skip

    def __enter__(self) -> Setup:
        assert self.server.cli("migrate").returncode == 0
        self.server.start()
        self.server.wait_http("/health")
        self.sensor.start()
        self.sensor.wait_port(self.smtp_port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sensor.stop()
        self.server.stop()

    def stored(self) -> tuple[int, int]:
        """(rows, distinct messages) of kind smtp.message stored; raises if PG is down."""

        async def query() -> tuple[int, int]:
            conn = await asyncpg.connect(self.pg_url, timeout=5)
            try:
                row = await conn.fetchrow(
                    "SELECT count(*), count(DISTINCT payload->>'sha256') FROM event"
                    " WHERE kind = 'smtp.message'"
                )
                assert row is not None
                return int(row[0]), int(row[1])
            finally:
                await conn.close()

        return asyncio.run(query())

    def wait_stored(self, expected: int) -> tuple[int, int]:
        """Until ``expected`` messages are stored (generous deadline); the last count."""
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        counts = (0, 0)
        while time.monotonic() < deadline:
            self.server.assert_alive()
            self.sensor.assert_alive()
            try:
                counts = self.stored()
            except (OSError, asyncpg.PostgresError):
                counts = (0, 0)
            if counts[1] >= expected:
                return counts
            time.sleep(0.2)
        return counts

    def health(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(self.server.api + "/health", timeout=10) as resp:
            body: dict[str, Any] = json.loads(resp.read())
            return body

    def wait_health_ok(self) -> dict[str, Any]:
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.health()
            if body["status"] == "ok":
                return body
            time.sleep(0.5)
        return body


def check(setup: Setup, load: SmtpLoad, back_at: float, what: str) -> None:
    """Load stopped; every accepted message stored once; both processes alive; health ok."""
    sent = load.stop()
    rows, distinct = setup.wait_stored(sent)
    drained = time.monotonic()
    print(
        f"\n[chaos] {what}: sent {sent} (client failures {load.failed}), stored {rows} rows,"
        f" {distinct} distinct; recovery (service back -> backlog drained)"
        f" {drained - back_at:.1f} s"
    )
    assert (rows, distinct) == (sent, sent), setup.server.log()[-5000:]
    assert load.failed == 0
    setup.server.assert_alive()
    setup.sensor.assert_alive()
    body = setup.wait_health_ok()
    assert body["status"] == "ok", body


def test_redis_down_20s(
    tmp_path: Path, durable_redis: DurableRedis, private_pg: PrivatePostgres
) -> None:
    with Setup(tmp_path, durable_redis.url, private_pg.url) as setup:
        load = SmtpLoad(setup.smtp_port).start()
        time.sleep(3)
        durable_redis.stop()
        time.sleep(1)
        during = setup.health()
        assert during["status"] == "degraded" and during["bus"] == "down", during
        time.sleep(OUTAGE_S - 1)
        durable_redis.start()
        back_at = time.monotonic()
        time.sleep(3)
        check(setup, load, back_at, "Redis down 20 s")
        assert "Traceback" not in setup.server.log(), setup.server.log()[-5000:]


def test_postgres_down_20s(
    tmp_path: Path, durable_redis: DurableRedis, private_pg: PrivatePostgres
) -> None:
    with Setup(tmp_path, durable_redis.url, private_pg.url) as setup:
        load = SmtpLoad(setup.smtp_port).start()
        time.sleep(3)
        private_pg.stop()
        time.sleep(1)
        during = setup.health()
        assert during["status"] == "degraded" and during["database"] == "down", during
        time.sleep(OUTAGE_S - 1)
        private_pg.start()
        back_at = time.monotonic()
        time.sleep(3)
        check(setup, load, back_at, "PostgreSQL down 20 s")


POISON_OCCURRED_AT = "0001-01-01T00:00:00+14:00"


def poison_entry() -> dict[str, str]:
    """A schema-valid smtp.message whose occurred_at overflows when made UTC (issue 11)."""
    data = {
        "kind": "smtp.message",
        "event_id": str(uuid.uuid4()),
        "occurred_at": POISON_OCCURRED_AT,
        "sensor": {"node": "edge-x", "component": "smtp"},
        "mail_from": "p@poison.example",
        "rcpt_to": ["b@corp.example"],
        "size": 1,
        "sha256": "0" * 64,
    }
    return {"v": "1", "kind": "smtp.message", "data": json.dumps(data)}


def test_poison_entry_is_dead_lettered_and_good_events_behind_it_are_stored(
    tmp_path: Path, durable_redis: DurableRedis, private_pg: PrivatePostgres
) -> None:
    client = redis.Redis.from_url(durable_redis.url)
    try:
        poison_id = client.xadd(STREAM, poison_entry())  # type: ignore[arg-type]
        with Setup(tmp_path, durable_redis.url, private_pg.url) as setup:
            load = SmtpLoad(setup.smtp_port, limit=100).start()
            back_at = time.monotonic()
            time.sleep(5)
            check(setup, load, back_at, "poison entry ahead of good events")
            parked = client.xrange(DEAD)
            sources = [fields.get(b"source_id") for _, fields in parked]
            assert poison_id in sources, parked
            assert setup.stored()[0] == load.sent  # the poison itself was not stored
    finally:
        client.close()
