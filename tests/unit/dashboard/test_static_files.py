"""The dashboard route: SPA fallback, caching, API paths never swallowed, no path escape."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from phantomnet.dashboard import mount_dashboard

INDEX = "<!doctype html><div id=root></div>"


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log(1)")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("do not serve")
    return root


def make_client(static_dir: Path) -> httpx.AsyncClient:
    app = FastAPI()
    router = APIRouter()

    @router.get("/api/me")
    async def me() -> dict[str, str]:
        return {"role": "admin"}

    app.include_router(router)
    mount_dashboard(app, static_dir)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pn")


async def test_root_and_client_routes_get_index_without_cache(static_dir: Path) -> None:
    client = make_client(static_dir)
    for path in ("/", "/events", "/attackers/203.0.113.7", "/sessions/abc", "/index.html"):
        res = await client.get(path)
        assert res.status_code == 200, path
        assert res.text == INDEX
        assert res.headers["cache-control"] == "no-cache"
        assert res.headers["content-type"].startswith("text/html")


async def test_hashed_assets_are_immutable(static_dir: Path) -> None:
    res = await make_client(static_dir).get("/assets/index-abc123.js")
    assert res.status_code == 200
    assert res.text == "console.log(1)"
    assert "immutable" in res.headers["cache-control"]
    assert "javascript" in res.headers["content-type"]


async def test_other_files_are_served_but_revalidated(static_dir: Path) -> None:
    res = await make_client(static_dir).get("/favicon.svg")
    assert res.status_code == 200
    assert res.headers["cache-control"] == "no-cache"


async def test_api_routes_win_and_unknown_api_paths_are_problem_404(static_dir: Path) -> None:
    client = make_client(static_dir)
    assert (await client.get("/api/me")).json() == {"role": "admin"}
    res = await client.get("/api/nope")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["status"] == 404


async def test_missing_asset_is_404_not_index(static_dir: Path) -> None:
    client = make_client(static_dir)
    assert (await client.get("/assets/gone-123.js")).status_code == 404
    assert (await client.get("/robots.txt")).status_code == 404


async def test_path_traversal_is_refused(static_dir: Path) -> None:
    files = mount_dashboard(FastAPI(), static_dir)
    assert files.file_for("../secret.txt") is None
    assert files.file_for("assets/../../secret.txt") is None
    assert files.file_for("/etc/passwd") is None
    res = await make_client(static_dir).get("/assets/..%2F..%2Fsecret.txt")
    assert "do not serve" not in res.text


async def test_unbuilt_dashboard_explains_itself(tmp_path: Path) -> None:
    res = await make_client(tmp_path / "nothing").get("/")
    assert res.status_code == 503
    assert "make web" in res.text


async def test_routes_added_after_mounting_still_win(static_dir: Path) -> None:
    app = FastAPI()
    mount_dashboard(app, static_dir)

    @app.get("/later")
    async def later() -> dict[str, bool]:
        return {"later": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pn") as c:
        assert (await c.get("/later")).json() == {"later": True}
        assert (await c.delete("/later")).status_code == 405
        res = await c.post("/events")
        assert res.status_code == 404
        assert res.headers["content-type"] == "application/problem+json"


async def test_precompressed_assets_are_sent_to_gzip_clients(static_dir: Path) -> None:
    raw = "console.log('x');" * 200
    (static_dir / "assets" / "big-1.js").write_text(raw)
    (static_dir / "assets" / "big-1.js.gz").write_bytes(gzip.compress(raw.encode()))
    client = make_client(static_dir)
    res = await client.get("/assets/big-1.js", headers={"Accept-Encoding": "gzip, br"})
    assert res.headers["content-encoding"] == "gzip"
    assert res.headers["vary"] == "Accept-Encoding"
    assert int(res.headers["content-length"]) < len(raw) / 5
    assert res.text == raw  # httpx decodes it: the bytes are a valid gzip of the file
    assert "javascript" in res.headers["content-type"]
    plain = await client.get("/assets/big-1.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == raw
    refused = await client.get("/assets/big-1.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
