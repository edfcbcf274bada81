"""Settings precedence: code defaults < TOML file < PHANTOMNET_* env < command-line flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.errors import ConfigError
from phantomnet.settings import async_url, load_settings


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "pn.toml"
    path.write_text("[api]\nport = 9001\n\n[sensors.ssh]\nport = 2200\n")
    return path


def test_defaults(clean_env: None) -> None:
    s = load_settings()
    assert s.api.port == 8000 and s.bus.backend == "memory"
    assert s.database_url.startswith("sqlite+aiosqlite:///")


def test_toml_then_env_then_flags(
    clean_env: None, toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(toml).api.port == 9001
    monkeypatch.setenv("PHANTOMNET_API__PORT", "9002")
    monkeypatch.setenv("PHANTOMNET_SENSORS__SSH__MAX_SESSIONS", "5")
    s = load_settings(toml)
    assert s.api.port == 9002
    assert s.sensors["ssh"]["port"] == 2200  # the file's value survives a sibling env var
    assert s.sensors["ssh"]["max_sessions"] == "5"  # plug-in validates/coerces its section
    assert load_settings(toml, api={"port": 9003}).api.port == 9003


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[api]\nport = 'x'\n", "api.port"),
        ("[bus]\nbackend = 'redis'\n", "bus.url"),
        ("nonsense = 1\n", "nonsense"),
        ("[api\n", "not valid TOML"),
        ("env = 'prod'\n", "secret_key"),
    ],
)
def test_mistakes_are_one_line_config_errors(
    clean_env: None, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value).strip()


def test_missing_file(clean_env: None, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_async_urls() -> None:
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    with pytest.raises(ConfigError):
        async_url("mysql://x")
