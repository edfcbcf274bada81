"""The seed's analysis endpoints: threat score, protocol analytics, live traffic and stats.

* ``POST /api/v1/analyze/threat-score`` scores one packet summary
  ``{src_ip, dst_ip, dst_port, protocol, length}`` -> ``{score, threat_level, confidence,
  decision}``. A packet summary carries little information: it is scored as a one-packet
  flow (TCP assumed mid-connection, ACK) with the per-source context of the previous calls
  in this process, by the same model as the bus service. Answers are cached per request
  tuple for ``scoring.cache_ttl_s``.
* ``GET /api/v1/analytics/ssh|http|trends|top-attackers``: read-side SQL in
  ``storage/analytics.py``.
* ``GET /analyze-traffic`` (last 50 packets with geolocation, a JSON array) and
  ``GET /traffic-stats`` (``{total, malicious, history}``).

The scorer and the geolocator come from the runtime (``ScorerDep``, ``GeoDep``: the
``ApiServices`` handed to ``create_app``); without a scorer threat-score answers 503.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress

from phantomnet.api.deps import DbDep, GeoDep, ScorerDep, Viewer
from phantomnet.events import Decision, Endpoint, Level, NetworkFlow, SensorRef
from phantomnet.storage import analytics

router = APIRouter(tags=["analysis"])
_API_SENSOR = SensorRef(node="api", component="threat-score")
_TRANSPORTS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmp6": "icmp6", "icmpv6": "icmp6"}


class ThreatScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    src_ip: IPvAnyAddress
    dst_ip: IPvAnyAddress
    dst_port: int = Field(default=0, ge=0, le=65535)
    protocol: str = Field(default="TCP", min_length=1, max_length=16)
    length: int = Field(ge=0, le=262_144)


class ThreatScoreOut(BaseModel):
    score: float
    threat_level: Level
    confidence: float
    decision: Decision


def packet_flow(body: ThreatScoreIn, now: datetime) -> NetworkFlow:
    """The one-packet flow a packet summary stands for."""
    transport = _TRANSPORTS.get(body.protocol.lower(), "other")
    return NetworkFlow(
        sensor=_API_SENSOR,
        src=Endpoint(ip=str(body.src_ip)),
        dst=Endpoint(ip=str(body.dst_ip), port=body.dst_port if transport != "icmp" else None),
        transport=transport,
        started_at=now,
        ended_at=now,
        packets_out=1,
        packets_in=0,
        bytes_out=body.length,
        bytes_in=0,
        tcp_flags_out=0x10 if transport == "tcp" else 0,
    )


@router.post("/api/v1/analyze/threat-score", response_model=ThreatScoreOut, name="threat-score")
async def threat_score(body: ThreatScoreIn, _: Viewer, scorer: ScorerDep) -> ThreatScoreOut:
    """Score one packet summary with the flow model (see the module docstring)."""
    key = f"{body.src_ip}|{body.dst_ip}|{body.dst_port}|{body.protocol.lower()}|{body.length}"
    verdict = scorer.cache.get(key)
    if verdict is None:
        vector = scorer.extractor.flows.vector(packet_flow(body, datetime.now(UTC)))
        verdict = scorer.model.score("flow", np.asarray([vector], dtype=np.float64))[0]
        scorer.cache.put(key, verdict)
    return ThreatScoreOut(
        score=verdict.score,
        threat_level=verdict.level,
        confidence=verdict.confidence,
        decision=verdict.decision,
    )


def _since(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


Hours = Annotated[float, Query(gt=0, le=24 * 90, description="window, hours")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/api/v1/analytics/ssh", name="ssh")
async def ssh_analytics(
    db: DbDep,
    _: Viewer,
    hours: Hours = 24,
    threshold: Annotated[int, Query(ge=1, le=100_000)] = 5,
    limit: Limit = 10,
) -> dict[str, Any]:
    """SSH authentication stats and brute-force suspects (>= ``threshold`` failures)."""
    return await analytics.ssh_stats(
        db, since=_since(hours), suspect_failures=threshold, limit=limit
    )


@router.get("/api/v1/analytics/http", name="http")
async def http_analytics(
    db: DbDep,
    _: Viewer,
    hours: Hours = 24,
    per_minute: Annotated[float, Query(gt=0)] = 120.0,
    min_requests: Annotated[int, Query(ge=1)] = 100,
    limit: Limit = 10,
) -> dict[str, Any]:
    """HTTP honeypot stats and flood suspects."""
    return await analytics.http_stats(
        db, since=_since(hours), flood_per_minute=per_minute, min_requests=min_requests, limit=limit
    )


@router.get("/api/v1/analytics/trends", name="trends")
async def trends(
    db: DbDep, _: Viewer, days: Annotated[int, Query(ge=1, le=90)] = 7
) -> dict[str, Any]:
    """Daily volume for the last ``days`` UTC days (oldest first)."""
    return {"days": days, "series": await analytics.daily_trends(db, days=days)}


@router.get("/api/v1/analytics/top-attackers", name="top-attackers")
async def top_attackers(
    db: DbDep,
    _: Viewer,
    protocol: Annotated[str | None, Query(max_length=32)] = None,
    hours: Hours = 24 * 7,
    limit: Limit = 10,
) -> dict[str, Any]:
    """Sources with the most events (of ``protocol`` when given)."""
    items = await analytics.top_attackers(
        db, protocol=protocol or None, since=_since(hours), limit=limit
    )
    return {"protocol": protocol or None, "items": items}


@router.get("/analyze-traffic", name="analyze-traffic")
async def analyze_traffic(_: Viewer, db: DbDep, geo: GeoDep) -> list[dict[str, Any]]:
    """The last 50 packets, newest first, each with ``geo`` for its source address."""
    packets = await analytics.recent_packets(db, limit=50)
    stored = await analytics.attacker_geo(db, ips=[p["src_ip"] for p in packets])
    for p in packets:
        found = geo.lookup(p["src_ip"])
        known = stored.get(p["src_ip"])
        if known and known.get("country"):
            found = {**found, **{k: v for k, v in known.items() if v is not None}}
        p["geo"] = found
    return packets


@router.get("/traffic-stats", name="traffic-stats")
async def traffic_stats(
    db: DbDep,
    _: Viewer,
    hours: Hours = 24,
    history: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """``{total, malicious, history}`` from ``traffic_stats`` over the window."""
    return await analytics.traffic_totals(db, since=_since(hours), history=history)
