"""The STIX 2.1 mapping (phantomnet.sinks.stix): shapes, ids, and the OASIS validator."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.stix_check import validate

from phantomnet.detection.catalogue import BY_NAME
from phantomnet.events import (
    AuthAttempt,
    Detection,
    Endpoint,
    Event,
    FileDownload,
    FileUpload,
    HoneytokenTriggered,
    ResponseBlock,
    SensorRef,
)
from phantomnet.sinks import stix

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SHA = "ab" * 32


def detection(ip: str = "203.0.113.7", *, rule: str = "brute_force", count: int = 5) -> Detection:
    return Detection(
        sensor=SensorRef(node="node-1", component="detectors"),
        occurred_at=T0 + timedelta(seconds=30),
        src=Endpoint(ip=ip, port=40001),
        dst=Endpoint(ip="192.0.2.10", port=22),
        rule=rule,
        severity="high",
        protocol="ssh",
        first_seen=T0,
        last_seen=T0 + timedelta(seconds=30),
        count=count,
        summary="5 failed logins for root",
        detector="brute_force",
    )


def upload(sha: str = SHA, ip: str = "2001:db8::5") -> FileUpload:
    return FileUpload(
        sensor=SensorRef(node="node-1", component="ftp"),
        occurred_at=T0,
        src=Endpoint(ip=ip, port=50000),
        dst=Endpoint(ip="2001:db8::1", port=21),
        protocol="ftp",
        filename="x'.sh",
        sha256=sha,
        size=10,
    )


def by_type(text: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for obj in json.loads(text)["objects"]:
        out.setdefault(obj["type"], []).append(obj)
    return out


def test_rule_table_agrees_with_the_catalogue() -> None:
    assert {name: r.technique for name, r in BY_NAME.items()} == stix.RULE_TECHNIQUE
    used = {*stix.RULE_TECHNIQUE.values(), *stix.KIND_TECHNIQUE.values()}
    assert used == set(stix.ATTACK)


def test_detection_objects() -> None:
    event = detection()
    text = stix.bundle_json([event])
    validate(text)
    objs = by_type(text)
    (ident,) = objs["identity"]
    assert ident["identity_class"] == "system" and ident["name"] == "node-1"
    assert ident["id"] == stix.stix_id("identity", "node-1")
    (ind,) = objs["indicator"]
    assert ind["pattern"] == "[ipv4-addr:value = '203.0.113.7']"
    assert ind["pattern_type"] == "stix" and ind["created_by_ref"] == ident["id"]
    assert ind["valid_from"] == "2026-12-06T12:00:00Z"
    (ap,) = objs["attack-pattern"]
    assert ap["name"] == "Brute Force"
    assert ap["external_references"] == [
        {
            "source_name": "mitre-attack",
            "external_id": "T1110",
            "url": "https://attack.mitre.org/techniques/T1110/",
        }
    ]
    (rel,) = objs["relationship"]
    assert (rel["source_ref"], rel["relationship_type"], rel["target_ref"]) == (
        ind["id"],
        "indicates",
        ap["id"],
    )
    (sig,) = objs["sighting"]
    assert sig["sighting_of_ref"] == ind["id"] and sig["where_sighted_refs"] == [ident["id"]]
    assert sig["count"] == 5
    assert (sig["first_seen"], sig["last_seen"]) == ("2026-12-06T12:00:00Z", "2026-12-06T12:00:30Z")
    (od,) = objs["observed-data"]
    assert sig["observed_data_refs"] == [od["id"]] and od["number_observed"] == 5
    addrs = {o["value"]: o["id"] for o in objs["ipv4-addr"]}
    assert set(addrs) == {"203.0.113.7", "192.0.2.10"}
    (nt,) = objs["network-traffic"]
    assert nt["src_ref"] == addrs["203.0.113.7"] and nt["dst_ref"] == addrs["192.0.2.10"]
    assert (nt["src_port"], nt["dst_port"], nt["protocols"]) == (40001, 22, ["ipv4", "tcp", "ssh"])
    assert set(od["object_refs"]) == {*addrs.values(), nt["id"]}


def test_file_hash_ipv6_and_quoting() -> None:
    text = stix.bundle_json([upload()])
    validate(text)
    objs = by_type(text)
    (ind,) = objs["indicator"]
    assert ind["pattern"] == f"[file:hashes.'SHA-256' = '{SHA}']"
    (f,) = objs["file"]
    assert f["hashes"] == {"SHA-256": SHA} and f["name"] == "x'.sh" and f["size"] == 10
    assert {o["value"] for o in objs["ipv6-addr"]} == {"2001:db8::5", "2001:db8::1"}
    (ap,) = objs["attack-pattern"]
    assert ap["external_references"][0]["external_id"] == "T1105"
    assert stix.address_pattern("2001:db8::5") == "[ipv6-addr:value = '2001:db8::5']"


def test_honeytoken_download_and_block() -> None:
    token = HoneytokenTriggered(
        sensor=SensorRef(node="node-2", component="ssh"),
        occurred_at=T0,
        src=Endpoint(ip="198.51.100.3"),
        token_id="aws-1",
        token_kind="aws-key",
        protocol="ssh",
        detail="key used",
    )
    fetched = FileDownload(
        sensor=SensorRef(node="node-1", component="ssh"),
        occurred_at=T0,
        src=Endpoint(ip="198.51.100.3"),
        protocol="ssh",
        url="http://evil.example/x",
        fetched=False,
    )
    block = ResponseBlock(
        sensor=SensorRef(node="node-1", component="response"),
        occurred_at=T0,
        target="203.0.113.0/24",
        source="detection",
        reason="brute_force",
        duration_s=600,
        expires_at=T0 + timedelta(seconds=600),
        backend="dry-run",
        applied=False,
    )
    text = stix.bundle_json([token, fetched, block])
    validate(text)
    objs = by_type(text)
    assert {i["name"] for i in objs["identity"]} == {"node-1", "node-2"}
    patterns = sorted(i["pattern"] for i in objs["indicator"])
    # the download fetched nothing (no hash): its indicator is the address
    assert patterns == [
        "[ipv4-addr:value = '198.51.100.3']",
        "[ipv4-addr:value = '198.51.100.3']",
        "[ipv4-addr:value = '203.0.113.0/24']",
    ]
    ids = {ap["external_references"][0]["external_id"] for ap in objs["attack-pattern"]}
    assert ids == {"T1078", "T1105"}
    (coa,) = objs["course-of-action"]
    assert "would block (dry-run) 203.0.113.0/24" in coa["name"]
    mitigates = [r for r in objs["relationship"] if r["relationship_type"] == "mitigates"]
    assert len(mitigates) == 1 and mitigates[0]["source_ref"] == coa["id"]


def test_same_events_same_objects_and_shared_references() -> None:
    a, b = detection("203.0.113.1"), detection("203.0.113.2")
    one = stix.bundle_json([a, b])
    assert one == stix.bundle_json([a, b])
    objs = by_type(one)
    assert len(objs["identity"]) == 1 and len(objs["attack-pattern"]) == 1  # once per bundle
    assert len(objs["indicator"]) == 2 and len(objs["sighting"]) == 2
    ids = [o["id"] for o in json.loads(one)["objects"]]
    assert len(ids) == len(set(ids))
    alone = {o["id"]: o for o in json.loads(stix.bundle_json([a]))["objects"]}
    together = {o["id"]: o for o in json.loads(one)["objects"]}
    assert all(together[k] == v for k, v in alone.items())  # a's objects do not depend on b


def test_unmapped_kinds_and_empty_batches() -> None:
    login = AuthAttempt(
        sensor=SensorRef(node="node-1", component="ssh"),
        src=Endpoint(ip="203.0.113.9"),
        protocol="ssh",
        method="password",
        username="root",
        accepted=False,
    )
    assert "auth.attempt" not in stix.MAPPED_KINDS and stix.objects([login]) == []
    empty = json.loads(stix.bundle_json([login]))
    assert empty["type"] == "bundle" and "objects" not in empty
    validate(stix.bundle_json([]))


@pytest.mark.parametrize("rule", sorted(stix.RULE_TECHNIQUE))
def test_every_rule_maps_and_validates(rule: str) -> None:
    text = stix.bundle_json([detection(rule=rule)])
    validate(text)
    (ap,) = by_type(text)["attack-pattern"]
    assert ap["external_references"][0]["external_id"] == BY_NAME[rule].technique


def test_unknown_rule_still_sights_the_address() -> None:
    objs = by_type(stix.bundle_json([detection(rule="plugin_rule")]))
    assert "attack-pattern" not in objs and "relationship" not in objs
    assert objs["sighting"][0]["sighting_of_ref"] == objs["indicator"][0]["id"]


def block(target: str) -> ResponseBlock:
    return ResponseBlock(
        sensor=SensorRef(node="node-1", component="response"),
        occurred_at=T0,
        target=target,
        source="policy",
        reason="policy",
        duration_s=60,
        expires_at=T0 + timedelta(seconds=60),
        backend="nftables",
        applied=True,
    )


NETWORKS = st.tuples(st.ip_addresses(), st.integers(min_value=0, max_value=128)).map(
    lambda t: str(ipaddress.ip_network(f"{t[0]}/{min(t[1], t[0].max_prefixlen)}", strict=False))
)

ANY_EVENTS = st.lists(
    st.one_of(
        st.builds(
            detection,
            ip=st.ip_addresses().map(str),
            rule=st.sampled_from(sorted(stix.RULE_TECHNIQUE)),
            count=st.integers(min_value=1, max_value=10**12),
        ),
        st.builds(
            upload,
            sha=st.binary(min_size=32, max_size=32).map(bytes.hex),
            ip=st.ip_addresses().map(str),
        ),
        st.builds(block, target=NETWORKS),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_EVENTS)
def test_arbitrary_addresses_and_hashes_make_valid_bundles(events: list[Event]) -> None:
    text = stix.bundle_json(events)
    validate(text)
    objs = by_type(text)
    patterns = {i["pattern"] for i in objs["indicator"]}
    for event in events:
        if isinstance(event, FileUpload):
            assert stix.hash_pattern(event.sha256) in patterns
        elif isinstance(event, ResponseBlock):
            assert stix.address_pattern(event.target) in patterns
        else:
            assert event.src is not None
            assert stix.address_pattern(event.src.ip) in patterns
    assert all(1 <= s["count"] <= stix.STIX_MAX_COUNT for s in objs.get("sighting", []))
    assert text == stix.bundle_json(events)
