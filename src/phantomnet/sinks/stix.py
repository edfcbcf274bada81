"""Events as STIX 2.1 objects, built with the OASIS ``stix2`` library (docs/sinks.md).

One event becomes a few objects, all with deterministic ids (uuid5 under :data:`NAMESPACE`)
and timestamps taken from the event, so the same event always yields the very same objects:
a retried batch or a re-export is idempotent, and a TAXII server stores each object once
(same ``id`` and ``modified``).

* ``identity`` of the sensor node (``identity_class`` ``system``), ``where_sighted_refs`` of
  every sighting and ``created_by_ref`` of every other SDO;
* ``indicator`` of the attacker's address (``[ipv4-addr:value = '…']`` or ``ipv6-addr``), or
  of a file's hash (``[file:hashes.'SHA-256' = '…']``), one per event;
* ``attack-pattern`` of the MITRE ATT&CK technique (:data:`ATTACK`), one per technique
  (shared by every node: no ``created_by_ref``);
* ``relationship`` indicator ``indicates`` attack-pattern;
* ``observed-data`` with its SCOs (``ipv4-addr``/``ipv6-addr``, ``network-traffic``, ``file``);
* ``sighting`` of the indicator (count, first/last seen) where the identity saw it;
* ``response.block``: ``course-of-action`` ``mitigates`` the indicator of the blocked target.

Sinks may not import the detection package (``.importlinter``): :data:`RULE_TECHNIQUE` copies
the rule catalogue's ATT&CK ids and ``tests/unit/sinks/test_stix.py`` checks the two agree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

import stix2
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import (
    Detection,
    Event,
    FileDownload,
    FileUpload,
    ResponseBlock,
)
from phantomnet.sinks.base import SinkConfig

#: the uuid5 namespace of every id (never change it: ids would change)
NAMESPACE = UUID("5c3f6b4e-2f0a-5d8e-9a61-7d0c1e4b9f21")
#: ``created``/``modified`` of the objects that do not come from one event (identities,
#: attack patterns): bump it when their content changes, so a TAXII server takes the new
#: version instead of refusing a different object under the same id and version
REFERENCE_TIME = datetime(2026, 12, 1, tzinfo=UTC)
#: the largest ``count``/``number_observed`` STIX allows
STIX_MAX_COUNT = 999_999_999

#: MITRE ATT&CK techniques the mapping uses: id -> name (enterprise matrix)
ATTACK: dict[str, str] = {
    "T1078": "Valid Accounts",
    "T1083": "File and Directory Discovery",
    "T1046": "Network Service Discovery",
    "T1105": "Ingress Tool Transfer",
    "T1110": "Brute Force",
    "T1190": "Exploit Public-Facing Application",
    "T1498.001": "Network Denial of Service: Direct Network Flood",
    "T1499.002": "Endpoint Denial of Service: Service Exhaustion Flood",
    "T1557": "Adversary-in-the-Middle",
    "T1557.002": "Adversary-in-the-Middle: ARP Cache Poisoning",
    "T1562.010": "Impair Defenses: Downgrade Attack",
}

#: detection rule -> ATT&CK technique (the rule catalogue's, phantomnet.detection.catalogue)
RULE_TECHNIQUE: dict[str, str] = {
    "brute_force": "T1110",
    "ftp_traversal": "T1083",
    "http_sqli": "T1190",
    "http_traversal": "T1190",
    "http_cmd_injection": "T1190",
    "http_xxe": "T1190",
    "http_flood": "T1499.002",
    "port_scan": "T1046",
    "syn_flood": "T1498.001",
    "udp_flood": "T1498.001",
    "icmp_flood": "T1498.001",
    "arp_spoof": "T1557.002",
    "dns_spoof": "T1557",
    "ssl_strip": "T1557",
    "weak_tls": "T1562.010",
    "cert_change": "T1557",
    "honeytoken_use": "T1078",
}

#: event kinds that are not detections -> technique (a used honeytoken is a valid account
#: or secret being used; an uploaded or fetched file is a tool brought in)
KIND_TECHNIQUE: dict[str, str] = {
    "honeytoken.triggered": "T1078",
    "file.upload": "T1105",
    "file.download": "T1105",
}

#: the kinds :func:`objects` maps (others yield nothing)
MAPPED_KINDS: tuple[str, ...] = (
    "detection",
    "honeytoken.triggered",
    "file.upload",
    "file.download",
    "response.block",
)

#: the transport under an application protocol (network-traffic ``protocols``)
_TRANSPORT = {
    "ssh": "tcp",
    "telnet": "tcp",
    "http": "tcp",
    "https": "tcp",
    "ftp": "tcp",
    "smtp": "tcp",
    "mysql": "tcp",
    "postgresql": "tcp",
    "dns": "udp",
}


def stix_id(kind: str, *parts: object) -> str:
    """``<kind>--<uuid5 of the parts>``: the same parts, the same id."""
    return f"{kind}--{uuid5(NAMESPACE, '|'.join([kind, *map(str, parts)]))}"


def attack_url(technique: str) -> str:
    return "https://attack.mitre.org/techniques/" + technique.replace(".", "/") + "/"


def technique_of(event: Event) -> str | None:
    """The ATT&CK technique an event points to (None: unknown rule, or not mapped)."""
    if isinstance(event, Detection):
        return RULE_TECHNIQUE.get(event.rule)
    return KIND_TECHNIQUE.get(event.kind)


def identity(node: str) -> stix2.Identity:
    return stix2.Identity(
        id=stix_id("identity", node),
        created=REFERENCE_TIME,
        modified=REFERENCE_TIME,
        name=node,
        identity_class="system",
        description="PhantomNet sensor node",
    )


def attack_pattern(technique: str) -> stix2.AttackPattern:
    """ATT&CK's technique, shared by every node (so it has no ``created_by_ref``)."""
    return stix2.AttackPattern(
        id=stix_id("attack-pattern", technique),
        created=REFERENCE_TIME,
        modified=REFERENCE_TIME,
        name=ATTACK[technique],
        external_references=[
            stix2.ExternalReference(
                source_name="mitre-attack", external_id=technique, url=attack_url(technique)
            )
        ],
    )


