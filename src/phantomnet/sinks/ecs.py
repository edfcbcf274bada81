"""Events as Elastic Common Schema (ECS 8.x) documents: :func:`to_ecs`.

Every event kind maps to ECS fields (``@timestamp``, ``event.*``, ``source.*``,
``destination.*``, ``network.*`` and the kind's own: ``user.name``, ``url.*``, ``tls.*``,
``dns.*``, ``email.*``, ``rule.*``, ``threat.*``...), with ``observer`` naming the honeypot
node. Everything of the event that has no ECS field, and the event's own fields as they are,
sit under ``phantomnet.<kind with _ for .>`` (one object per kind, so two kinds never give
one name two types in an index). The table of docs/sinks.md lists the mapping per kind;
``tests/unit/sinks/test_ecs.py`` checks every emitted field against the ECS reference.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime
from typing import Any

from phantomnet import events as ev
from phantomnet.events import Event

ECS_VERSION = "8.17.0"
#: event.severity (ECS: a number): the scale of Elastic's detection rules
ECS_SEVERITY = {"low": 21, "medium": 47, "high": 73, "critical": 99}
LEVEL_SEVERITY = {"LOW": 21, "MEDIUM": 47, "HIGH": 73}
#: the envelope fields that have ECS homes; the rest of an event goes under phantomnet.<kind>
ENVELOPE = frozenset(
    {"schema_version", "event_id", "occurred_at", "sensor", "session_id", "src", "dst",
     "community_id", "kind"}
)  # fmt: skip
TCP_PROTOCOLS = frozenset(
    {"ssh", "telnet", "http", "https", "ftp", "smtp", "mysql", "postgresql", "tcp", "tls"}
)
ATTACK = "https://attack.mitre.org"
#: MITRE ATT&CK of the detection rules: (tactic id, tactic, technique id, technique, sub-id, sub)
TECHNIQUES: dict[str, tuple[str, str, str, str, str | None, str | None]] = {
    "brute_force": ("TA0006", "Credential Access", "T1110", "Brute Force", None, None),
    "port_scan": ("TA0007", "Discovery", "T1046", "Network Service Discovery", None, None),
    "syn_flood": ("TA0040", "Impact", "T1498", "Network Denial of Service",
                  "T1498.001", "Direct Network Flood"),
    "udp_flood": ("TA0040", "Impact", "T1498", "Network Denial of Service",
                  "T1498.001", "Direct Network Flood"),
    "icmp_flood": ("TA0040", "Impact", "T1498", "Network Denial of Service",
                   "T1498.001", "Direct Network Flood"),
    "arp_spoof": ("TA0006", "Credential Access", "T1557", "Adversary-in-the-Middle",
                  "T1557.002", "ARP Cache Poisoning"),
    "dns_spoof": ("TA0006", "Credential Access", "T1557", "Adversary-in-the-Middle", None, None),
    "ssl_strip": ("TA0006", "Credential Access", "T1557", "Adversary-in-the-Middle", None, None),
    "cert_change": ("TA0006", "Credential Access", "T1557", "Adversary-in-the-Middle", None, None),
    "http_attacks": ("TA0001", "Initial Access", "T1190", "Exploit Public-Facing Application",
                     None, None),
    "ftp_traversal": ("TA0001", "Initial Access", "T1190", "Exploit Public-Facing Application",
                      None, None),
}  # fmt: skip

Doc = dict[str, Any]


def put(doc: Doc, dotted: str, value: object) -> None:
    """Set ``a.b.c`` as nested objects; ``None``, ``""`` and ``[]`` are left out."""
    if value is None or value == "" or value == []:
        return
    *parents, leaf = dotted.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def ecs_mac(mac: str) -> str | None:
    """ECS writes MACs as upper-case hex pairs joined by ``-`` (``00-00-5E-00-53-23``)."""
    digits = "".join(c for c in mac if c not in ":-.")
    if len(digits) != 12 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return None
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


def _ip(text: str) -> str | None:
    try:
        return ev.normalise_ip(text)
    except ValueError:
        return None


def _transport(protocol: str) -> str | None:
    if protocol in TCP_PROTOCOLS:
        return "tcp"
    if protocol in ("udp", "icmp"):
        return protocol
    return None


def _tls_version(doc: Doc, name: str | None) -> None:
    """``TLS 1.2`` -> tls.version_protocol ``tls``, tls.version ``1.2``."""
    if name is None or " " not in name:
        return
    proto, number = name.split(" ", 1)
    put(doc, "tls.version_protocol", proto.lower())
    put(doc, "tls.version", number)


def _host_and_port(doc: Doc, host: str | None) -> None:
    """A Host header (attacker text) becomes url.domain (+ url.port) when it is plain."""
    if not host:
        return
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if not name:
        name, port = host, ""
    if port.isdigit() and int(port) <= 65535:
        put(doc, "url.port", int(port))
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if all(c.isalnum() or c in ".-_:" for c in name):
        put(doc, "url.domain", name)


def _base(doc: Doc, kind: str, category: list[str], types: list[str]) -> None:
    put(doc, "event.kind", kind)
    put(doc, "event.category", category)
    put(doc, "event.type", types)


def _connection_opened(e: ev.ConnectionOpened, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["connection", "start"])
    doc["event"]["outcome"] = "success"


def _connection_closed(e: ev.ConnectionClosed, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["connection", "end"])
    put(doc, "event.reason", e.reason)
    put(doc, "event.duration", int(e.duration_s * 1e9))
    put(doc, "source.bytes", e.bytes_in)
    put(doc, "destination.bytes", e.bytes_out)
    put(doc, "network.bytes", e.bytes_in + e.bytes_out)


def _auth_attempt(e: ev.AuthAttempt, doc: Doc) -> None:
    _base(doc, "event", ["authentication"], ["start"])
    doc["event"]["outcome"] = "success" if e.accepted else "failure"
    put(doc, "user.name", e.username)
    put(doc, "related.user", [e.username])


def _command_input(e: ev.CommandInput, doc: Doc) -> None:
    _base(doc, "event", ["process"], ["start"])
    put(doc, "process.command_line", e.command)


def _command_error(e: ev.CommandError, doc: Doc) -> None:
    _base(doc, "event", ["process"], ["info"])
    doc["event"]["outcome"] = "failure"
    put(doc, "event.reason", e.reason)
    put(doc, "process.command_line", e.command)
    put(doc, "error.type", e.reason)
    put(doc, "error.message", e.detail)


def _session_request(e: ev.SessionRequest, doc: Doc) -> None:
    _base(doc, "event", ["session"], ["info"])
    doc["event"]["outcome"] = "success" if e.accepted else "failure"


def _file_upload(e: ev.FileUpload, doc: Doc) -> None:
    _base(doc, "event", ["file"], ["creation"])
    doc["event"]["outcome"] = "failure" if e.refused else "success"
    put(doc, "event.reason", e.refused)
    put(doc, "file.name", e.filename)
    put(doc, "file.size", e.size)
    put(doc, "file.hash.sha256", e.sha256)
    put(doc, "related.hash", [e.sha256])


def _file_download(e: ev.FileDownload, doc: Doc) -> None:
    _base(doc, "event", ["file", "network"], ["access"])
    doc["event"]["outcome"] = "success" if e.fetched else "unknown"
    put(doc, "url.original", e.url)
    put(doc, "file.name", e.filename)
    put(doc, "file.size", e.size)
    put(doc, "file.hash.sha256", e.sha256)
    if e.sha256:
        put(doc, "related.hash", [e.sha256])


def _http_request(e: ev.HttpRequest, doc: Doc) -> None:
    _base(doc, "event", ["web"], ["access"])
    put(doc, "event.outcome", "success" if e.status < 400 else "failure")
    put(doc, "network.protocol", "http")
    put(doc, "network.transport", "tcp")
    put(doc, "http.request.method", e.method)
    put(doc, "http.request.body.bytes", e.body_size)
    put(doc, "http.request.body.content", e.body_excerpt)
    put(doc, "http.response.status_code", e.status)
    put(doc, "url.scheme", "https" if e.tls else "http")
    put(doc, "url.path", e.path)
    put(doc, "url.query", e.query)
    put(doc, "url.original", e.path + (f"?{e.query}" if e.query else ""))
    _host_and_port(doc, e.host)
    put(doc, "user_agent.original", e.user_agent)
    put(doc, "tls.client.ja3", e.ja3)
    put(doc, "tags", list(e.tags))


def _smtp_message(e: ev.SmtpMessage, doc: Doc) -> None:
    _base(doc, "event", ["email"], ["info"])
    put(doc, "network.protocol", "smtp")
    put(doc, "network.transport", "tcp")
    put(doc, "email.direction", "inbound")
    put(doc, "email.from.address", [e.header_from or e.mail_from])
    put(doc, "email.to.address", list(e.rcpt_to))
    put(doc, "email.subject", e.subject)
    put(doc, "user.name", e.authenticated_as)
    attachments = []
    for a in e.attachments:
        one: Doc = {}
        put(one, "file.name", a.filename)
        put(one, "file.mime_type", a.content_type)
        put(one, "file.size", a.size)
        put(one, "file.hash.sha256", a.sha256)
        attachments.append(one)
    put(doc, "email.attachments", attachments)
    put(doc, "related.hash", [e.sha256, *(a.sha256 for a in e.attachments)])


def _db_query(e: ev.DbQuery, doc: Doc) -> None:
    _base(doc, "event", ["database"], ["access"])
    doc["event"]["outcome"] = "failure" if e.error_code else "success"
    put(doc, "error.code", e.error_code)
    if e.duration_ms is not None:
        put(doc, "event.duration", int(e.duration_ms * 1e6))


def _client_fingerprint(e: ev.ClientFingerprint, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["info"])
    field = {
        "ja3": "tls.client.ja3",
        "ja3s": "tls.server.ja3s",
        "user_agent": "user_agent.original",
    }.get(e.method)
    if field is not None:
        put(doc, field, e.value)


def _honeytoken(e: ev.HoneytokenTriggered, doc: Doc) -> None:
    _base(doc, "alert", ["intrusion_detection"], ["info"])
    put(doc, "event.severity", ECS_SEVERITY["high"])
    put(doc, "rule.name", "honeytoken")
    put(doc, "rule.category", e.token_kind)
    put(doc, "message", f"honeytoken {e.token_id} ({e.token_kind}) used")


def _sensor_status(e: ev.SensorStatus, doc: Doc) -> None:
    _base(doc, "state", ["host"], ["info"])
    put(doc, "message", e.detail)


def _network_flow(e: ev.NetworkFlow, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["connection", "end"])
    put(doc, "network.transport", e.transport)
    put(doc, "network.protocol", e.app)
    put(doc, "event.start", timestamp(e.started_at))
    put(doc, "event.end", timestamp(e.ended_at))
    put(doc, "event.duration", int((e.ended_at - e.started_at).total_seconds() * 1e9))
    put(doc, "event.reason", e.end_reason)
    put(doc, "source.packets", e.packets_out)
    put(doc, "source.bytes", e.bytes_out)
    put(doc, "destination.packets", e.packets_in)
    put(doc, "destination.bytes", e.bytes_in)
    put(doc, "network.packets", e.packets_out + e.packets_in)
    put(doc, "network.bytes", e.bytes_out + e.bytes_in)


def _network_packet(e: ev.NetworkPacket, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["info"])
    put(doc, "network.transport", e.transport)
    put(doc, "network.bytes", e.length)
    put(doc, "network.packets", 1)
    put(doc, "event.reason", e.attack_type)


def _network_stats(e: ev.NetworkStats, doc: Doc) -> None:
    _base(doc, "metric", ["network"], ["info"])
    put(doc, "network.packets", e.total_packets)
    put(doc, "network.bytes", e.total_bytes)
    put(doc, "event.duration", int(e.window_s * 1e9))


def _network_dns(e: ev.NetworkDns, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["protocol"])
    put(doc, "network.protocol", "dns")
    put(doc, "network.transport", e.transport)
    put(doc, "dns.id", str(e.txid))
    put(doc, "dns.type", "answer" if e.is_response else "query")
    put(doc, "dns.question.name", e.qname)
    put(doc, "dns.question.type", e.qtype)
    put(doc, "dns.response_code", e.rcode)
    answers = [{"name": a.name, "type": a.rtype, "ttl": a.ttl, "data": a.data} for a in e.answers]
    put(doc, "dns.answers", answers)
    put(doc, "related.ip", [ip for a in e.answers if (ip := _ip(a.data))])


def _network_http(e: ev.NetworkHttp, doc: Doc) -> None:
    _base(doc, "event", ["network", "web"], ["protocol", "info"])
    put(doc, "network.protocol", "http")
    put(doc, "network.transport", "tcp")
    put(doc, "http.request.method", e.method)
    put(doc, "http.response.status_code", e.status)
    put(doc, "url.original", e.uri)
    _host_and_port(doc, e.host)
    put(doc, "user_agent.original", e.user_agent)


def _network_tls(e: ev.NetworkTls, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["protocol"])
    put(doc, "network.protocol", "tls")
    put(doc, "network.transport", "tcp")
    _tls_version(doc, e.version)
    put(doc, "tls.cipher", e.cipher)
    put(doc, "tls.client.server_name", e.sni)
    put(doc, "tls.client.supported_ciphers", list(e.ciphers))
    put(doc, "tls.client.ja3", e.ja3)
    put(doc, "tls.server.ja3s", e.ja3s)
    if e.message == "certificate":
        put(doc, "tls.server.x509.public_key_size", e.cert_key_bits)
        put(doc, "tls.server.x509.public_key_algorithm", e.cert_key_type)


def _network_ssh(e: ev.NetworkSsh, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["protocol"])
    put(doc, "network.protocol", "ssh")
    put(doc, "network.transport", "tcp")


def _network_arp(e: ev.NetworkArp, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["protocol"])
    put(doc, "network.protocol", "arp")
    put(doc, "source.mac", ecs_mac(e.sender_mac))
    put(doc, "destination.mac", ecs_mac(e.target_mac))
    if "source" not in doc or "ip" not in doc["source"]:
        put(doc, "source.ip", _ip(e.sender_ip))
    if "destination" not in doc or "ip" not in doc["destination"]:
        put(doc, "destination.ip", _ip(e.target_ip))


def _parser_anomaly(e: ev.ParserAnomaly, doc: Doc) -> None:
    _base(doc, "event", ["network"], ["info"])
    put(doc, "network.protocol", e.parser)
    put(doc, "error.code", e.code)
    put(doc, "error.message", e.detail)


def _detection(e: ev.Detection, doc: Doc) -> None:
    _base(doc, "alert", ["intrusion_detection"], ["info"])
    put(doc, "event.severity", ECS_SEVERITY[e.severity])
    put(doc, "event.start", timestamp(e.first_seen))
    put(doc, "event.end", timestamp(e.last_seen))
    put(doc, "rule.name", e.rule)
    put(doc, "rule.ruleset", e.detector)
    put(doc, "message", e.summary)
    if e.protocol:
        put(doc, "network.protocol", e.protocol)
        put(doc, "network.transport", _transport(e.protocol))
    if e.target is not None:
        put(doc, "destination.ip", e.target.ip)
        put(doc, "destination.port", e.target.port)
    known = TECHNIQUES.get(e.rule)
    if known is not None:
        tactic_id, tactic, tech_id, tech, sub_id, sub = known
        put(doc, "threat.framework", "MITRE ATT&CK")
        put(doc, "threat.tactic.id", [tactic_id])
        put(doc, "threat.tactic.name", [tactic])
        put(doc, "threat.tactic.reference", [f"{ATTACK}/tactics/{tactic_id}/"])
        put(doc, "threat.technique.id", [tech_id])
        put(doc, "threat.technique.name", [tech])
        put(doc, "threat.technique.reference", [f"{ATTACK}/techniques/{tech_id}/"])
        if sub_id is not None:
            put(doc, "threat.technique.subtechnique.id", [sub_id])
            put(doc, "threat.technique.subtechnique.name", [sub])
            ref = sub_id.replace(".", "/")
            put(doc, "threat.technique.subtechnique.reference", [f"{ATTACK}/techniques/{ref}/"])


def _score(e: ev.Score, doc: Doc) -> None:
    _base(doc, "event", ["intrusion_detection"], ["info"])
    put(doc, "event.risk_score", float(e.score))
    put(doc, "event.severity", LEVEL_SEVERITY[e.level])


def _verification(e: ev.VerificationResult, doc: Doc) -> None:
    _base(doc, "event", ["intrusion_detection"], ["info"])
    put(doc, "message", e.detail)


def _response_block(e: ev.ResponseBlock, doc: Doc) -> None:
    _base(doc, "event", ["intrusion_detection", "network"], ["denied"])
    doc["event"]["outcome"] = "success" if e.applied else "unknown"
    put(doc, "event.reason", e.reason)
    put(doc, "event.end", timestamp(e.expires_at))
    put(doc, "event.duration", e.duration_s * 1_000_000_000)


def _response_unblock(e: ev.ResponseUnblock, doc: Doc) -> None:
    _base(doc, "event", ["intrusion_detection", "network"], ["allowed"])
    doc["event"]["outcome"] = "success" if e.applied else "unknown"
    put(doc, "event.reason", e.reason)


_MAPPERS: dict[str, Callable[[Any, Doc], None]] = {
    "connection.opened": _connection_opened,
    "connection.closed": _connection_closed,
    "auth.attempt": _auth_attempt,
    "command.input": _command_input,
    "command.error": _command_error,
    "session.request": _session_request,
    "file.upload": _file_upload,
    "file.download": _file_download,
    "http.request": _http_request,
    "smtp.message": _smtp_message,
    "db.query": _db_query,
    "client.fingerprint": _client_fingerprint,
    "honeytoken.triggered": _honeytoken,
    "sensor.status": _sensor_status,
    "network.flow": _network_flow,
    "network.packet": _network_packet,
    "network.stats": _network_stats,
    "network.dns": _network_dns,
    "network.http": _network_http,
    "network.tls": _network_tls,
    "network.ssh": _network_ssh,
    "network.arp": _network_arp,
    "parser.anomaly": _parser_anomaly,
    "detection": _detection,
    "score": _score,
    "verification.result": _verification,
    "response.block": _response_block,
    "response.unblock": _response_unblock,
}


def mapped_kinds() -> frozenset[str]:
    return frozenset(_MAPPERS)


def _related_ips(doc: Doc, extra: list[str]) -> None:
    ips: list[str] = []
    for side in ("source", "destination"):
        ip = doc.get(side, {}).get("ip")
        if ip is not None:
            ips.append(ip)
    ips += doc.get("related", {}).get("ip", [])
    ips += [ip for text in extra if (ip := _ip(text))]
    unique = list(dict.fromkeys(ips))
    if unique:
        doc.setdefault("related", {})["ip"] = unique


def _block_target(text: str) -> str | None:
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return ev.normalise_ip(str(net.network_address)) if net.num_addresses == 1 else None


def to_ecs(event: Event) -> Doc:
    """One ECS 8.x document of ``event`` (JSON-ready; see the module docstring)."""
    doc: Doc = {"@timestamp": timestamp(event.occurred_at)}
    put(doc, "ecs.version", ECS_VERSION)
    put(doc, "event.id", str(event.event_id))
    put(doc, "event.action", event.kind.replace(".", "-"))
    put(doc, "event.dataset", f"phantomnet.{event.kind}")
    put(doc, "event.module", "phantomnet")
    put(doc, "event.provider", event.sensor.component)
    put(doc, "observer.hostname", event.sensor.node)
    put(doc, "observer.type", "honeypot")
    put(doc, "observer.vendor", "PhantomNet")
    put(doc, "observer.product", "PhantomNet")
    if event.src is not None:
        put(doc, "source.ip", event.src.ip)
        put(doc, "source.port", event.src.port)
    if event.dst is not None:
        put(doc, "destination.ip", event.dst.ip)
        put(doc, "destination.port", event.dst.port)
    put(doc, "network.community_id", event.community_id)
    protocol = getattr(event, "protocol", None)
    if isinstance(protocol, str) and event.kind != "detection":
        put(doc, "network.protocol", protocol)
        put(doc, "network.transport", _transport(protocol))
    _MAPPERS[event.kind](event, doc)
    severity = getattr(event, "severity", None)
    if isinstance(severity, str) and severity in ECS_SEVERITY:
        put(doc, "event.severity", ECS_SEVERITY[severity])
    extra: list[str] = []
    if isinstance(event, ev.ResponseBlock | ev.ResponseUnblock):
        target = _block_target(event.target)
        if target is not None:
            extra.append(target)
    _related_ips(doc, extra)
    put(doc, "labels.phantomnet_kind", event.kind)
    put(doc, "labels.sensor_component", event.sensor.component)
    own = event.model_dump(mode="json", exclude=set(ENVELOPE))
    ours: Doc = {"kind": event.kind, "schema_version": event.schema_version}
    if event.session_id is not None:
        ours["session_id"] = str(event.session_id)
    if own:
        ours[event.kind.replace(".", "_")] = own
    doc["phantomnet"] = ours
    return doc
