"""Security headers over a real HTTP server (uvicorn on port 0): the dashboard gets a strict
CSP, API answers ``default-src 'none'``, and every response nosniff + no-referrer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_helpers import bearer, serve
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.bus.memory import MemoryBus
from phantomnet.dashboard.static_files import DEFAULT_STATIC_DIR
from phantomnet.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'headers.db'}"


@pytest.fixture
async def base_url(settings: Settings, engine: AsyncEngine, bus: MemoryBus) -> AsyncIterator[str]:
    async for url in serve(create_app(settings, engine=engine, bus=bus)):
        yield url


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_common(res: httpx.Response) -> None:
    assert res.headers["x-content-type-options"] == "nosniff", res.url
    assert res.headers["referrer-policy"] == "no-referrer", res.url
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"], res.url


async def test_dashboard_pages_and_assets_carry_a_strict_csp(base_url: str) -> None:
    index = DEFAULT_STATIC_DIR / "index.html"
    if not index.is_file():
        pytest.fail("the dashboard is not built (make web)")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        page = await client.get("/events")
        assert page.status_code == 200 and '<div id="root">' in page.text
        assert_common(page)
        csp = directives(page.headers["content-security-policy"])
        # WebAssembly for the session player only; no inline script/style, no JS eval.
        assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
        assert csp["style-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        allowed = {"'wasm-unsafe-eval'"}
        assert not any("unsafe" in v and v not in allowed for vs in csp.values() for v in vs)
        asset = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
        assert asset is not None
        js = await client.get(asset.group(1))
        assert js.status_code == 200
        assert_common(js)


def test_built_index_has_no_inline_script_or_style() -> None:
    """The strict CSP only works because the build puts nothing inline."""
    html = (DEFAULT_STATIC_DIR / "index.html").read_text()
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert tag.strip() == "", "inline script in index.html"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


async def test_api_answers_are_nosniff_and_load_nothing(base_url: str, viewer_token: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for res in (
            await client.get("/api/me", headers=bearer(viewer_token)),
            await client.get("/api/me"),  # a 401 problem+json
            await client.get("/api/nope"),  # the fallback's 404
            await client.get("/openapi.json"),
        ):
            assert_common(res)
            assert res.headers["content-security-policy"].startswith("default-src 'none'")
        docs = await client.get("/docs")
        assert docs.status_code == 200
        assert_common(docs)
