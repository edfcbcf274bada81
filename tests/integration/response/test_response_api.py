"""Active-defense API: admin changes, viewer reads, problem+json errors, events on the bus,
and (in a test namespace) a block through the API lands in nftables at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pnr_netns import Lab
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from phantomnet.api import create_app
from phantomnet.api.auth import create_token
from phantomnet.bus.memory import MemoryBus
from phantomnet.runtime.services import api_services
from phantomnet.settings import Settings, async_url
from phantomnet.storage.blocks import ensure_schema

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
BASE = "/api/active-defense"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    return async_url(request.getfixturevalue("pg_database"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(db_url)
    await ensure_schema(eng, db_url)
    yield eng
    await eng.dispose()


async def client_for(settings: Settings, engine: AsyncEngine, bus: MemoryBus) -> httpx.AsyncClient:
    services = await api_services(settings, engine, bus)  # as the runtime builds them
    app = create_app(settings, engine=engine, bus=bus, services=services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_routes_roles_and_errors(
    engine: AsyncEngine, tmp_path: Path, clean_env: None
) -> None:
    bus = MemoryBus(queue_size=100)
    seen = bus.subscribe("test", kinds=frozenset({"response.block", "response.unblock"}))
    admin = auth(await create_token(engine, role="admin", name="ops"))
    viewer = auth(await create_token(engine, role="viewer", name="look"))
    settings = Settings(data_dir=tmp_path / "data", node="api-node")
    async with await client_for(settings, engine, bus) as client:
        made = await client.post(
            f"{BASE}/block/203.0.113.7", headers=admin, json={"duration": "1h", "reason": "scanner"}
        )
        assert made.status_code == 200, made.text
        item: dict[str, Any] = made.json()
        assert set(item) >= {
            "id",
            "target",
            "source",
            "reason",
            "created_at",
            "expires_at",
            "active",
            "offence",
            "removed_at",
            "applied",
            "backend",
        }
        assert (
            item["target"],
            item["source"],
            item["reason"],
            item["active"],
            item["backend"],
            item["applied"],
        ) == ("203.0.113.7", "manual", "scanner", True, "dry-run", False)
        net = await client.post(f"{BASE}/block/198.51.100.0/24", headers=admin)
        assert net.status_code == 200 and net.json()["target"] == "198.51.100.0/24"
        seed = await client.post("/block-ip", headers=admin, json={"ip": "203.0.113.8"})
        assert seed.status_code == 200 and seed.json()["target"] == "203.0.113.8"

        listed = await client.get(f"{BASE}/blocks", headers=viewer)
        assert listed.status_code == 200
        assert [b["target"] for b in listed.json()["items"]] == [
            "203.0.113.8",
            "198.51.100.0/24",
            "203.0.113.7",
        ]

        for method, url, body, status in [
            ("POST", f"{BASE}/block/203.0.113.9", None, 403),
            ("DELETE", f"{BASE}/block/203.0.113.7", None, 403),
            ("POST", "/block-ip", {"ip": "203.0.113.9"}, 403),
        ]:
            denied = await client.request(method, url, headers=viewer, json=body)
            assert denied.status_code == status, (url, denied.text)
            assert denied.headers["content-type"].startswith("application/problem+json")
        assert (await client.post(f"{BASE}/block/203.0.113.9")).status_code == 401
        assert (await client.get(f"{BASE}/blocks")).status_code == 401

        for target, status, words in [
            ("127.0.0.1", 409, "loopback"),
            ("10.0.0.0/8", 409, "wider"),
            ("999.1.1.1", 422, "not an IP"),
            ("fe80::1%25x", 422, "zone id"),  # %25 is "%" in the path
            ("example.com", 422, "no host names"),
        ]:
            bad = await client.post(f"{BASE}/block/{target}", headers=admin)
            assert bad.status_code == status and words in bad.json()["detail"], bad.text
            assert bad.headers["content-type"].startswith("application/problem+json")
        for ip in ("fe80::1%x", "fe80::1%eth0", "localhost"):
            seed_bad = await client.post("/block-ip", headers=admin, json={"ip": ip})
            assert seed_bad.status_code == 422, seed_bad.text
            assert seed_bad.headers["content-type"].startswith("application/problem+json")
        bad_duration = await client.post(
            f"{BASE}/block/203.0.113.10", headers=admin, json={"duration": "soon"}
        )
        assert bad_duration.status_code == 422

        gone = await client.delete(f"{BASE}/block/203.0.113.7", headers=admin)
        assert gone.status_code == 200 and gone.json()["active"] is False
        assert (await client.delete(f"{BASE}/block/203.0.113.7", headers=admin)).status_code == 404
        seed_gone = await client.request(
            "DELETE", "/block-ip", headers=admin, json={"ip": "203.0.113.8"}
        )
        assert seed_gone.status_code == 200 and seed_gone.json()["removed_reason"] == "manual"
        active = await client.get(f"{BASE}/blocks", params={"active": "true"}, headers=viewer)
        assert [b["target"] for b in active.json()["items"]] == ["198.51.100.0/24"]
        lifted = await client.get(f"{BASE}/blocks", params={"active": "false"}, headers=viewer)
        assert {b["target"] for b in lifted.json()["items"]} == {"203.0.113.7", "203.0.113.8"}
        every = await client.get(f"{BASE}/blocks", params={"all": "true"}, headers=viewer)
        assert len(every.json()["items"]) == 3

    batch = await anext(aiter(seen))
    assert [(e.kind, getattr(e, "target", None)) for e in batch.events] == [
        ("response.block", "203.0.113.7"),
        ("response.block", "198.51.100.0/24"),
        ("response.block", "203.0.113.8"),
        ("response.unblock", "203.0.113.7"),
        ("response.unblock", "203.0.113.8"),
    ]


@pytest.mark.netns
async def test_api_block_lands_in_nftables(lab: Lab, tmp_path: Path, clean_env: None) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    engine = create_async_engine(url)
    await ensure_schema(engine, url)
    admin = auth(await create_token(engine, role="admin", name="ops"))
    settings = Settings(
        data_dir=tmp_path / "data",
        node="api-node",
        response={"backend": "nftables", "netns": lab.victim},
    )
    try:
        async with await client_for(settings, engine, MemoryBus()) as client:
            made = await client.post("/block-ip", headers=admin, json={"ip": lab.attacker_ip})
            assert made.status_code == 200 and made.json()["applied"] is True, made.text
            held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
            assert lab.attacker_ip in held
            assert (
                await client.delete(f"{BASE}/block/{lab.attacker_ip}", headers=admin)
            ).status_code == 200
            held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
            assert lab.attacker_ip not in held
    finally:
        await engine.dispose()
