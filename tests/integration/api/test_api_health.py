"""/health (including a database that is down), problem answers, /metrics and OpenAPI."""

from __future__ import annotations

import socket

import httpx
import pytest
from api_helpers import bearer
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from phantomnet.api import create_app
from phantomnet.bus.memory import MemoryBus
from phantomnet.settings import Settings

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(app: object, *, raise_errors: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_errors)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_health_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["bus"] == "ok"
    assert body["version"]


async def test_health_degraded_when_database_is_down(settings: Settings) -> None:
    down = create_async_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/nothing",
        connect_args={"timeout": 2},
    )
    app = create_app(settings, engine=down, bus=MemoryBus())
    try:
        async with _client(app) as c:
            r = await c.get("/health")
            assert r.status_code == 200
            assert r.json()["status"] == "degraded" and r.json()["database"] == "down"
            assert r.json()["bus"] == "ok"
            off = await c.get("/api/events", headers=bearer("pn_whatever"))
            assert off.status_code == 503
            assert off.headers["content-type"] == "application/problem+json"
            assert "Traceback" not in off.text
    finally:
        await down.dispose()


async def test_health_degraded_without_bus(settings: Settings, engine: AsyncEngine) -> None:
    async with _client(create_app(settings, engine=engine)) as c:
        body = (await c.get("/health")).json()
        assert body == {**body, "status": "degraded", "database": "ok", "bus": "down"}


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nope")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.delete("/health")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Method Not Allowed"


async def test_unexpected_error_is_500_without_traceback(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings, engine=engine)
    boom = APIRouter(tags=["test"])

    @boom.get("/boom")
    async def explode() -> None:
        raise ValueError("secret internal detail /etc/passwd")

    app.include_router(boom)
    async with _client(app, raise_errors=False) as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text


async def test_metrics(client: httpx.AsyncClient, viewer_token: str, bus: MemoryBus) -> None:
    await client.get("/api/events", headers=bearer(viewer_token))
    await client.get("/api/events/definitely-not-a-uuid", headers=bearer(viewer_token))
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    ok_events = 'method="GET",route="/api/events",status="200"} 1.0'
    assert f"phantomnet_http_requests_total{{{ok_events}" in text
    assert 'route="/api/events/{event_id}",status="422"' in text
    assert "phantomnet_http_request_duration_seconds_bucket" in text
    assert 'phantomnet_bus_events_total{bus="memory",what="published"}' in text


async def test_metrics_are_per_app(settings: Settings, engine: AsyncEngine) -> None:
    a, b = create_app(settings, engine=engine), create_app(settings, engine=engine)
    async with _client(a) as ca, _client(b) as cb:
        await ca.get("/health")
        text_b = (await cb.get("/metrics")).text
    assert 'route="/health"' not in text_b


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/health",
        "/api/me",
        "/api/events",
        "/api/events/{event_id}",
        "/api/stats",
        "/api/honeypots/status",
        "/api/traffic",
        "/api/stream",
        "/api/detections",
        "/api/attackers",
        "/api/attackers/{ip}",
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/sessions/{session_id}/recording",
        "/metrics",
    ):
        assert path in paths, path
    ops = [op for item in paths.values() for op in item.values()]
    ids = [op["operationId"] for op in ops]
    assert len(ids) == len(set(ids))
    assert "events-list" in ids and "health-health" in ids and "sessions-recording" in ids
    for op in ops:
        assert "200" in op["responses"], op["operationId"]
    assert paths["/api/events"]["get"]["responses"]["200"]["content"]["application/json"]


async def test_metrics_can_require_a_token(
    settings: Settings, engine: AsyncEngine, viewer_token: str
) -> None:
    private = settings.model_copy(
        update={"api": settings.api.model_copy(update={"metrics_public": False})}
    )
    async with _client(create_app(private, engine=engine)) as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers=bearer(viewer_token))).status_code == 200


class Body(BaseModel):
    ip: str


async def test_malformed_json_body_is_422_problem(
    settings: Settings, engine: AsyncEngine, admin_token: str
) -> None:
    app = create_app(settings, engine=engine)
    extra = APIRouter(tags=["test"])

    @extra.post("/api/test-body")
    async def take(body: Body) -> dict[str, str]:
        return {"ip": body.ip}

    app.include_router(extra)
    headers = {**bearer(admin_token), "Content-Type": "application/json"}
    async with _client(app) as c:
        for raw in (b'{"ip": ', b"\xff\xfe", b'{"ip": 5}', b"[]"):
            r = await c.post("/api/test-body", content=raw, headers=headers)
            assert r.status_code == 422, raw
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["status"] == 422 and r.json()["detail"]
        ok = await c.post("/api/test-body", json={"ip": "192.0.2.1"}, headers=headers)
        assert ok.json() == {"ip": "192.0.2.1"}
