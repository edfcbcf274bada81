"""Build ``network.dns|http|tls|ssh|arp`` and ``parser.anomaly`` events from parser output."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from phantomnet.analyzers.arp import ArpMessage
from phantomnet.analyzers.base import Anomaly
from phantomnet.analyzers.dns import DnsMessage
from phantomnet.analyzers.fingerprints import hassh, ja3, ja3s, ja4
from phantomnet.analyzers.http import HttpMessage
from phantomnet.analyzers.ssh import SshResult
from phantomnet.analyzers.tls import (
    Certificate,
    ClientHello,
    ServerHello,
    cipher_name,
    version_name,
)
from phantomnet.events import (
    DnsAnswer,
    NetworkArp,
    NetworkDns,
    NetworkHttp,
    NetworkSsh,
    NetworkTls,
    ParserAnomaly,
    SensorRef,
    attacker_text,
)
from phantomnet.events.network import Transport
from phantomnet.monitor.dispatch import Meta
from phantomnet.monitor.fastmodel import build, endpoint, event_id

MAX_LIST = 64


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _t(text: str | None) -> str | None:
    """Attacker-controlled text, capped and escaped exactly as the model's validator would."""
    return None if text is None else attacker_text(text)


def _ends(meta: Meta) -> dict[str, object]:
    ported = meta.proto in (6, 17, 132)
    return {
        "event_id": event_id(),
        "occurred_at": _at(meta.ts),
        "src": endpoint(meta.src, meta.sport if ported else None),
        "dst": endpoint(meta.dst, meta.dport if ported else None),
        "community_id": meta.community_id,
    }


def dns_event(sensor: SensorRef, meta: Meta, msg: DnsMessage) -> NetworkDns:
    transport: Transport = "tcp" if meta.proto == 6 else "udp"
    answers = tuple(
        build(
            DnsAnswer, {"name": _t(a.name), "rtype": a.rtype[:16], "ttl": a.ttl, "data": _t(a.data)}
        )
        for a in msg.answers[:MAX_LIST]
    )
    return build(
        NetworkDns,
        {
            "sensor": sensor,
            **_ends(meta),
            "txid": msg.txid,
            "is_response": msg.is_response,
            "qname": _t(msg.qname),
            "qtype": msg.qtype[:16],
            "rcode": msg.rcode[:16] if msg.is_response else None,
            "answers": answers,
            "transport": transport,
        },
    )


def http_event(sensor: SensorRef, meta: Meta, msg: HttpMessage) -> NetworkHttp:
    return build(
        NetworkHttp,
        {
            "sensor": sensor,
            **_ends(meta),
            "is_response": msg.is_response,
            "method": _t(msg.method),
            "uri": _t(msg.uri),
            "host": _t(msg.header("host")),
            "user_agent": _t(msg.header("user-agent")),
            "status": msg.status,
            "location": _t(msg.header("location")),
            "set_cookies": tuple(attacker_text(c.raw) for c in msg.cookies[:MAX_LIST]),
            "hsts": _t(msg.header("strict-transport-security")),
            "has_password_field": msg.has_password_field,
        },
    )


def tls_event(
    sensor: SensorRef,
    meta: Meta,
    msg: ClientHello | ServerHello | Certificate,
    ja4_mode: Literal["spec", "foxio"],
    transport: str = "t",
) -> NetworkTls:
    if isinstance(msg, ClientHello):
        digest, text = ja3(msg)
        return build(
            NetworkTls,
            {
                "sensor": sensor,
                **_ends(meta),
                "message": "client_hello",
                "version": version_name(msg.version),
                "supported_versions": tuple(version_name(v) for v in msg.supported_versions[:16]),
                "ciphers": tuple(cipher_name(c) for c in msg.ciphers[:MAX_LIST]),
                "sni": _t(msg.sni),
                "alpn": tuple(attacker_text(a) for a in msg.alpn[:8]),
                "ja3": digest,
                "ja3_string": attacker_text(text),
                "ja4": ja4(msg, transport, alpn_mode=ja4_mode),
            },
        )
    if isinstance(msg, ServerHello):
        digest, _text = ja3s(msg)
        return build(
            NetworkTls,
            {
                "sensor": sensor,
                **_ends(meta),
                "message": "server_hello",
                "version": version_name(msg.negotiated),
                "cipher": cipher_name(msg.cipher)[:64],
                "ja3s": digest,
                "alpn": tuple(attacker_text(a) for a in msg.alpn[:8]),
            },
        )
    return build(
        NetworkTls,
        {
            "sensor": sensor,
            **_ends(meta),
            "message": "certificate",
            "cert_key_bits": msg.key_bits,
            "cert_key_type": msg.key_type,
        },
    )


def ssh_event(sensor: SensorRef, meta: Meta, res: SshResult, is_server: bool) -> NetworkSsh:
    digest, text = (None, None)
    if res.kexinit is not None:
        digest, text = hassh(res.kexinit, server=is_server)
    return build(
        NetworkSsh,
        {
            "sensor": sensor,
            **_ends(meta),
            "is_server": is_server,
            "banner": _t(res.banner),
            "hassh": digest,
            "hassh_string": _t(text),
        },
    )


def arp_event(sensor: SensorRef, ts: float, msg: ArpMessage) -> NetworkArp:
    return NetworkArp(
        sensor=sensor,
        occurred_at=_at(ts),
        src=endpoint(msg.sender_ip, None),
        dst=endpoint(msg.target_ip, None),
        op="request" if msg.op == "request" else ("reply" if msg.op == "reply" else "other"),
        eth_src=msg.eth_src,
        sender_mac=msg.sender_mac,
        sender_ip=msg.sender_ip,
        target_mac=msg.target_mac,
        target_ip=msg.target_ip,
    )


def anomaly_event(
    sensor: SensorRef, ts: float, number: int, anomaly: Anomaly, meta: Meta | None = None
) -> ParserAnomaly:
    extra: dict[str, object] = _ends(meta) if meta is not None else {"occurred_at": _at(ts)}
    return ParserAnomaly(
        sensor=sensor,
        **extra,
        parser=anomaly.parser,
        code=anomaly.code,
        detail=anomaly.detail,
        packet_number=number,
    )
