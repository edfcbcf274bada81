"""``phantomnet token create|list|revoke`` on a real SQLite database."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from phantomnet.cli.token import register
from phantomnet.errors import InvalidInput
from phantomnet.storage.migrate import upgrade
from phantomnet.storage.tables import ApiToken

pytestmark = pytest.mark.integration


def _prepare(path: Path) -> None:
    upgrade(f"sqlite:///{path}")


def _stored(path: Path) -> list[tuple[str, str, bool]]:
    async def run() -> list[tuple[str, str, bool]]:
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.connect() as conn:
            rows = (await conn.execute(select(ApiToken))).all()
        await engine.dispose()
        return [(r.token_hash, r.role, r.revoked_at is not None) for r in rows]

    return asyncio.run(run())


def test_token_create_list_revoke(tmp_path: Path, clean_env: None) -> None:
    db = tmp_path / "cli.db"
    _prepare(db)
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    flags = ["--db", f"sqlite:///{db}"]
    result = runner.invoke(app, ["token", "create", "--role", "viewer", "--name", "ci", *flags])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pn_") and "\n" not in token
    assert _stored(db) == [(hashlib.sha256(token.encode()).hexdigest(), "viewer", False)]
    listed = runner.invoke(app, ["token", "list", *flags])
    assert "viewer" in listed.stdout and "ci" in listed.stdout and token not in listed.stdout
    assert runner.invoke(app, ["token", "revoke", "1", *flags]).exit_code == 0
    assert _stored(db)[0][2] is True
    again = runner.invoke(app, ["token", "revoke", "1", *flags])
    assert isinstance(again.exception, InvalidInput)
    bad = runner.invoke(app, ["token", "create", "--role", "root", *flags])
    assert isinstance(bad.exception, InvalidInput)
