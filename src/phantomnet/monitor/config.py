"""The ``[monitor]`` settings section, validated by the monitor itself.

Every limit is a named field (docs/architecture.md §10). Detector sections share ``enabled``,
``allowlist`` (IPs or CIDRs never flagged) and ``severity``; each adds its thresholds.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phantomnet.events import Severity
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


class DetectorSection(_Model):
    """Fields every monitor detector has."""

    enabled: bool = True
    allowlist: tuple[str, ...] = ()
    severity: Severity = "medium"

    @field_validator("allowlist")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @cached_property
    def _nets(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allowlist)

    def allowed(self, ip: str | None) -> bool:
        """True when ``ip`` is allowlisted (never flagged)."""
        if ip is None or not self.allowlist:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self._nets)


class PortScanConfig(DetectorSection):
    """TRW (Jung et al. 2004): P(success | benign) and P(success | scanner), target rates."""

    theta0: float = Field(default=0.8, gt=0, lt=1)
    theta1: float = Field(default=0.2, gt=0, lt=1)
    detection_rate: float = Field(default=0.99, gt=0, lt=1)
    false_positive_rate: float = Field(default=0.01, gt=0, lt=1)
    min_failures: int = Field(default=4, ge=1)
    max_sources: int = Field(default=100_000, ge=100)
    realert_s: float = Field(default=600.0, gt=0)
    severity: Severity = "medium"


class FloodConfig(DetectorSection):
    """Packets per window to one target, and the share of them that must look like a flood."""

    window_s: float = Field(default=1.0, gt=0)
    threshold: int = Field(default=1000, ge=10)
    min_ratio: float = Field(default=0.7, gt=0, le=1)
    realert_s: float = Field(default=60.0, gt=0)
    max_targets: int = Field(default=4096, ge=16)
    severity: Severity = "high"


class BruteForceConfig(DetectorSection):
    """Repeated short connections or failed cleartext logins from one source to one service.

    8 in 2 minutes: fail2ban's default is 5 failures in 10 minutes, but we count connections
    (several guesses each), so a slightly higher bar keeps scripted admin logins quiet.
    """

    threshold: int = Field(default=8, ge=2)
    window_s: float = Field(default=120.0, gt=0)
    max_flow_s: float = Field(default=30.0, gt=0)
    ports: dict[int, str] = Field(
        default_factory=lambda: {
            22: "ssh",
            2222: "ssh",
            21: "ftp",
            2121: "ftp",
            25: "smtp",
            587: "smtp",
            465: "smtp",
            2525: "smtp",
            23: "telnet",
            3306: "mysql",
            5432: "postgresql",
        }
    )
    realert_s: float = Field(default=300.0, gt=0)
    severity: Severity = "high"


class ArpSpoofConfig(DetectorSection):
    gateways: dict[str, str] = Field(default_factory=dict)  # IP -> expected MAC
    unsolicited_threshold: int = Field(default=3, ge=1)
    window_s: float = Field(default=10.0, gt=0)
    virtual_mac_prefixes: tuple[str, ...] = ("00:00:5e:00:01", "00:00:5e:00:02", "00:00:0c:07:ac")
    max_hosts: int = Field(default=65536, ge=16)
    severity: Severity = "high"


class DnsSpoofConfig(DetectorSection):
    window_s: float = Field(default=5.0, gt=0)
    max_pending: int = Field(default=100_000, ge=100)
    severity: Severity = "high"


class SslStripConfig(DetectorSection):
    max_hosts: int = Field(default=65536, ge=16)
    severity: Severity = "high"


class WeakTlsConfig(DetectorSection):
    min_version: str = Field(default="TLS 1.2")
    min_key_bits: int = Field(default=2048, ge=512)
    flag_no_forward_secrecy: bool = True
    severity: Severity = "medium"


class WebAttackConfig(DetectorSection):
    severity: Severity = "high"


class DetectorsConfig(_Model):
    port_scan: PortScanConfig = PortScanConfig()
    syn_flood: FloodConfig = FloodConfig()
    udp_flood: FloodConfig = FloodConfig(threshold=2000)
    icmp_flood: FloodConfig = FloodConfig(threshold=1000, min_ratio=0.4)
    brute_force: BruteForceConfig = BruteForceConfig()
    arp_spoof: ArpSpoofConfig = ArpSpoofConfig()
    dns_spoof: DnsSpoofConfig = DnsSpoofConfig()
    ssl_strip: SslStripConfig = SslStripConfig()
    weak_tls: WeakTlsConfig = WeakTlsConfig()
    http_sqli: WebAttackConfig = WebAttackConfig()
    http_traversal: WebAttackConfig = WebAttackConfig()
    http_cmd_injection: WebAttackConfig = WebAttackConfig()


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
