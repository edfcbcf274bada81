"""``[verify]`` settings: the paths (``[[verify.paths]]``) and the vote's timeout."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError


class PathConfig(BaseModel):
    """One path: its unique name, its plug-in kind, the kind's settings, free labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    settings: dict[str, Any] = {}
    #: provider, region, asn... reported with the verdict, never interpreted
    labels: dict[str, str] = {}


#: the detections that ask for verification by default (``cert_change`` has no detector yet)
AUTO_RULES = ("dns_spoof", "ssl_strip", "weak_tls", "cert_change")


class AutoConfig(BaseModel):
    """``[verify.auto]``: detections that request a verification, token-bucket limited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    rules: tuple[str, ...] = AUTO_RULES
    #: per rule: ``burst`` verifications at once, refilled at ``per_rule_per_minute``
    per_rule_per_minute: float = Field(default=6.0, gt=0, le=6000)
    per_rule_burst: int = Field(default=3, ge=1, le=1000)
    #: every rule together
    global_per_minute: float = Field(default=20.0, gt=0, le=6000)
    global_burst: int = Field(default=10, ge=1, le=10_000)
    #: verifications running at once
    concurrency: int = Field(default=4, ge=1, le=64)


class VerifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: tuple[PathConfig, ...] = ()
    #: a label the agreeing paths must vary in (e.g. "rir", "provider"); none: not enforced
    diversity_label: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    #: how many distinct values of ``diversity_label`` a verified quorum must span
    min_diversity: int = Field(default=2, ge=1, le=16)
    #: questions asked at once (each opens a socket or client per path: memory is per question)
    max_running: int = Field(default=8, ge=1, le=256)
    #: questions waiting for a slot; beyond it a request is refused at once (API: 503)
    max_waiting: int = Field(default=32, ge=0, le=10_000)
    #: per-question deadline; a path still pending then counts as failed
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    #: stop waiting (cancel stragglers) once the verdict cannot change any more
    early_stop: bool = True
    #: a question's verdict (quorum met) is reused this long; 0 turns the cache off
    cache_ttl_s: float = Field(default=300.0, ge=0, le=86_400)
    #: questions whose answers are remembered (per-question history)
    history_size: int = Field(default=10_000, ge=0, le=1_000_000)
    auto: AutoConfig = AutoConfig()


def verify_config(section: dict[str, Any]) -> VerifyConfig:
    """Validate ``[verify]``; unique path names; one line naming the bad field."""
    try:
        cfg = VerifyConfig.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"verify.{where}: {first['msg']}") from exc
    names = [p.name for p in cfg.paths]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"verify.paths: duplicate name(s) {', '.join(dupes)}")
    return cfg
