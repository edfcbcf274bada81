"""Engine URL handling and the packaged Alembic configuration (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.errors import ConfigError
from phantomnet.storage import migrate
from phantomnet.storage.db import make_engine


def test_packaged_migrations_are_found() -> None:
    cfg = migrate.alembic_config("postgresql://u@h/db")
    assert cfg.attributes["url"] == "postgresql+asyncpg://u@h/db"
    assert Path(cfg.get_main_option("script_location") or "").joinpath("env.py").is_file()
    assert migrate.head() == "0004_verification"


async def test_sqlite_engine_makes_parent_dir_without_connecting(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "pn.db"
    engine = make_engine(f"sqlite:///{target}")
    assert target.parent.is_dir() and not target.exists()
    assert engine.dialect.name == "sqlite"
    await engine.dispose()


async def test_postgres_url_maps_to_asyncpg_with_seed_pool() -> None:
    engine = make_engine("postgresql://u@127.0.0.1/db", pool_size=3, max_overflow=4)
    assert engine.dialect.driver == "asyncpg"
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    await engine.dispose()


def test_unsupported_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        make_engine("mysql://u@h/db")
