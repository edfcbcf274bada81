"""Events produced by the network monitor."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from phantomnet.events.base import AttackerText, EventBase, Frozen, UtcDatetime

Transport = Literal["tcp", "udp", "icmp", "icmp6", "sctp", "arp", "other"]


class NetworkFlow(EventBase):
    """A bidirectional flow that ended or timed out (``src`` is the originator)."""

    kind: Literal["network.flow"] = "network.flow"
    transport: Transport
    started_at: UtcDatetime
    ended_at: UtcDatetime
    packets_out: int = Field(ge=0)
    packets_in: int = Field(ge=0)
    bytes_out: int = Field(ge=0)
    bytes_in: int = Field(ge=0)
    state: str = Field(default="", max_length=32)
    tcp_flags_out: int = Field(default=0, ge=0, le=0xFFFF)
    tcp_flags_in: int = Field(default=0, ge=0, le=0xFFFF)
    syn_count: int = Field(default=0, ge=0)
    rst_count: int = Field(default=0, ge=0)
    fin_count: int = Field(default=0, ge=0)
    app: str | None = Field(default=None, max_length=32)
    iat_mean_ms: float | None = None
    iat_std_ms: float | None = None
    payload_entropy: float | None = None
    # Identity-free statistics for ML features (added by the monitor, all optional).
    payload_bytes_out: int = Field(default=0, ge=0)
    payload_bytes_in: int = Field(default=0, ge=0)
    pkt_len_min: int | None = Field(default=None, ge=0)
    pkt_len_max: int | None = Field(default=None, ge=0)
    pkt_len_mean: float | None = None
    pkt_len_std: float | None = None
    iat_max_ms: float | None = None
    psh_count: int = Field(default=0, ge=0)
    ack_count: int = Field(default=0, ge=0)
    urg_count: int = Field(default=0, ge=0)
    end_reason: str = Field(default="", max_length=16)


class NetworkPacket(EventBase):
    """A sampled or suspicious packet, stored in the seed's ``packet_logs`` table."""

    kind: Literal["network.packet"] = "network.packet"
    transport: Transport
    length: int = Field(ge=0)
    tcp_flags: int | None = Field(default=None, ge=0, le=0xFFFF)
    ttl: int | None = Field(default=None, ge=0, le=255)
    suspicious: bool = False
    attack_type: str | None = Field(default=None, max_length=64)
    packet_number: int | None = Field(default=None, ge=0)


class NetworkStats(EventBase):
    """Traffic aggregate over a window (the seed's ``traffic_stats`` rows)."""

    kind: Literal["network.stats"] = "network.stats"
    window_s: float = Field(gt=0)
    total_packets: int = Field(ge=0)
    malicious_packets: int = Field(ge=0)
    total_bytes: int = Field(default=0, ge=0)
    dropped_packets: int | None = Field(default=None, ge=0)


class DnsAnswer(Frozen):
    name: AttackerText
    rtype: str = Field(max_length=16)
    ttl: int = Field(ge=0)
    data: AttackerText


class NetworkDns(EventBase):
    """A DNS query or response seen on the wire."""

    kind: Literal["network.dns"] = "network.dns"
    txid: int = Field(ge=0, le=0xFFFF)
    is_response: bool
    qname: AttackerText
    qtype: str = Field(max_length=16)
    rcode: str | None = Field(default=None, max_length=16)
    answers: tuple[DnsAnswer, ...] = ()
    transport: Transport = "udp"


class NetworkHttp(EventBase):
    """An HTTP request or response head seen on the wire."""

    kind: Literal["network.http"] = "network.http"
    is_response: bool
    method: AttackerText | None = None
    uri: AttackerText | None = None
    host: AttackerText | None = None
    user_agent: AttackerText | None = None
    status: int | None = Field(default=None, ge=0, le=999)
    location: AttackerText | None = None
    set_cookies: tuple[AttackerText, ...] = ()
    hsts: AttackerText | None = None
    has_password_field: bool = False


class NetworkTls(EventBase):
    """A TLS handshake message seen on the wire (ClientHello, ServerHello, Certificate)."""

    kind: Literal["network.tls"] = "network.tls"
    message: Literal["client_hello", "server_hello", "certificate"]
    version: str | None = Field(default=None, max_length=16)
    supported_versions: tuple[str, ...] = ()
    ciphers: tuple[str, ...] = ()
    cipher: str | None = Field(default=None, max_length=64)
    sni: AttackerText | None = None
    alpn: tuple[AttackerText, ...] = ()
    cert_key_bits: int | None = Field(default=None, ge=0)
    cert_key_type: str | None = Field(default=None, max_length=16)
    ja3: str | None = Field(default=None, max_length=32)
    ja3_string: AttackerText | None = None
    ja3s: str | None = Field(default=None, max_length=32)
    ja4: str | None = Field(default=None, max_length=64)


class NetworkSsh(EventBase):
    """An SSH banner or KEXINIT seen on the wire."""

    kind: Literal["network.ssh"] = "network.ssh"
    is_server: bool
    banner: AttackerText | None = None
    hassh: str | None = Field(default=None, max_length=32)
    hassh_string: AttackerText | None = None


class NetworkArp(EventBase):
    """An ARP request or reply."""

    kind: Literal["network.arp"] = "network.arp"
    op: Literal["request", "reply", "other"]
    eth_src: str = Field(max_length=17)
    sender_mac: str = Field(max_length=17)
    sender_ip: str = Field(max_length=45)
    target_mac: str = Field(max_length=17)
    target_ip: str = Field(max_length=45)


class ParserAnomaly(EventBase):
    """A parser met malformed or unexpected input (Zeek's "weird")."""

    kind: Literal["parser.anomaly"] = "parser.anomaly"
    parser: str = Field(max_length=32)
    code: str = Field(max_length=64)
    detail: AttackerText = ""
    packet_number: int | None = Field(default=None, ge=0)
