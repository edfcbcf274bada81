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


class VerifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: tuple[PathConfig, ...] = ()
    #: per-question deadline; a path still pending then counts as failed
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    #: stop waiting (cancel stragglers) once the verdict cannot change any more
    early_stop: bool = True


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
