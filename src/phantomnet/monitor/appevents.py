"""Build ``network.dns|http|tls|ssh|arp`` and ``parser.anomaly`` events from parser output."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from phantomnet.events import (
    DnsAnswer,
    NetworkArp,
    NetworkDns,
    NetworkHttp,
    NetworkSsh,
    NetworkTls,
    ParserAnomaly,
    SensorRef,
)
from phantomnet.events.network import Transport
from phantomnet.monitor.dispatch import Meta
from phantomnet.monitor.fastmodel import endpoint
from phantomnet.monitor.fingerprints import hassh, ja3, ja3s, ja4
from phantomnet.monitor.parsers.arp import ArpMessage
from phantomnet.monitor.parsers.base import Anomaly
from phantomnet.monitor.parsers.dns import DnsMessage
from phantomnet.monitor.parsers.http import HttpMessage
from phantomnet.monitor.parsers.ssh import SshResult
from phantomnet.monitor.parsers.tls import (
    Certificate,
    ClientHello,
    ServerHello,
    cipher_name,
    version_name,
)

MAX_LIST = 64


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _ends(meta: Meta) -> dict[str, object]:
    ported = meta.proto in (6, 17, 132)
    return {
        "occurred_at": _at(meta.ts),
        "src": endpoint(meta.src, meta.sport if ported else None),
        "dst": endpoint(meta.dst, meta.dport if ported else None),
        "community_id": meta.community_id,
    }


def dns_event(sensor: SensorRef, meta: Meta, msg: DnsMessage) -> NetworkDns:
    transport: Transport = "tcp" if meta.proto == 6 else "udp"
    return NetworkDns(
        sensor=sensor,
        **_ends(meta),
        txid=msg.txid,
        is_response=msg.is_response,
        qname=msg.qname,
        qtype=msg.qtype,
        rcode=msg.rcode if msg.is_response else None,
        answers=tuple(
            DnsAnswer(name=a.name, rtype=a.rtype[:16], ttl=a.ttl, data=a.data)
            for a in msg.answers[:MAX_LIST]
        ),
        transport=transport,
    )


def http_event(sensor: SensorRef, meta: Meta, msg: HttpMessage) -> NetworkHttp:
    return NetworkHttp(
        sensor=sensor,
        **_ends(meta),
        is_response=msg.is_response,
        method=msg.method,
        uri=msg.uri,
        host=msg.header("host"),
        user_agent=msg.header("user-agent"),
        status=msg.status,
        location=msg.header("location"),
        set_cookies=tuple(c.raw for c in msg.cookies[:MAX_LIST]),
        hsts=msg.header("strict-transport-security"),
        has_password_field=msg.has_password_field,
    )


def tls_event(
    sensor: SensorRef,
    meta: Meta,
    msg: ClientHello | ServerHello | Certificate,
    ja4_mode: Literal["spec", "foxio"],
) -> NetworkTls:
    if isinstance(msg, ClientHello):
        digest, text = ja3(msg)
        return NetworkTls(
            sensor=sensor,
            **_ends(meta),
            message="client_hello",
            version=version_name(msg.version),
            supported_versions=tuple(version_name(v) for v in msg.supported_versions[:16]),
            ciphers=tuple(cipher_name(c) for c in msg.ciphers[:MAX_LIST]),
            sni=msg.sni,
            alpn=tuple(a.decode("utf-8", "backslashreplace") for a in msg.alpn[:8]),
            ja3=digest,
            ja3_string=text,
            ja4=ja4(msg, alpn_mode=ja4_mode),
        )
    if isinstance(msg, ServerHello):
        digest, _text = ja3s(msg)
        return NetworkTls(
            sensor=sensor,
            **_ends(meta),
            message="server_hello",
            version=version_name(msg.negotiated),
            cipher=cipher_name(msg.cipher)[:64],
            ja3s=digest,
            alpn=tuple(a.decode("utf-8", "backslashreplace") for a in msg.alpn[:8]),
        )
    return NetworkTls(
        sensor=sensor,
        **_ends(meta),
        message="certificate",
        cert_key_bits=msg.key_bits,
        cert_key_type=msg.key_type,
    )


def ssh_event(sensor: SensorRef, meta: Meta, res: SshResult, is_server: bool) -> NetworkSsh:
    digest, text = (None, None)
    if res.kexinit is not None:
        digest, text = hassh(res.kexinit, server=is_server)
    return NetworkSsh(
        sensor=sensor,
        **_ends(meta),
        is_server=is_server,
        banner=res.banner,
        hassh=digest,
        hassh_string=text,
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
