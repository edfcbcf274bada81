"""The ECS mapping of every event kind against the ECS field reference (tests/data/ecs/).

Each emitted field outside ``phantomnet.*`` and ``labels.*`` must be an ECS field of the
reference, its JSON value must fit the field's ECS type, and the categorisation fields must
hold allowed values (each ``event.type`` expected for one of the ``event.category``).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.unit.sinks.ecs_samples import samples

from phantomnet.events import kinds
from phantomnet.sinks.ecs import ECS_VERSION, ecs_mac, mapped_kinds, to_ecs

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "ecs" / "ecs_fields.json"
OURS = ("phantomnet", "labels")
TEXT = ("keyword", "wildcard", "match_only_text", "constant_keyword", "text")


def reference() -> dict[str, Any]:
    ref: dict[str, Any] = json.loads(REFERENCE.read_text())
    return ref


def fits(ecs_type: str, value: object) -> bool:
    """Whether one JSON value is what Elasticsearch takes for a field of ``ecs_type``."""
    if isinstance(value, list):
        return bool(value) and all(fits(ecs_type, v) and not isinstance(v, list) for v in value)
    if ecs_type in TEXT:
        return isinstance(value, str) and value != ""
    if ecs_type == "ip":
        try:
            ipaddress.ip_address(value)  # type: ignore[arg-type]
        except ValueError:
            return False
        return isinstance(value, str)
    if ecs_type == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if ecs_type in ("float", "scaled_float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ecs_type == "boolean":
        return isinstance(value, bool)
    if ecs_type == "date":
        if not isinstance(value, str):
            return False
        try:
            return datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            return False
    return False  # a type this test does not know: add it before using such a field


def problems(doc: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """Every emitted field that is not in the reference or whose value does not fit."""
    fields: dict[str, str] = ref["fields"]
    out: list[str] = []

    def walk(name: str, value: object) -> None:
        if name.split(".")[0] in OURS:
            return
        ecs_type = fields.get(name)
        if ecs_type in ("object", "nested") or (ecs_type is None and isinstance(value, dict)):
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(i, dict) and i for i in items):
                out.append(f"{name}: {value!r} is not an object")
                return
            for item in items:
                for key, sub in item.items():
                    if "." in key:
                        out.append(f"{name}.{key}: dotted key inside an object")
                    walk(f"{name}.{key}", sub)
            return
        if ecs_type is None:
            out.append(f"{name}: not an ECS field")
        elif not fits(ecs_type, value):
            out.append(f"{name}: {value!r} does not fit ECS type {ecs_type}")

    for key, value in doc.items():
        if "." in key:
            out.append(f"{key}: dotted top-level key")
        if key in fields and fields[key] not in ("object", "nested"):
            walk(key, value)
        elif isinstance(value, dict):
            for sub_key, sub in value.items():
                walk(f"{key}.{sub_key}", sub)
        else:
            walk(key, value)
    return out + categorisation(doc, ref)


def categorisation(doc: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    event = doc.get("event", {})
    allowed = ref["allowed_values"]
    expected: dict[str, list[str]] = ref["expected_event_types"]
    out = []
    if event.get("kind") not in allowed["event.kind"]:
        out.append(f"event.kind {event.get('kind')!r} is not allowed")
    if "outcome" in event and event["outcome"] not in allowed["event.outcome"]:
        out.append(f"event.outcome {event['outcome']!r} is not allowed")
    categories = event.get("category", [])
    types = event.get("type", [])
    if not categories or not types:
        out.append("event.category and event.type are required here")
    for c in categories:
        if c not in expected:
            out.append(f"event.category {c!r} is not allowed")
    for t in types:
        if t not in allowed["event.type"]:
            out.append(f"event.type {t!r} is not allowed")
        elif not any(t in expected.get(c, []) for c in categories):
            out.append(f"event.type {t!r} is expected for none of {categories}")
    return out


def test_every_kind_has_a_mapping_and_a_sample() -> None:
    assert mapped_kinds() == kinds()
    assert {e.kind for e in samples()} == kinds()  # type: ignore[attr-defined]


@pytest.mark.parametrize("event", samples(), ids=lambda e: e.kind)
def test_every_field_is_ecs_with_the_right_type(event: Any) -> None:
    doc = json.loads(json.dumps(to_ecs(event)))  # what is sent: JSON
    assert problems(doc, reference()) == []
    assert doc["@timestamp"] == "2026-12-06T21:00:00.123456Z"
    assert doc["event"]["id"] == str(event.event_id)
    assert doc["ecs"]["version"] == ECS_VERSION
    assert doc["observer"] == {
        "hostname": "hp-1",
        "type": "honeypot",
        "vendor": "PhantomNet",
        "product": "PhantomNet",
    }
    assert doc["phantomnet"]["kind"] == event.kind
    assert doc["labels"]["phantomnet_kind"] == event.kind
    if event.src is not None:
        assert doc["source"]["ip"] == event.src.ip and doc["source"]["port"] == event.src.port


def test_the_checker_refuses_wrong_names_and_types() -> None:
    """The mapping test can fail: a wrong name, a wrong type, a bad category are caught."""
    ref = reference()
    good = json.loads(json.dumps(to_ecs(samples()[0])))
    assert problems(good, ref) == []
    cases: list[tuple[str, object]] = [
        ("source.address_ip", "203.0.113.7"),  # no such field
        ("source.ip", "not-an-ip"),
        ("source.port", "40022"),  # long as a string
        ("event.severity", 7.5),
        ("event.start", "yesterday"),
        ("user.name", 3),
        ("dns.question", "x"),  # an object as a value
        ("event.kind", "incident"),
        ("event.type", ["creation"]),  # expected for no category of connection.opened
        ("network.bytes", True),
    ]
    for dotted, value in cases:
        doc = json.loads(json.dumps(good))
        *parents, leaf = dotted.split(".")
        node = doc
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
        assert problems(doc, ref), dotted


def by_kind(kind: str, n: int = 0) -> dict[str, Any]:
    found = [e for e in samples() if e.kind == kind]  # type: ignore[attr-defined]
    return json.loads(json.dumps(to_ecs(found[n])))  # type: ignore[arg-type]


def test_kind_specific_fields() -> None:
    auth = by_kind("auth.attempt")
    assert auth["event"]["category"] == ["authentication"] and auth["event"]["outcome"] == "failure"
    assert auth["user"]["name"] == "root" and auth["related"]["user"] == ["root"]
    assert auth["phantomnet"]["auth_attempt"]["password"] == "123456"
    http = by_kind("http.request")
    assert http["http"]["request"]["method"] == "POST"
    assert http["url"] == {
        "scheme": "https",
        "path": "/wp-login.php",
        "query": "a=1&b=2",
        "original": "/wp-login.php?a=1&b=2",
        "domain": "shop.example",
        "port": 8080,
    }
    assert http["user_agent"]["original"] == "curl/8.0" and http["tags"] == ["wordpress", "login"]
    dns = by_kind("network.dns")
    assert dns["dns"]["question"] == {"name": "evil.example", "type": "A"}
    assert dns["dns"]["type"] == "answer" and "198.51.100.9" in dns["related"]["ip"]
    tls = by_kind("network.tls")
    assert tls["tls"]["version"] == "1.2" and tls["tls"]["version_protocol"] == "tls"
    assert tls["tls"]["client"]["server_name"] == "corp.example"
    arp = by_kind("network.arp")
    assert arp["source"] == {"mac": "AA-BB-CC-DD-EE-FF", "ip": "192.0.2.1"}
    mail = by_kind("smtp.message")
    assert mail["email"]["attachments"][0]["file"]["name"] == "inv.pdf.exe"
    assert mail["email"]["to"]["address"] == ["b@corp.example", "c@corp.example"]
    flood = by_kind("detection")
    assert flood["event"]["kind"] == "alert" and flood["event"]["severity"] == 99
    assert flood["rule"]["name"] == "syn_flood"
    assert flood["threat"]["technique"]["id"] == ["T1498"]
    assert flood["threat"]["technique"]["subtechnique"]["id"] == ["T1498.001"]
    assert flood["destination"] == {"ip": "192.0.2.10", "port": 80}
    assert "threat" not in by_kind("detection", 1)  # weak_tls: no ATT&CK technique
    block = by_kind("response.block")
    assert block["event"]["type"] == ["denied"] and block["event"]["outcome"] == "unknown"
    assert by_kind("connection.closed")["event"]["duration"] == 12_500_000_000
    assert by_kind("network.stats")["event"]["kind"] == "metric"


def test_mac_form() -> None:
    assert ecs_mac("00:11:22:aa:bb:cc") == "00-11-22-AA-BB-CC"
    assert ecs_mac("nonsense") is None