def _address_type(value: str) -> str:
    """``ipv4-addr`` or ``ipv6-addr`` of an address or a network (CIDR)."""
    net = ipaddress.ip_network(value, strict=False)
    return "ipv4-addr" if net.version == 4 else "ipv6-addr"


def _address(value: str) -> stix2.IPv4Address | stix2.IPv6Address:
    if _address_type(value) == "ipv4-addr":
        return stix2.IPv4Address(value=value)
    return stix2.IPv6Address(value=value)


def _quote(value: str) -> str:
    """A STIX pattern string literal (``'`` and ``\\`` escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def address_pattern(value: str) -> str:
    return f"[{_address_type(value)}:value = {_quote(value)}]"


def hash_pattern(sha256: str) -> str:
    return f"[file:hashes.'SHA-256' = {_quote(sha256)}]"


def _count(n: int) -> int:
    return max(1, min(n, STIX_MAX_COUNT))


class _Builder:
    """The objects of one bundle, each once (first occurrence wins, in order)."""

    def __init__(self) -> None:
        self.out: dict[str, Any] = {}

    def add(self, obj: Any) -> str:
        key = str(obj.id)
        self.out.setdefault(key, obj)
        return key

    def event(self, event: Event) -> None:
        if event.kind not in MAPPED_KINDS:
            return
        who = self.add(identity(event.sensor.node))
        if isinstance(event, ResponseBlock):
            self._block(event, who)
            return
        first, last, count = event.occurred_at, event.occurred_at, 1
        if isinstance(event, Detection):
            first, last = (
                min(event.first_seen, event.last_seen),
                max(event.first_seen, event.last_seen),
            )
            count = event.count
        indicator = self._indicator(event, who, first)
        technique = technique_of(event)
        pattern_id = None
        if technique is not None:
            pattern_id = self.add(attack_pattern(technique))
            if indicator is not None:
                self.add(
                    stix2.Relationship(
                        id=stix_id("relationship", indicator, "indicates", pattern_id),
                        created=event.occurred_at,
                        modified=event.occurred_at,
                        created_by_ref=who,
                        source_ref=indicator,
                        relationship_type="indicates",
                        target_ref=pattern_id,
                    )
                )
        observed = self._observed(event, who, first, last, count)
        sighted = indicator or pattern_id
        if sighted is None:
            return
        self.add(
            stix2.Sighting(
                id=stix_id("sighting", event.event_id, sighted),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                sighting_of_ref=sighted,
                where_sighted_refs=[who],
                observed_data_refs=[observed] if observed else None,
                count=_count(count),
                first_seen=first,
                last_seen=last,
                description=_summary(event),
            )
        )

    def _indicator(self, event: Event, who: str, valid_from: datetime) -> str | None:
        if isinstance(event, FileUpload | FileDownload) and event.sha256 is not None:
            pattern, what = hash_pattern(event.sha256), f"file SHA-256 {event.sha256}"
        elif event.src is not None:
            pattern, what = address_pattern(event.src.ip), f"attacker address {event.src.ip}"
        else:
            return None
        return self.add(
            stix2.Indicator(
                id=stix_id("indicator", event.event_id, pattern),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                name=f"PhantomNet {event.kind}: {what}",
                description=_summary(event),
                indicator_types=["malicious-activity"],
                pattern=pattern,
                pattern_type="stix",
                valid_from=valid_from,
                labels=[_label(event)],
                external_references=[
                    stix2.ExternalReference(
                        source_name="phantomnet", external_id=str(event.event_id)
                    )
                ],
            )
        )

    def _observed(
        self, event: Event, who: str, first: datetime, last: datetime, count: int
    ) -> str | None:
        refs: list[str] = []
        src = dst = None
        if event.src is not None:
            src = self.add(_address(event.src.ip))
            refs.append(src)
        target = getattr(event, "target", None)
        far = target if isinstance(event, Detection) and target is not None else event.dst
        if far is not None:
            dst = self.add(_address(far.ip))
            refs.append(dst)
        protocol = getattr(event, "protocol", None)
        if (src or dst) is not None and isinstance(protocol, str):
            traffic: dict[str, Any] = {"protocols": _protocols(protocol, src, dst)}
            if src is not None:
                traffic["src_ref"] = src
                if event.src is not None and event.src.port is not None:
                    traffic["src_port"] = event.src.port
            if dst is not None and far is not None:
                traffic["dst_ref"] = dst
                if far.port is not None:
                    traffic["dst_port"] = far.port
            refs.append(self.add(stix2.NetworkTraffic(**traffic)))
        if isinstance(event, FileUpload | FileDownload) and event.sha256 is not None:
            file: dict[str, Any] = {"hashes": {"SHA-256": event.sha256}}
            if event.filename:
                file["name"] = event.filename
            if event.size is not None:
                file["size"] = event.size
            refs.append(self.add(stix2.File(**file)))
        if not refs:
            return None
        return self.add(
            stix2.ObservedData(
                id=stix_id("observed-data", event.event_id),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                first_observed=first,
                last_observed=last,
                number_observed=_count(count),
                object_refs=refs,
            )
        )

    def _block(self, event: ResponseBlock, who: str) -> None:
        try:
            pattern = address_pattern(event.target)
        except ValueError:
            return  # not an address or network: nothing STIX can point at
        indicator = self.add(
            stix2.Indicator(
                id=stix_id("indicator", event.event_id, pattern),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                name=f"PhantomNet blocked {event.target}",
                description=event.reason or None,
                indicator_types=["malicious-activity"],
                pattern=pattern,
                pattern_type="stix",
                valid_from=event.occurred_at,
                valid_until=max(event.expires_at, event.occurred_at),
                labels=[f"response-{event.source}"],
            )
        )
        done = "blocked" if event.applied else "would block (dry-run)"
        action = self.add(
            stix2.CourseOfAction(
                id=stix_id("course-of-action", event.event_id),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                name=f"{done} {event.target} for {event.duration_s} s",
                description=f"{event.backend}, offence {event.offence}: {event.reason}",
            )
        )
        self.add(
            stix2.Relationship(
                id=stix_id("relationship", action, "mitigates", indicator),
                created=event.occurred_at,
                modified=event.occurred_at,
                created_by_ref=who,
                source_ref=action,
                relationship_type="mitigates",
                target_ref=indicator,
            )
        )


def _protocols(protocol: str, src: str | None, dst: str | None) -> list[str]:
    ref = src or dst or ""
    out = ["ipv4" if ref.startswith("ipv4-addr") else "ipv6"]
    transport = _TRANSPORT.get(protocol)
    if transport is not None:
        out.append(transport)
    out.append(protocol)
    return out


def _label(event: Event) -> str:
    rule = getattr(event, "rule", None)
    return f"phantomnet-{rule or event.kind}".replace("_", "-").replace(".", "-")


def _summary(event: Event) -> str | None:
    text = getattr(event, "summary", None) or getattr(event, "detail", None)
    if isinstance(event, FileUpload | FileDownload):
        text = text or f"{event.kind} {event.filename or ''}".strip()
    return str(text) if text else None


def objects(events: Iterable[Event]) -> list[Any]:
    """The STIX objects of ``events``, each id once, in order of first appearance."""
    builder = _Builder()
    for event in events:
        builder.event(event)
    return list(builder.out.values())


def bundle(events: Sequence[Event]) -> stix2.Bundle:
    """A STIX 2.1 bundle of ``events`` (its id is derived from the event ids)."""
    objs = objects(events)
    ident = stix_id("bundle", *sorted(str(e.event_id) for e in events))
    if not objs:
        return stix2.Bundle(id=ident)
    return stix2.Bundle(objs, id=ident)


def bundle_json(events: Sequence[Event]) -> str:
    """:func:`bundle` as one line of JSON (the same events, the same text)."""
    text: str = bundle(events).serialize()
    return text


class StixSinkConfig(SinkConfig):
    """What the ``stix_file`` and ``taxii`` sinks share: kinds limited to the mapped ones."""

    kinds: tuple[str, ...] = ("detection", "honeytoken.triggered", "file.upload", "file.download")

    @field_validator("kinds")
    @classmethod
    def _mapped(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for kind in value:
            if kind not in MAPPED_KINDS:
                raise PydanticCustomError(
                    "kinds",
                    "kind '{kind}' has no STIX mapping (mapped: {mapped})",
                    {"kind": kind, "mapped": ", ".join(MAPPED_KINDS)},
                )
        return value
