"""The API receives its services from the runtime as typed state (issue 12 §7).

The runtime builds one ``ApiServices`` (``runtime/services.py``): the response part's own
``ResponseService`` and a scorer over the model the scoring service loaded. Routes use them
through typed dependencies and never build a service themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.api.services import NO_RESPONSE, NO_SCORER, ApiServices
from phantomnet.bus.memory import MemoryBus
from phantomnet.response.component import ResponseComponent
from phantomnet.runtime.build import build
from phantomnet.runtime.parts import PARTS
from phantomnet.runtime.services import RESPONSE_KEY, api_services
from phantomnet.scoring.service import ScoringService
from phantomnet.settings import Settings

pytestmark = pytest.mark.integration
ROUTES = Path(__file__).resolve().parents[3] / "src" / "phantomnet" / "api" / "routes"
PACKET = {"src_ip": "203.0.113.5", "dst_ip": "10.0.0.2", "dst_port": 22, "length": 60}


def client(
    settings: Settings, engine: AsyncEngine, bus: MemoryBus, **kw: object
) -> httpx.AsyncClient:
    app = create_app(settings, engine=engine, bus=bus, **kw)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


async def test_the_api_uses_the_runtimes_own_services(
    tmp_path: Path, clean_env: None, engine: AsyncEngine
) -> None:
    settings = Settings(data_dir=tmp_path / "data", node="n", api={"auth": "off"})
    bus = MemoryBus(queue_size=1000)
    rt = build(settings, bus, role="server", extra=PARTS, engine=engine)
    scoring = next(c for c in rt.components if isinstance(c, ScoringService))
    reconciler = next(c for c in rt.components if isinstance(c, ResponseComponent))
    await scoring.start()  # the supervisor starts it before the API server
    try:
        services = await api_services(settings, engine, bus, rt.shared)
    finally:
        await scoring.stop()
    assert services.response is reconciler.service is rt.shared[RESPONSE_KEY]
    assert services.scorer is not None and scoring.scorer is not None
    assert services.scorer.model is scoring.scorer.model  # one model in memory
    assert services.scorer is not scoring.scorer  # the API's own context and cache

    async with client(settings, engine, bus, services=services) as c:
        made = await c.post("/api/active-defense/block/203.0.113.9", json={"reason": "t"})
        assert made.status_code == 200, made.text
        scored = await c.post("/api/v1/analyze/threat-score", json=PACKET)
        assert scored.status_code == 200, scored.text
        traffic = await c.get("/analyze-traffic")
        assert traffic.status_code == 200, traffic.text
    assert reconciler.service.counters.blocks == 1  # the reconciler's service did the block
    assert await reconciler.service.store.get_active("203.0.113.9") is not None
    assert len(services.scorer.cache) == 1


async def test_without_services_the_routes_that_need_them_answer_503(
    tmp_path: Path, clean_env: None, engine: AsyncEngine
) -> None:
    settings = Settings(data_dir=tmp_path / "data", node="n", api={"auth": "off"})
    async with client(settings, engine, MemoryBus()) as c:
        scored = await c.post("/api/v1/analyze/threat-score", json=PACKET)
        assert scored.status_code == 503
        assert scored.json()["detail"] == NO_SCORER
        blocked = await c.post("/api/active-defense/block/203.0.113.9")
        assert blocked.status_code == 503
        assert blocked.json()["detail"] == NO_RESPONSE
        assert (await c.get("/api/active-defense/blocks")).status_code == 503
        assert (await c.get("/analyze-traffic")).status_code == 200  # geo from settings


async def test_a_model_that_cannot_be_used_turns_threat_score_off_with_its_reason(
    tmp_path: Path, clean_env: None, engine: AsyncEngine
) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        node="n",
        api={"auth": "off"},
        scoring={"model_dir": str(empty), "model_sha256": "0" * 64},
    )
    bus = MemoryBus()
    services = await api_services(settings, engine, bus)
    assert services.scorer is None and services.response is not None
    async with client(settings, engine, bus, services=services) as c:
        scored = await c.post("/api/v1/analyze/threat-score", json=PACKET)
        assert scored.status_code == 503
        assert scored.json()["detail"].startswith("the scoring model cannot be used: ")
        blocked = await c.post("/api/active-defense/block/203.0.113.9")
        assert blocked.status_code == 200, blocked.text


async def test_auth_is_checked_before_a_missing_service(
    tmp_path: Path, clean_env: None, engine: AsyncEngine
) -> None:
    settings = Settings(data_dir=tmp_path / "data", node="n")  # auth on
    async with client(settings, engine, MemoryBus()) as c:
        assert (await c.post("/api/v1/analyze/threat-score", json=PACKET)).status_code == 401
        assert (await c.post("/api/active-defense/block/203.0.113.9")).status_code == 401
        assert (await c.get("/api/active-defense/blocks")).status_code == 401
        assert (await c.post("/block-ip", json={"ip": "203.0.113.9"})).status_code == 401


def test_no_route_builds_a_service() -> None:
    """Routes take services from dependencies: no builder, loader or app.state in routes/."""
    banned = {"build_service", "build_blocker", "ScoringModel", "Scorer", "GeoLocator"}
    offenders = []
    for path in sorted(ROUTES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name | ast.alias):
                name = node.id if isinstance(node, ast.Name) else node.name
                if name in banned:
                    offenders.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {name}")
            elif isinstance(node, ast.Attribute) and ast.unparse(node).endswith("app.state"):
                offenders.append(f"{path.name}:{node.lineno}: app.state")
    assert offenders == []


def test_services_are_a_typed_frozen_object() -> None:
    services = ApiServices.none()
    with pytest.raises(AttributeError):
        services.response = None  # type: ignore[misc]
