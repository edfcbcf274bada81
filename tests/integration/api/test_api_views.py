"""Stats, component status, traffic, detections, attackers and sessions on real databases."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import NOW, bearer, sample_events, store
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Endpoint, NetworkFlow, SensorRef, SensorStatus
from phantomnet.settings import Settings
from phantomnet.storage.ingest import apply_derived, insert_events
from phantomnet.storage.rows import level_of, protocol_of
from phantomnet.storage.tables import (
    Attacker,
    AttackSession,
    Block,
    DetectionRow,
    PacketLog,
    ScoreRow,
    SensorState,
)

pytestmark = pytest.mark.integration

ATTACKER = "203.0.113.2"


async def _rows(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(table), rows)


def _bystander_flows(n: int) -> list[NetworkFlow]:
    """Flows from addresses that never touched a sensor: traffic, not attackers."""
    monitor = SensorRef(node="test-node", component="monitor")
    return [
        NetworkFlow(
            sensor=monitor,
            src=Endpoint(ip=f"198.51.100.{i + 1}", port=50000 + i),
            dst=Endpoint(ip="127.0.0.1", port=443),
            occurred_at=NOW - timedelta(minutes=5),
            started_at=NOW - timedelta(minutes=6),
            ended_at=NOW - timedelta(minutes=5),
            transport="tcp",
            packets_out=1,
            packets_in=1,
            bytes_out=60,
            bytes_in=60,
        )
        for i in range(n)
    ]


async def _store_like_the_writer(engine: AsyncEngine, events: list[Any]) -> None:
    async with engine.begin() as conn:
        await insert_events(conn, events)
        await apply_derived(conn, events)


async def test_stats(client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine) -> None:
    events = sample_events(30)
    old = sample_events(6, start=NOW - timedelta(hours=48))
    heartbeat = SensorStatus(sensor=SensorRef(node="n", component="api"), state="up")
    await store(engine, [*events, *old, heartbeat])
    await _rows(
        engine,
        Block,
        [_block(active=True, applied=True), _block(active=False, applied=True)],
    )
    r = await client.get("/api/stats", params={"hours": 24}, headers=bearer(viewer_token))
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["events_total"] == 36 and s["events_window"] == 30
    assert s["detections_window"] == 5
    assert s["blocked_active"] == 1 and s["blocked_unapplied"] == 0
    assert "sensor.status" not in s["by_kind"] and "api" not in s["by_protocol"]
    assert s["by_kind"] == dict(Counter(e.kind for e in events))
    assert s["by_protocol"] == dict(Counter(protocol_of(e) for e in events))
    levels = Counter(level_of(e)[0] for e in events)
    assert s["levels"] == {k: levels[k] for k in ("LOW", "MEDIUM", "HIGH")}
    assert levels["LOW"] and levels["MEDIUM"] and levels["HIGH"]
    scores = [e.score for e in events if e.kind == "score"]
    hist = {b["bucket"]: b["count"] for b in s["score_histogram"]}
    assert [hist[b] for b in range(10)] == [
        sum(min(int(x // 10), 9) == b for x in scores) for b in range(10)
    ]
    assert len(s["timeline"]) in (25, 26)
    assert sum(p["events"] for p in s["timeline"]) == 30
    assert sum(p["detections"] for p in s["timeline"]) == 5
    bad = await client.get("/api/stats", params={"hours": 0}, headers=bearer(viewer_token))
    assert bad.status_code == 422


async def test_attackers_kpi_counts_what_the_attackers_page_lists(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    """Issue 12: ATTACKERS said 12 while the Attackers page listed 6. Flows from bystanders
    carry source addresses but make no attacker row; the KPI counts attacker rows."""
    events = [*sample_events(30), *_bystander_flows(4)]
    await _store_like_the_writer(engine, events)
    s = (await client.get("/api/stats", params={"hours": 24}, headers=bearer(viewer_token))).json()
    listed = await client.get("/api/attackers", headers=bearer(viewer_token))
    ips = {a["ip"] for a in listed.json()["items"]}
    assert ips == {"203.0.113.1", "203.0.113.2", "203.0.113.3"}
    assert s["attackers_window"] == len(ips) == 3


async def test_blocked_now_counts_only_blocks_the_firewall_took(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    """Issue 12: BLOCKED NOW counted dry-run blocks that were never applied."""
    await _rows(
        engine,
        Block,
        [
            _block(active=True, applied=True),
            _block(active=True, applied=False, backend="dry-run"),
            _block(active=True, applied=False, backend="dry-run"),
            _block(active=False, applied=True),
        ],
    )
    s = (await client.get("/api/stats", headers=bearer(viewer_token))).json()
    assert s["blocked_active"] == 1
    assert s["blocked_unapplied"] == 2


async def test_facets_list_only_stored_values(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    events = sample_events(30)
    heartbeat = SensorStatus(sensor=SensorRef(node="n", component="api"), state="up")
    await store(engine, [*events, heartbeat])
    await _rows(engine, DetectionRow, [_detection(i) for i in range(2)])
    r = await client.get("/api/facets", headers=bearer(viewer_token))
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["kinds"] == sorted({e.kind for e in events} | {"sensor.status"})
    assert "network.arp" not in f["kinds"] and "smtp.message" not in f["kinds"]
    # A heartbeat's protocol column is its component ("api"): not offered as a protocol.
    assert f["protocols"] == sorted({protocol_of(e) for e in events})
    assert f["sensors"] == ["api", "ssh"]
    assert f["rules"] == ["brute_force", "port_scan"]
    assert f["severities"] == ["critical", "high"]
    assert (await client.get("/api/facets")).status_code == 401


async def test_events_can_leave_heartbeats_out(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    """The Events page opens without heartbeats (``exclude_kind=sensor.status``)."""
    events = sample_events(5)
    heartbeat = SensorStatus(sensor=SensorRef(node="n", component="api"), state="up")
    await store(engine, [*events, heartbeat])
    h = bearer(viewer_token)
    every = (await client.get("/api/events", headers=h)).json()["items"]
    assert "sensor.status" in {e["kind"] for e in every}
    r = await client.get("/api/events", params={"exclude_kind": "sensor.status"}, headers=h)
    assert r.status_code == 200
    kinds = [e["kind"] for e in r.json()["items"]]
    assert len(kinds) == 5 and "sensor.status" not in kinds
    bad = await client.get("/api/events", params={"exclude_kind": "nope"}, headers=h)
    assert bad.status_code == 422


async def test_honeypots_status_merges_table_and_live(
    settings: Settings, engine: AsyncEngine, bus: MemoryBus, viewer_token: str
) -> None:
    now = datetime.now(UTC)  # not the module's NOW: "up" means a heartbeat in the last 30 s
    await _rows(
        engine,
        SensorState,
        [
            _sensor("sensor-a", "ssh", now, "up"),
            _sensor("sensor-a", "ftp", now - timedelta(minutes=10), "up"),
            _sensor("sensor-b", "http", now, "stopping"),
        ],
    )

    def live() -> list[dict[str, Any]]:
        return [
            {
                "component": "smtp",
                "state": "up",
                "listen": "127.0.0.1:2525",
                "connections": 2,
                "events": 7,
            }
        ]

    app = create_app(settings, engine=engine, bus=bus, status=live)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/api/honeypots/status", headers=bearer(viewer_token))
    items = {(i["node"], i["component"]): i for i in r.json()["items"]}
    assert items[("sensor-a", "ssh")]["up"] is True
    assert items[("sensor-a", "ftp")]["up"] is False
    assert items[("sensor-b", "http")]["up"] is False
    smtp = items[("test-node", "smtp")]
    assert smtp["up"] is True and smtp["connections"] == 2 and smtp["events"] == 7
    assert smtp["listen"] == "127.0.0.1:2525"


async def test_traffic_merges_packets_and_flows(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    events = sample_events(12)
    await store(engine, events)
    await _rows(
        engine,
        PacketLog,
        [
            {
                "timestamp": NOW - timedelta(seconds=i),
                "src_ip": "198.51.100.7",
                "dst_ip": "127.0.0.1",
                "protocol": "TCP",
                "length": 60 + i,
                "is_malicious": i == 0,
                "threat_score": 90.0,
            }
            for i in range(3)
        ],
    )
    r = await client.get("/api/traffic", params={"limit": 4}, headers=bearer(viewer_token))
    items = r.json()["items"]
    assert [i["type"] for i in items] == ["packet", "packet", "packet", "flow"]
    assert items[0]["is_malicious"] is True and items[0]["length"] == 60
    assert items[3]["length"] == 500 and items[3]["packets"] == 5
    stamps = [i["timestamp"] for i in items]
    assert stamps == sorted(stamps, reverse=True)


async def test_detections_paged_and_filtered(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    await _rows(engine, DetectionRow, [_detection(i) for i in range(9)])
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, "severity": "high,critical"}
        if cursor:
            params["cursor"] = cursor
        body = (
            await client.get("/api/detections", params=params, headers=bearer(viewer_token))
        ).json()
        seen += [d["id"] for d in body["items"]]
        assert all(d["severity"] in ("high", "critical") for d in body["items"])
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)
    r = await client.get(
        "/api/detections",
        params={"rule": "port_scan", "src_ip": ATTACKER},
        headers=bearer(viewer_token),
    )
    assert {d["rule"] for d in r.json()["items"]} == {"port_scan"}
    assert r.json()["items"][0]["evidence"] == ["event:x", "packet:3"]
    r = await client.get(
        "/api/detections", params={"severity": "huge"}, headers=bearer(viewer_token)
    )
    assert r.status_code == 422


async def test_attackers_and_profile(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    events = sample_events(30)
    await store(engine, events)
    await _rows(
        engine, Attacker, [_attacker(ATTACKER, 30, 80.0), _attacker("198.51.100.9", 5, 99.0)]
    )
    sid = uuid.uuid4()
    await _rows(engine, AttackSession, [_session(sid, ATTACKER, "sessions/x.cast")])
    await _rows(engine, DetectionRow, [_detection(1)])
    await _rows(engine, ScoreRow, [_score(ATTACKER)])
    await _rows(engine, Block, [_block(active=True)])
    r = await client.get(
        "/api/attackers", params={"sort": "max_score"}, headers=bearer(viewer_token)
    )
    assert [a["ip"] for a in r.json()["items"]] == ["198.51.100.9", ATTACKER]
    r = await client.get(
        "/api/attackers", params={"sort": "event_count"}, headers=bearer(viewer_token)
    )
    assert [a["ip"] for a in r.json()["items"]] == [ATTACKER, "198.51.100.9"]
    r = await client.get(f"/api/attackers/{ATTACKER}", headers=bearer(viewer_token))
    assert r.status_code == 200, r.text
    p = r.json()
    mine = [e for e in events if e.src and e.src.ip == ATTACKER]
    assert p["attacker"]["ip"] == ATTACKER and p["attacker"]["protocols"] == ["ssh"]
    assert {e["event_id"] for e in p["timeline"]} == {str(e.event_id) for e in mine}
    assert {c["username"] for c in p["credentials"]} == {
        e.username for e in mine if e.kind == "auth.attempt"
    }
    assert all(c["command"] == "uname -a" for c in p["commands"])
    assert p["sessions"][0]["session_id"] == str(sid) and p["sessions"][0]["has_recording"]
    assert p["detections"][0]["src_ip"] == ATTACKER
    assert p["scores"][0]["level"] == "HIGH"
    assert p["block"]["target"] == ATTACKER and p["block"]["active"] is True
    assert (
        await client.get("/api/attackers/192.0.2.200", headers=bearer(viewer_token))
    ).status_code == 404
    assert (
        await client.get("/api/attackers/not-an-ip", headers=bearer(viewer_token))
    ).status_code == 422


async def test_profile_without_attacker_row(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    await store(engine, sample_events(9))
    r = await client.get("/api/attackers/203.0.113.1", headers=bearer(viewer_token))
    assert r.status_code == 200 and r.json()["attacker"]["event_count"] == 3


async def test_sessions_and_recording(
    client: httpx.AsyncClient,
    viewer_token: str,
    engine: AsyncEngine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    cast = settings.data_dir / "sessions" / "a.cast"
    cast.parent.mkdir(parents=True)
    cast.write_text('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "$ "]\n')
    (tmp_path / "outside.cast").write_text("secret")
    sids = [uuid.uuid4() for _ in range(5)]
    rows = [_session(sid, ATTACKER, None, minutes=i) for i, sid in enumerate(sids)]
    rows[0]["recording"] = "sessions/a.cast"
    rows[1]["recording"] = "../outside.cast"
    rows[2]["recording"] = str(tmp_path / "outside.cast")
    await _rows(engine, AttackSession, rows)
    events = sample_events(6)
    await store(engine, events)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "limit": 2,
            "src_ip": ATTACKER,
            **({"cursor": cursor} if cursor else {}),
        }
        body = (
            await client.get("/api/sessions", params=params, headers=bearer(viewer_token))
        ).json()
        seen += [s["session_id"] for s in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == [str(s) for s in reversed(sids)]
    r = await client.get(f"/api/sessions/{sids[0]}", headers=bearer(viewer_token))
    assert r.json()["session"]["has_recording"] is True and r.json()["events"] == []
    r = await client.get(f"/api/sessions/{sids[0]}/recording", headers=bearer(viewer_token))
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-asciicast"
    assert r.text.startswith('{"version": 2')
    for sid in sids[1:4]:
        r = await client.get(f"/api/sessions/{sid}/recording", headers=bearer(viewer_token))
        assert r.status_code == 404 and "secret" not in r.text
    r = await client.get(f"/api/sessions/{uuid.uuid4()}", headers=bearer(viewer_token))
    assert r.status_code == 404
    r = await client.get("/api/sessions", params={"cursor": "zzz"}, headers=bearer(viewer_token))
    assert r.status_code == 422


async def test_session_events(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    events = sample_events(6)
    await store(engine, events)
    sid = events[0].session_id
    assert sid is not None
    await _rows(engine, AttackSession, [_session(sid, "203.0.113.1", None)])
    r = await client.get(f"/api/sessions/{sid}", headers=bearer(viewer_token))
    expected = [str(e.event_id) for e in events if e.session_id == sid]
    assert [e["event_id"] for e in r.json()["events"]] == expected


def _sensor(node: str, component: str, seen: Any, state: str) -> dict[str, Any]:
    return {
        "node": node,
        "component": component,
        "state": state,
        "listen": None,
        "connections": 0,
        "events": 3,
        "detail": "",
        "last_seen_at": seen,
    }


def _block(*, active: bool, applied: bool = True, backend: str = "nftables") -> dict[str, Any]:
    return {
        "applied": applied,
        "backend": backend,
        "target": ATTACKER,
        "source": "manual",
        "reason": "test",
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=1),
        "active": active,
        "offence": 1,
    }


def _detection(i: int) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "rule": ("brute_force", "port_scan", "syn_flood")[i % 3],
        "severity": ("high", "critical", "low")[i % 3],
        "detector": "t",
        "protocol": "ssh",
        "src_ip": ATTACKER,
        "target_ip": "127.0.0.1",
        "target_port": 22,
        "first_seen_at": NOW,
        "last_seen_at": NOW,
        "count": 3,
        "summary": "s",
        "evidence": ["event:x", "packet:3"],
    }


def _attacker(ip: str, count: int, score: float) -> dict[str, Any]:
    return {
        "ip": ip,
        "first_seen_at": NOW - timedelta(hours=1),
        "last_seen_at": NOW,
        "event_count": count,
        "detection_count": 1,
        "max_score": score,
        "last_score": score,
        "last_level": "HIGH",
        "protocols": ["ssh"],
    }


def _session(sid: uuid.UUID, ip: str, recording: str | None, minutes: int = 0) -> dict[str, Any]:
    return {
        "session_id": sid,
        "component": "ssh",
        "protocol": "ssh",
        "node": "n",
        "src_ip": ip,
        "src_port": 4000,
        "dst_port": 2222,
        "started_at": NOW - timedelta(hours=1) + timedelta(minutes=minutes),
        "authenticated": True,
        "auth_attempts": 2,
        "commands": 1,
        "recording": recording,
    }


def _score(ip: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "subject_kind": "auth.attempt",
        "src_ip": ip,
        "scored_at": NOW,
        "score": 91.0,
        "level": "HIGH",
        "decision": "BLOCK",
        "confidence": 0.8,
        "model_version": "t",
    }
