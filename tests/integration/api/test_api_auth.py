"""Bearer tokens and roles against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from api_helpers import bearer
from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.api.auth import list_tokens, revoke_token
from phantomnet.api.deps import Admin
from phantomnet.settings import Settings
from phantomnet.storage.tables import ApiToken

pytestmark = pytest.mark.integration


async def test_no_token_is_401_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/events")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert "token" in body["detail"]


async def test_unknown_token_is_401(client: httpx.AsyncClient, admin_token: str) -> None:
    forged = admin_token[:-4] + ("AAAA" if not admin_token.endswith("AAAA") else "BBBB")
    for token in (forged, "not-a-pn-token", "pn_"):
        r = await client.get("/api/me", headers=bearer(token))
        assert r.status_code == 401, token


async def test_roles(
    client: httpx.AsyncClient, engine: AsyncEngine, admin_token: str, viewer_token: str
) -> None:
    assert all(t["last_used_at"] is None for t in await list_tokens(engine))
    r = await client.get("/api/me", headers=bearer(viewer_token))
    assert r.json() == {"role": "viewer", "auth": "on"}
    r = await client.get("/api/me", headers=bearer(admin_token))
    assert r.json() == {"role": "admin", "auth": "on"}
    assert all(t["last_used_at"] is not None for t in await list_tokens(engine))


async def test_only_the_hash_is_stored(engine: AsyncEngine, admin_token: str) -> None:
    assert admin_token.startswith("pn_") and len(admin_token) >= 43
    async with engine.connect() as conn:
        hashes = (await conn.execute(select(ApiToken.token_hash))).scalars().all()
    assert hashes == [hashlib.sha256(admin_token.encode()).hexdigest()]
    listed = await list_tokens(engine)
    assert listed[0]["role"] == "admin" and "token_hash" not in listed[0]


async def test_admin_route_refuses_viewer(
    settings: Settings, engine: AsyncEngine, admin_token: str, viewer_token: str
) -> None:
    app = create_app(settings, engine=engine)
    extra = APIRouter(tags=["test"])

    @extra.post("/api/test-change")
    async def change(_: Admin) -> dict[str, bool]:
        return {"changed": True}

    app.include_router(extra)
    async with _client(app) as c:
        assert (await c.post("/api/test-change", headers=bearer(viewer_token))).status_code == 403
        r = await c.post("/api/test-change", headers=bearer(admin_token))
        assert r.status_code == 200 and r.json() == {"changed": True}


async def test_revoked_token_stops_working(
    engine: AsyncEngine, settings: Settings, viewer_token: str
) -> None:
    app = create_app(settings, engine=engine)
    async with _client(app) as c:
        token_id = (await list_tokens(engine))[0]["id"]
        assert await revoke_token(engine, token_id=token_id)
        assert not await revoke_token(engine, token_id=token_id)
        assert (await c.get("/api/me", headers=bearer(viewer_token))).status_code == 401


async def test_auth_off_is_admin(engine: AsyncEngine, settings: Settings) -> None:
    off = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off"})})
    async with _client(create_app(off, engine=engine)) as c:
        r = await c.get("/api/me")
    assert r.json() == {"role": "admin", "auth": "off"}


async def test_query_token_accepted_nowhere(client: httpx.AsyncClient, viewer_token: str) -> None:
    """A token in a URL leaks into logs and history: refused everywhere, the stream too
    (it takes a single-use ticket, see test_api_stream)."""
    r = await client.get("/api/me", params={"token": viewer_token})
    assert r.status_code == 401
    r = await client.get("/api/stream", params={"token": viewer_token})
    assert r.status_code == 401


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
