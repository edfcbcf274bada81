"""Typed settings of the ``response`` section and the duration syntax (``90s``, ``10m``, ``1h30m``).

The default backend is ``dry-run``: PhantomNet records decisions but touches no firewall until
the operator chooses ``nftables`` or ``iptables`` (``PHANTOMNET_RESPONSE__BACKEND``).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phantomnet.detection.catalogue import RuleName
from phantomnet.errors import InvalidInput
from phantomnet.settings import MAX_DURATION_S, Settings, parse_duration, validate_section

_NAME = r"^[A-Za-z][A-Za-z0-9_-]{0,27}$"


def format_duration(seconds: int) -> str:
    """Short human text of a duration (``3600`` -> ``1h``, ``5400`` -> ``1h30m``)."""
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NftablesConfig(_Section):
    """Names used in the ``inet`` table PhantomNet owns (nothing else is touched)."""

    table: str = Field(default="phantomnet", pattern=_NAME)
    priority: int = Field(default=-10, ge=-400, le=400)


class IptablesConfig(_Section):
    """ipset names and the chain PhantomNet owns; ``command`` picks iptables-nft or -legacy."""

    command: Literal["iptables", "iptables-nft", "iptables-legacy"] = "iptables"
    chain: str = Field(default="PHANTOMNET", pattern=_NAME)
    set_prefix: str = Field(default="phantomnet", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,20}$")
    maxelem: int = Field(default=262_144, ge=1024, le=16_777_216)


class AutoBlockConfig(_Section):
    """Which events block automatically (``enabled`` false: decisions are only manual)."""

    enabled: bool = False
    score_block: bool = True
    detections: tuple[RuleName, ...] = ("brute_force", "port_scan", "honeytoken_use")
    honeytoken_events: bool = True


class ResponseConfig(_Section):
    """The ``[response]`` section."""

    backend: Literal["dry-run", "nftables", "iptables"] = "dry-run"
    netns: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    command_timeout_s: float = Field(default=30.0, gt=0, le=300)
    durations: tuple[int, ...] = (600, 3600, 86_400, 604_800)
    offence_window_s: int = Field(default=30 * 86_400, ge=60)
    max_duration_s: int = Field(default=30 * 86_400, ge=1, le=MAX_DURATION_S)
    min_prefix_v4: int = Field(default=16, ge=0, le=32)
    min_prefix_v6: int = Field(default=48, ge=0, le=128)
    management_networks: tuple[str, ...] = ()
    protect_private: bool = False
    kill_connections: bool = True
    block_outbound: bool = True
    reconcile_interval_s: float = Field(default=30.0, gt=0, le=3600)
    expiry_interval_s: float = Field(default=5.0, gt=0, le=600)
    safety_refresh_s: float = Field(default=30.0, ge=0, le=3600)
    timeout_slack_s: int = Field(default=5, ge=0, le=3600)
    auto: AutoBlockConfig = AutoBlockConfig()
    nftables: NftablesConfig = NftablesConfig()
    iptables: IptablesConfig = IptablesConfig()

    @field_validator("durations", mode="before")
    @classmethod
    def _ladder(cls, value: Any) -> tuple[int, ...]:
        items = [value] if isinstance(value, str | int) else list(value)
        try:
            ladder = tuple(parse_duration(v) for v in items)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from exc
        if not ladder or list(ladder) != sorted(ladder):
            raise ValueError("durations must be a non-empty, non-decreasing ladder like 10m,1h")
        return ladder

    @field_validator("management_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return tuple(str(ipaddress.ip_network(v, strict=False)) for v in value)
        except ValueError as exc:
            raise ValueError(f"management_networks: {exc}") from exc

    def ladder_duration(self, offence: int) -> int:
        """Duration of the ``offence``-th block in the window (1-based), capped by the ladder."""
        return self.durations[min(max(offence, 1), len(self.durations)) - 1]


def response_config(settings: Settings) -> ResponseConfig:
    """Validate ``settings.response`` (raises ``ConfigError`` naming the field)."""
    config = validate_section(ResponseConfig, settings.response, "response")
    assert isinstance(config, ResponseConfig)
    return config
