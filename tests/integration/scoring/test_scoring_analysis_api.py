"""The seed's analysis endpoints on SQLite and PostgreSQL, with data written by the real
storage ingest path (and the geolocator as its ``enrich`` callable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import (
    AuthAttempt,
    Detection,
    Endpoint,
    Event,
    HttpRequest,
    NetworkPacket,
    NetworkStats,
    Score,
    SensorRef,
)
from phantomnet.intel.geo import GeoLocator
from phantomnet.settings import Settings
from phantomnet.storage.ingest import apply_derived, insert_events

pytestmark = pytest.mark.integration
#: "Now" for the data set, taken again at the start of each test (see ``_fresh_now``): the
#: API's windows are relative to the moment of the request, not to when pytest imported this.
NOW = datetime.now(UTC).replace(microsecond=0)
SSH = SensorRef(node="n1", component="ssh")
HTTP = SensorRef(node="n1", component="http")
MON = SensorRef(node="n1", component="monitor")
BRUTE, LOGIN, FLOOD, WEB = "8.8.8.8", "198.51.100.20", "1.1.1.1", "10.0.0.5"
HONEYPOT = Endpoint(ip="192.0.2.10", port=22)


async def ingest(engine: AsyncEngine, events: list[Event]) -> None:
    async with engine.begin() as conn:
        new = await insert_events(conn, events)
        await apply_derived(conn, [e for e in events if e.event_id in new], GeoLocator())


def auth(ip: str, accepted: bool, i: int) -> AuthAttempt:
    return AuthAttempt(
        sensor=SSH,
        src=Endpoint(ip=ip, port=40000 + i),
        dst=HONEYPOT,
        session_id=uuid4() if i % 4 == 0 else None,
        protocol="ssh",
        username="root" if i % 2 else "admin",
        password=f"pw{i % 3}",
        accepted=accepted,
        occurred_at=NOW - timedelta(minutes=30, seconds=-i),
    )


def request(ip: str, i: int, path: str = "/", status: int = 200) -> HttpRequest:
    return HttpRequest(
        sensor=HTTP,
        src=Endpoint(ip=ip, port=50000),
        dst=Endpoint(ip="192.0.2.10", port=8080),
        method="GET",
        path=path,
        status=status,
        user_agent="curl/8.5",
        occurred_at=NOW - timedelta(minutes=10, seconds=-i * 0.2),
    )


def dataset() -> list[Event]:
    events: list[Event] = [auth(BRUTE, False, i) for i in range(12)]
    events += [auth(LOGIN, i == 2, i) for i in range(3)]
    events += [request(FLOOD, i, "/login", 401) for i in range(150)]
    events += [request(WEB, i, f"/page/{i}") for i in range(5)]
    events.append(
        Detection(
            sensor=SSH,
            src=Endpoint(ip=BRUTE),
            rule="brute_force",
            severity="high",
            protocol="ssh",
            first_seen=NOW - timedelta(hours=1),
            last_seen=NOW - timedelta(minutes=29),
            count=12,
            summary="12 fails",
            detector="brute_force",
            occurred_at=NOW - timedelta(minutes=29),
        )
    )
    events.append(
        Score(
            sensor=SensorRef(node="n1", component="scoring"),
            src=Endpoint(ip=BRUTE),
            subject_kind="session",
            score=92,
            level="HIGH",
            decision="BLOCK",
            confidence=0.9,
            model_version="t",
            occurred_at=NOW - timedelta(days=1),
        )
    )
    for i in range(60):
        events.append(
            NetworkPacket(
                sensor=MON,
                src=Endpoint(ip=BRUTE if i % 2 else "10.1.2.3", port=1000 + i),
                dst=Endpoint(ip="192.0.2.10", port=22),
                transport="tcp",
                length=60 + i,
                suspicious=i % 2 == 1,
                attack_type="SYN Scan" if i % 2 else None,
                occurred_at=NOW - timedelta(seconds=100 - i),
            )
        )
    for i in range(3):
        events.append(
            NetworkStats(
                sensor=MON,
                window_s=60,
                total_packets=100 * (i + 1),
                malicious_packets=i,
                occurred_at=NOW - timedelta(minutes=3 - i),
            )
        )
    events.append(
        NetworkStats(
            sensor=MON,
            window_s=60,
            total_packets=999,
            malicious_packets=9,
            occurred_at=NOW - timedelta(days=3),
        )
    )
    return events


@pytest.fixture(autouse=True)
def _fresh_now() -> None:
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def loaded(scoring_engine: AsyncEngine) -> None:
    await ingest(scoring_engine, dataset())


async def test_ssh_analytics(scoring_client: httpx.AsyncClient, loaded: None) -> None:
    r = await scoring_client.get("/api/v1/analytics/ssh")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_attempts"] == 15 and body["failed_attempts"] == 14
    assert body["successful_attempts"] == 1 and body["unique_ips"] == 2
    [suspect] = body["brute_force_suspects"]
    assert suspect["ip"] == BRUTE and suspect["failed"] == 12 and suspect["attempts"] == 12
    assert {u["username"] for u in body["top_usernames"]} == {"root", "admin"}
    strict = (await scoring_client.get("/api/v1/analytics/ssh?threshold=20")).json()
    assert strict["brute_force_suspects"] == []


async def test_http_analytics(scoring_client: httpx.AsyncClient, loaded: None) -> None:
    body = (await scoring_client.get("/api/v1/analytics/http")).json()
    assert body["total_requests"] == 155 and body["unique_ips"] == 2
    [suspect] = body["flood_suspects"]
    assert suspect["ip"] == FLOOD and suspect["requests"] == 150
    assert suspect["per_minute"] >= 120
    assert body["status_codes"][0] == {"status": 401, "count": 150}
    assert body["top_paths"][0] == {"path": "/login", "count": 150}


async def test_trends(scoring_client: httpx.AsyncClient, loaded: None) -> None:
    before = datetime.now(UTC).date()
    body = (await scoring_client.get("/api/v1/analytics/trends?days=7")).json()
    after = datetime.now(UTC).date()
    series = body["series"]
    assert body["days"] == 7 and len(series) == 7
    assert series[-1]["date"] in {before.isoformat(), after.isoformat()}  # midnight may pass
    assert [p["date"] for p in series] == sorted(p["date"] for p in series)
    # Summed over the window, so the time of day does not matter: the data set's recent
    # events are at most one hour old and may fall on yesterday's UTC date.
    assert sum(p["events"] for p in series) >= 12 + 3 + 155 + 60
    assert sum(p["attacks"] for p in series) == 1
    assert sum(p["high"] for p in series) == 1
    bad = await scoring_client.get("/api/v1/analytics/trends?days=0")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_top_attackers(scoring_client: httpx.AsyncClient, loaded: None) -> None:
    body = (await scoring_client.get("/api/v1/analytics/top-attackers?protocol=ssh")).json()
    assert body["protocol"] == "ssh"
    first = body["items"][0]
    assert first["ip"] == BRUTE and first["country_code"] == "US"  # enriched by the writer
    everything = (await scoring_client.get("/api/v1/analytics/top-attackers")).json()
    assert everything["items"][0]["ip"] == FLOOD


async def test_analyze_traffic_has_geolocation(
    scoring_client: httpx.AsyncClient, loaded: None
) -> None:
    r = await scoring_client.get("/analyze-traffic")
    rows: list[dict[str, Any]] = r.json()
    assert r.status_code == 200 and isinstance(rows, list) and len(rows) == 50
    assert rows[0]["timestamp"] >= rows[-1]["timestamp"]
    by_ip = {row["src_ip"]: row for row in rows}
    assert by_ip[BRUTE]["geo"]["country_code"] == "US" and by_ip[BRUTE]["is_malicious"]
    assert by_ip["10.1.2.3"]["geo"]["private"] is True


async def test_traffic_stats(scoring_client: httpx.AsyncClient, loaded: None) -> None:
    body = (await scoring_client.get("/traffic-stats")).json()
    assert body["total"] == 600 and body["malicious"] == 3
    assert [p["total"] for p in body["history"]] == [100, 200, 300]
    wide = (await scoring_client.get("/traffic-stats?hours=100")).json()
    assert wide["total"] == 1599


async def test_threat_score_shape_and_decisions(scoring_client: httpx.AsyncClient) -> None:
    body = {
        "src_ip": "203.0.113.50",
        "dst_ip": "192.0.2.10",
        "dst_port": 80,
        "protocol": "TCP",
        "length": 512,
    }
    r = await scoring_client.post("/api/v1/analyze/threat-score", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == {"score", "threat_level", "confidence", "decision"}
    assert 0 <= out["score"] <= 100 and 0 <= out["confidence"] <= 1
    assert out["threat_level"] in {"LOW", "MEDIUM", "HIGH"}
    assert out["decision"] in {"ALLOW", "ALERT", "BLOCK"}
    again = (await scoring_client.post("/api/v1/analyze/threat-score", json=body)).json()
    assert again == out  # cached for the TTL
    # A burst of probes from one source to many ports looks like a scan.
    last: dict[str, Any] = {}
    for port in range(1, 300):
        probe = {**body, "src_ip": "203.0.113.99", "dst_port": port, "length": 44}
        last = (await scoring_client.post("/api/v1/analyze/threat-score", json=probe)).json()
    assert last["score"] > out["score"]
    assert last["decision"] != "ALLOW"
    bad = await scoring_client.post(
        "/api/v1/analyze/threat-score", json={**body, "src_ip": "not-an-ip"}
    )
    assert bad.status_code == 422


async def test_reads_need_a_token_when_auth_is_on(
    tmp_path: Path, clean_env: None, scoring_engine: AsyncEngine
) -> None:
    app = create_app(
        Settings(data_dir=tmp_path / "d", node="n"),
        engine=scoring_engine,
        bus=MemoryBus(queue_size=10),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as c:
        for path in ("/api/v1/analytics/ssh", "/traffic-stats", "/analyze-traffic"):
            assert (await c.get(path)).status_code == 401
        r = await c.post("/api/v1/analyze/threat-score", json={})
        assert r.status_code in (401, 422)
