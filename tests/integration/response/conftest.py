"""Fixtures of the response integration tests: namespaces (root) and a SQLite block store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pnr_netns import Lab, make_lab
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tests.conftest import require_root, require_tool

from phantomnet.storage.blocks import ensure_schema


@pytest.fixture
def lab() -> Iterator[Lab]:
    require_root()
    require_tool("ip", "nft", "iptables", "ip6tables", "ipset", "conntrack")
    built = make_lab()
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pn.db'}"
    engine = create_async_engine(url)
    await ensure_schema(engine, url)
    yield engine
    await engine.dispose()
