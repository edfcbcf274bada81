"""The typed settings tree: code defaults, then a TOML file, then ``PHANTOMNET_*`` variables.

There is no global instance: ``load_settings(path)`` builds one and the runtime passes the
parts down. Plug-in sections (``sensors.<name>``, ``detectors.<name>``, ``sinks.<name>``) are
plain tables here and are validated by each plug-in's own ``Config`` model.
"""

from __future__ import annotations

import re
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from phantomnet.errors import ConfigError, InvalidInput

DEFAULT_DATA_DIR = Path("phantomnet-data")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(Section):
    """Where events are stored. Empty ``url`` means SQLite under ``data_dir``."""

    url: str = ""
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=20, ge=0)
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    flush_interval_s: float = Field(default=0.2, gt=0, le=60)
    echo: bool = False


class BusSettings(Section):
    """Event transport: in-process memory or Redis Streams."""

    backend: Literal["memory", "redis"] = "memory"
    url: str = ""
    stream: str = "phantomnet:events"
    dead_letter_stream: str = "phantomnet:dead-letter"
    maxlen: int = Field(default=1_000_000, ge=1000)
    queue_size: int = Field(default=100_000, ge=10)
    batch_size: int = Field(default=1000, ge=1)
    block_ms: int = Field(default=500, ge=1)
    claim_idle_ms: int = Field(default=30_000, ge=100)
    spool_dir: Path | None = None
    spool_max_bytes: int = Field(default=256 * 1024 * 1024, ge=64 * 1024)
    new_group_start: Literal["0", "$"] = "0"
    debug_roundtrip: bool = False
    #: Redis: an entry delivered this many times without an ack is dead-lettered (poison)
    max_deliveries: int = Field(default=5, ge=1, le=1000)
    #: Memory bus only: journal every event to ``<data_dir>/journal`` before it counts as
    #: published, replay what the writer had not committed at start (see docs/bus.md).
    journal: bool = False
    journal_max_bytes: int = Field(default=256 * 1024 * 1024, ge=64 * 1024)
    journal_fsync: bool = True


class ApiSettings(Section):
    """The REST API and dashboard."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    auth: Literal["on", "off"] = "on"
    cors_origins: tuple[str, ...] = ()
    page_limit_max: int = Field(default=1000, ge=1)
    stream_queue: int = Field(default=1000, ge=10)
    stream_keepalive_s: float = Field(default=15.0, gt=0, le=300)
    metrics_public: bool = True


class RetentionSettings(Section):
    days: int = Field(default=30, ge=1)
    batch_size: int = Field(default=10_000, ge=100)
    interval_s: float = Field(default=3600, gt=0)


class Settings(BaseSettings):
    """Root of the settings tree."""

    model_config = SettingsConfigDict(
        env_prefix="PHANTOMNET_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    env: Literal["dev", "prod"] = "dev"
    node: str = Field(default_factory=socket.gethostname, min_length=1, max_length=128)
    data_dir: Path = DEFAULT_DATA_DIR
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    secret_key: SecretStr = SecretStr("dev-insecure-secret")
    database: DatabaseSettings = DatabaseSettings()
    bus: BusSettings = BusSettings()
    api: ApiSettings = ApiSettings()
    retention: RetentionSettings = RetentionSettings()
    #: ``[deception]``: persona and credential policy of the one fake host (validated by the
    #: runtime against ``phantomnet.deception.config.DeceptionConfig``)
    deception: dict[str, Any] = {}
    sensors: dict[str, dict[str, Any]] = {}
    detectors: dict[str, dict[str, Any]] = {}
    sinks: dict[str, dict[str, Any]] = {}
    monitor: dict[str, Any] = {}
    scoring: dict[str, Any] = {}
    response: dict[str, Any] = {}
    #: ``[verify]`` and ``[[verify.paths]]`` (validated by ``phantomnet.verify.config``)
    verify: dict[str, Any] = {}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # env beats the TOML file (passed as init kwargs), which beats code defaults.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        if self.bus.backend == "redis" and not self.bus.url:
            raise ValueError("bus.backend is 'redis' but bus.url is empty")
        if self.env == "prod" and self.secret_key.get_secret_value() == "dev-insecure-secret":
            raise ValueError("secret_key must be set outside env='dev'")
        if self.env == "prod" and self.api.auth == "off":
            raise ValueError("api.auth = 'off' is refused outside env='dev'")
        return self

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL (SQLite under ``data_dir`` unless configured)."""
        if self.database.url:
            return async_url(self.database.url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'phantomnet.db').resolve()}"


class _Resolved(Settings):
    """Settings already merged from every source (flags applied): validated, no env re-read."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def async_url(url: str) -> str:
    """Map user-friendly URLs (``postgresql://``, ``sqlite:///``) to async drivers."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigError(f"database.url: unsupported URL scheme in {url.split(':', 1)[0]!r}")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_PART = re.compile(r"(\d{1,9})([smhdw])")
MAX_DURATION_S = 366 * 86_400


def parse_duration(value: str | int | float) -> int:
    """Seconds in ``value``: an int, ``"3600"``, ``"10m"``, ``"1h30m"``, ``"7d"``.

    Raises :class:`InvalidInput` with a one-line reason for anything else, zero or over a year.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"duration must be a number or text like 1h, not {value!r}")
    if isinstance(value, int | float):
        seconds = int(value)
    else:
        text = value.strip().lower()
        if text.isdigit():
            seconds = int(text)
        else:
            parts = _PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise InvalidInput(f"duration {value!r}: use e.g. 90s, 10m, 1h, 24h, 7d, 1h30m")
            seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if not 1 <= seconds <= MAX_DURATION_S:
        raise InvalidInput(f"duration {value!r}: must be between 1 s and 366 days")
    return seconds


def _format_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    where = where.lstrip(".") or "settings"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (TOML) if given, overlay ``PHANTOMNET_*`` variables, validate.

    ``overrides`` (from CLI flags) win over both. Raises :class:`ConfigError` with a one-line
    message naming the field.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        base = Settings(**data)
        if not overrides:
            return base
        merged = _deep_merge(base.model_dump(), overrides)
        merged["secret_key"] = base.secret_key.get_secret_value()
        return _Resolved(**merged)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from exc


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate_section(model: type[BaseModel], data: dict[str, Any], where: str) -> Any:
    """Validate a plug-in section, turning errors into a one-line ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}.{_format_error(exc)}") from exc
