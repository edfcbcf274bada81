"""Community ID v1 against corelight/community-id-spec baselines (function and pcaps)."""

from __future__ import annotations

import ipaddress
import json

import pytest
from mon_vectors import vectors

from phantomnet.events import NetworkFlow
from phantomnet.monitor.community_id import community_id
from phantomnet.monitor.replay import events_from_pcap

BASELINES = {
    "baseline_deflt.json": (0, True),
    "baseline_seed1.json": (1, True),
    "baseline_nob64.json": (0, False),
}


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_function_matches_every_baseline_tuple(name: str) -> None:
    seed, b64 = BASELINES[name]
    rows = json.loads((vectors("community-id") / name).read_text())
    assert len(rows) >= 20
    for row in rows:
        got = community_id(
            row["proto"],
            ipaddress.ip_address(row["saddr"]).packed,
            ipaddress.ip_address(row["daddr"]).packed,
            row["sport"],
            row["dport"],
            seed=seed,
            use_base64=b64,
        )
        assert got == row["communityid"], row


def test_published_vectors() -> None:
    tcp = community_id(6, bytes([128, 232, 110, 120]), bytes([66, 35, 250, 204]), 34855, 80)
    assert tcp == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    rev = community_id(6, bytes([66, 35, 250, 204]), bytes([128, 232, 110, 120]), 80, 34855)
    assert rev == tcp


def test_flows_from_spec_pcaps_carry_baseline_ids() -> None:
    folder = vectors("community-id")
    rows = json.loads((folder / "baseline_deflt.json").read_text())
    expected = {r["communityid"] for r in rows if r["proto"] != 46}  # no RSVP pcap shipped
    got: set[str] = set()
    for pcap in sorted(folder.glob("*.pcap")):
        for event in events_from_pcap(pcap):
            if isinstance(event, NetworkFlow):
                assert event.community_id in expected, (pcap.name, event.src, event.dst)
                got.add(event.community_id)
    assert got == expected
