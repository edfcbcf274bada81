"""The settings every detector shares, and the packet-level detectors' sections.

One base, :class:`DetectorConfig`: ``enabled``, ``allowlist`` (IPs or CIDRs never flagged,
each validated at load: a bad entry is refused at start naming the field, e.g.
``detectors.brute_force.allowlist[0]: '10.0.0.0/33' is not a network``) and ``severity``.
Event-level detectors (``[detectors.<name>]``) and packet-level ones
(``[monitor.detectors.<rule>]``) subclass it and add their thresholds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from phantomnet.events import Severity

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise PydanticCustomError(
            "network", "'{value}' is not a network", {"value": value}
        ) from None
    return value


#: An IP address or CIDR, checked when the settings are loaded.
Cidr = Annotated[str, AfterValidator(_network)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorConfig(_Model):
    """Settings every detector has (event level and packet level)."""

    enabled: bool = True
    allowlist: tuple[Cidr, ...] = ()
    severity: Severity = "medium"

    @cached_property
    def _nets(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allowlist)

    def allowed(self, ip: str | None) -> bool:
        """True when ``ip`` is allowlisted (never flagged); an unparsable ip is not."""
        if ip is None or not self.allowlist:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self._nets)


class BruteForceConfig(DetectorConfig):
    """Failed logins from one source within a window (the event-level ``brute_force``)."""

    threshold: int = Field(default=10, ge=2)
    window_s: float = Field(default=300, gt=0)
    severity: Severity = "high"


class PortScanConfig(DetectorConfig):
    """TRW (Jung et al. 2004): P(success | benign) and P(success | scanner), target rates."""

    theta0: float = Field(default=0.8, gt=0, lt=1)
    theta1: float = Field(default=0.2, gt=0, lt=1)
    detection_rate: float = Field(default=0.99, gt=0, lt=1)
    false_positive_rate: float = Field(default=0.01, gt=0, lt=1)
    min_failures: int = Field(default=4, ge=1)
    max_sources: int = Field(default=100_000, ge=100)
    realert_s: float = Field(default=600.0, gt=0)
    severity: Severity = "medium"


class FloodConfig(DetectorConfig):
    """Packets per window to one target, and the share of them that must look like a flood."""

    window_s: float = Field(default=1.0, gt=0)
    threshold: int = Field(default=1000, ge=10)
    min_ratio: float = Field(default=0.7, gt=0, le=1)
    realert_s: float = Field(default=60.0, gt=0)
    max_targets: int = Field(default=4096, ge=16)
    severity: Severity = "high"


class WireBruteForceConfig(BruteForceConfig):
    """Repeated short connections or failed cleartext logins from one source to one service.

    8 in 2 minutes: fail2ban's default is 5 failures in 10 minutes, but we count connections
    (several guesses each), so a slightly higher bar keeps scripted admin logins quiet.
    """

    threshold: int = Field(default=8, ge=2)
    window_s: float = Field(default=120.0, gt=0)
    max_flow_s: float = Field(default=30.0, gt=0)
    #: port -> protocol of the login services to count. Empty by default: the runtime fills it
    #: from the sensors (``runtime.build.login_ports``: each door with ``wire_logins``, its
    #: configured ports and its protocol's standard ports); entries given here are added.
    ports: dict[int, str] = Field(default_factory=dict)
    realert_s: float = Field(default=300.0, gt=0)


class ArpSpoofConfig(DetectorConfig):
    gateways: dict[str, str] = Field(default_factory=dict)  # IP -> expected MAC
    unsolicited_threshold: int = Field(default=3, ge=1)
    window_s: float = Field(default=10.0, gt=0)
    virtual_mac_prefixes: tuple[str, ...] = ("00:00:5e:00:01", "00:00:5e:00:02", "00:00:0c:07:ac")
    max_hosts: int = Field(default=65536, ge=16)
    severity: Severity = "high"


class DnsSpoofConfig(DetectorConfig):
    window_s: float = Field(default=5.0, gt=0)
    max_pending: int = Field(default=100_000, ge=100)
    severity: Severity = "high"


class SslStripConfig(DetectorConfig):
    max_hosts: int = Field(default=65536, ge=16)
    severity: Severity = "high"


class WeakTlsConfig(DetectorConfig):
    min_version: str = Field(default="TLS 1.2")
    min_key_bits: int = Field(default=2048, ge=512)
    flag_no_forward_secrecy: bool = True
    severity: Severity = "medium"


class CertChangeConfig(DetectorConfig):
    #: servers (address, port, name) whose last leaf certificate is remembered (LRU)
    max_servers: int = Field(default=50_000, ge=16)
    severity: Severity = "medium"


class WebAttackConfig(DetectorConfig):
    severity: Severity = "high"


class DetectorsConfig(_Model):
    """``[monitor.detectors]``: one section per packet-level rule."""

    port_scan: PortScanConfig = PortScanConfig()
    syn_flood: FloodConfig = FloodConfig()
    udp_flood: FloodConfig = FloodConfig(threshold=2000)
    icmp_flood: FloodConfig = FloodConfig(threshold=1000, min_ratio=0.4)
    brute_force: WireBruteForceConfig = WireBruteForceConfig()
    arp_spoof: ArpSpoofConfig = ArpSpoofConfig()
    dns_spoof: DnsSpoofConfig = DnsSpoofConfig()
    ssl_strip: SslStripConfig = SslStripConfig()
    weak_tls: WeakTlsConfig = WeakTlsConfig()
    cert_change: CertChangeConfig = CertChangeConfig()
    http_sqli: WebAttackConfig = WebAttackConfig()
    http_traversal: WebAttackConfig = WebAttackConfig()
    http_cmd_injection: WebAttackConfig = WebAttackConfig()
    http_xxe: WebAttackConfig = WebAttackConfig()
    #: ``(host, port)`` of this node's doors whose every request is published as an event
    #: and judged by the event-level ``http_attacks`` rule (the HTTP door). The wire web
    #: rules skip requests to them, so one request gives one detection. A host of
    #: ``0.0.0.0``, ``::`` or ``""`` matches any destination address on that port. Filled by
    #: the runtime (``runtime.build.request_doors``); empty for a monitor on its own.
    request_doors: tuple[tuple[str, int], ...] = ()


def with_door_ports(config: DetectorsConfig, doors: Mapping[int, str]) -> DetectorsConfig:
    """``config`` with the login doors' ports (port -> protocol, from the sensors: see
    ``runtime.build.login_ports``) added to ``brute_force.ports``, so a door moved to another
    port is still watched. Which protocols are logins is the sensors' call, not this one's."""
    extra = {port: proto for port, proto in doors.items() if port}
    if not extra:
        return config
    ports = {**config.brute_force.ports, **extra}
    brute = config.brute_force.model_copy(update={"ports": ports})
    return config.model_copy(update={"brute_force": brute})


def with_request_doors(
    config: DetectorsConfig, doors: tuple[tuple[str, int], ...]
) -> DetectorsConfig:
    """``config`` whose wire web rules leave the requests of ``doors`` to the event rules."""
    if not doors:
        return config
    return config.model_copy(update={"request_doors": tuple(doors)})
