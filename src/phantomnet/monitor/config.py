"""The ``[monitor]`` settings section, validated by the monitor itself.

Every limit is a named field (docs/architecture.md §10). The detector sections
(``[monitor.detectors.<rule>]``) are defined with the detectors, in
:mod:`phantomnet.detection.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from phantomnet.detection.config import DetectorsConfig, with_door_ports, with_request_doors
from phantomnet.settings import validate_section


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlowConfig(_Model):
    """Flow table limits and timeouts (seconds of capture time)."""

    max_flows: int = Field(default=500_000, ge=1000)
    tcp_idle_s: float = Field(default=300.0, gt=0)
    tcp_closed_s: float = Field(default=5.0, gt=0)
    udp_idle_s: float = Field(default=60.0, gt=0)
    icmp_idle_s: float = Field(default=30.0, gt=0)
    other_idle_s: float = Field(default=60.0, gt=0)
    active_s: float = Field(default=1800.0, gt=0)
    attempt_timeout_s: float = Field(default=5.0, gt=0)
    #: New single-SYN/UDP flows to one target within one batch beyond which they are only
    #: counted in sketches (flood shedding keeps the flow table small under floods).
    shed_min: int = Field(default=64, ge=2)
    community_id_seed: int = Field(default=0, ge=0, le=65535)


class SamplingConfig(_Model):
    """How many packets become ``network.packet`` events and how often stats are sent."""

    packet_sample_every: int = Field(default=1000, ge=1)
    max_packets_per_window: int = Field(default=200, ge=0)
    max_suspicious_per_detection: int = Field(default=20, ge=0)
    stats_window_s: float = Field(default=10.0, gt=0)
    emit_protocol_events: bool = True


class MonitorConfig(_Model):
    """The whole ``[monitor]`` section. An empty ``interface`` means the monitor is off."""

    interface: str = ""
    bpf: str = ""
    snaplen: int = Field(default=65535, ge=64, le=262144)
    promiscuous: bool = True
    ring_block_kib: int = Field(default=1024, ge=4)
    ring_blocks: int = Field(default=128, ge=2)
    block_timeout_ms: int = Field(default=50, ge=1)
    batch_size: int = Field(default=32768, ge=1, le=1_000_000)
    #: JA4 ALPN edge cases: "spec" (current FoxIO spec, as Suricata) or "foxio" (FoxIO's tools).
    ja4_alpn_mode: Literal["spec", "foxio"] = "spec"
    flows: FlowConfig = FlowConfig()
    sampling: SamplingConfig = SamplingConfig()
    detectors: DetectorsConfig = DetectorsConfig()


def load_monitor_config(section: dict[str, Any]) -> MonitorConfig:
    """Validate the ``monitor`` settings dict (raises ConfigError with a one-line message)."""
    config: MonitorConfig = validate_section(MonitorConfig, section, "monitor")
    return config


def with_doors(
    config: MonitorConfig,
    doors: Mapping[int, str],
    request_doors: tuple[tuple[str, int], ...] = (),
) -> MonitorConfig:
    """``config`` whose ``brute_force`` also watches the login doors' ports (port ->
    protocol) and whose wire web rules leave ``request_doors`` to the event-level rules."""
    if not doors and not request_doors:
        return config
    detectors = with_request_doors(with_door_ports(config.detectors, doors), request_doors)
    return config.model_copy(update={"detectors": detectors})
