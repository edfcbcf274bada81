"""The ``[scoring]`` settings section (validated with ``settings.validate_section``).

The shipped default model's SHA-256 is pinned here, in code, next to the setting that pins a
custom one: an artefact whose bytes do not hash to the pinned value is never deserialised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from phantomnet.settings import validate_section

#: SHA-256 of ``phantomnet/scoring/default_model/model.skops`` (rewritten only by the
#: reproducible training script; see docs/model-report.md).
DEFAULT_MODEL_SHA256 = "8d0ada8f91b9213fdf96787b5a4acd8be9875dfe08d9bfc9cd3247481678b8f6"

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Section):
    """Score (0-100) cut-offs. Levels: LOW < medium <= MEDIUM < high <= HIGH.

    Decisions: ALLOW below ``alert``; BLOCK at ``block`` or more when the model's confidence
    is at least ``block_min_confidence``; ALERT otherwise. ``anomaly_cap`` scales what the
    unsupervised IsolationForest alone can give (``anomaly_cap * anomaly``): with the
    defaults only extreme outliers (anomaly >= 0.89) raise an alert, and it never blocks.
    """

    medium: float = Field(default=40.0, ge=0, le=100)
    high: float = Field(default=70.0, ge=0, le=100)
    alert: float = Field(default=40.0, ge=0, le=100)
    block: float = Field(default=85.0, ge=0, le=100)
    block_min_confidence: float = Field(default=0.6, ge=0, le=1)
    anomaly_cap: float = Field(default=45.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.medium <= self.high:
            raise ValueError("thresholds.medium must not exceed thresholds.high")
        if not self.alert <= self.block:
            raise ValueError("thresholds.alert must not exceed thresholds.block")
        return self


class GeoConfig(_Section):
    """Geolocation: offline package data by default, MaxMind mmdb files when configured."""

    enabled: bool = True
    #: Which bundled geoip2fast data to load (resident memory measured here): "asn-ipv6"
    #: country + AS name, IPv4 + IPv6 (~110 MB); "asn" IPv4 only (~75 MB); "country-ipv6"
    #: (~47 MB); "country" IPv4 only (~27 MB).
    dataset: Literal["asn-ipv6", "asn", "country-ipv6", "country"] = "asn-ipv6"
    mmdb_path: Path | None = None
    asn_mmdb_path: Path | None = None
    cache_size: int = Field(default=65_536, ge=0)


class ScoringConfig(_Section):
    """Typed ``settings.scoring``."""

    enabled: bool = True
    model_dir: Path | None = None
    model_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    thresholds: Thresholds = Thresholds()
    batch_size: int = Field(default=512, ge=1, le=100_000)
    cache_ttl_s: float = Field(default=60.0, gt=0)
    cache_max_ips: int = Field(default=100_000, ge=1)
    publish: Literal["changes", "all"] = "changes"
    context_window_s: float = Field(default=10.0, gt=0)
    session_idle_s: float = Field(default=300.0, gt=0)
    session_context_s: float = Field(default=120.0, gt=0)
    max_sessions: int = Field(default=20_000, ge=1)
    include_identity: bool = False
    geo: GeoConfig = GeoConfig()

    @model_validator(mode="after")
    def _pinned(self) -> ScoringConfig:
        if self.model_dir is not None and self.model_sha256 is None:
            raise ValueError("model_dir is set but model_sha256 is not: pin the artefact hash")
        return self

    def pinned_sha256(self) -> str:
        """The hash the artefact must have: the configured one, else the shipped default's."""
        return self.model_sha256 if self.model_sha256 is not None else DEFAULT_MODEL_SHA256


def scoring_config(section: dict[str, Any]) -> ScoringConfig:
    """Validate ``settings.scoring`` (raises ConfigError naming the field)."""
    result: ScoringConfig = validate_section(ScoringConfig, section, "scoring")
    return result
