"""Pure builders and parsers: nft JSON, ipset save, host facts, reconciliation diff."""

from __future__ import annotations

import json

from response_fakes import HOST_ADDRS, HOST_ROUTES4, HOST_ROUTES6

from phantomnet.response.blockers import nft_json
from phantomnet.response.blockers.conntrack import deleted_count
from phantomnet.response.blockers.iptables import (
    parse_counts,
    parse_ipset_save,
    variant_of,
)
from phantomnet.response.reconcile import diff
from phantomnet.response.safety import parse_gateways, parse_ip_addr, parse_resolv_conf
from phantomnet.response.targets import parse_target


def test_structure_hooks_input_forward_and_output() -> None:
    cmds = nft_json.structure("pn", -10, outbound=True)
    chains = {c["add"]["chain"]["hook"] for c in cmds if "chain" in c["add"]}
    assert chains == {"input", "forward", "output"}
    rules = [c["add"]["rule"] for c in cmds if "rule" in c["add"]]
    assert len(rules) == 4 + 8 + 4
    assert all(r["expr"][-1] == {"drop": None} for r in rules)
    no_out = nft_json.structure("pn", -10, outbound=False)
    assert "output" not in {c["add"]["chain"]["hook"] for c in no_out if "chain" in c["add"]}


def test_replace_elements_is_add_delete_add_per_set() -> None:
    items = [
        (parse_target("203.0.113.7"), 600),
        (parse_target("198.51.100.0/24"), 60),
        (parse_target("2001:db8::1"), 30),
    ]
    cmds = nft_json.replace_elements("pn", items)
    ops = [(next(iter(c)), c[next(iter(c))]["element"]["name"]) for c in cmds]
    assert ops == [
        ("add", "addr4"),
        ("delete", "addr4"),
        ("add", "addr4"),
        ("add", "net4"),
        ("delete", "net4"),
        ("add", "net4"),
        ("add", "addr6"),
        ("delete", "addr6"),
        ("add", "addr6"),
    ]
    final = cmds[5]["add"]["element"]["elem"][0]["elem"]
    assert final == {"val": {"prefix": {"addr": "198.51.100.0", "len": 24}}, "timeout": 60}


def test_parse_elements_and_structure_ok() -> None:
    doc = {
        "nftables": [
            {"metainfo": {}},
            {"set": {"name": "addr4", "elem": [{"elem": {"val": "203.0.113.7", "expires": 42}}]}},
            {
                "set": {
                    "name": "net4",
                    "elem": [
                        {
                            "elem": {
                                "val": {"prefix": {"addr": "198.51.100.0", "len": 24}},
                                "expires": 7,
                            }
                        }
                    ],
                }
            },
            {"set": {"name": "addr6", "elem": ["2001:db8::1"]}},
            {"set": {"name": "other", "elem": ["192.0.2.1"]}},
        ]
    }
    assert nft_json.parse_elements(json.dumps(doc)) == {
        "203.0.113.7": 42,
        "198.51.100.0/24": 7,
        "2001:db8::1": nft_json.NO_TIMEOUT,
    }
    assert nft_json.parse_elements("not json") == {}
    built = [next(iter(c.values())) for c in nft_json.structure("pn", -10, True)]
    listing = {
        "nftables": [
            {k: v} for cmd in nft_json.structure("pn", -10, True) for k, v in cmd["add"].items()
        ]
    }
    assert built
    assert nft_json.structure_ok(json.dumps(listing), -10, True)
    listing["nftables"] = [i for i in listing["nftables"] if "rule" not in i][:-1]
    assert not nft_json.structure_ok(json.dumps(listing), -10, True)
    assert not nft_json.structure_ok("", -10, True)


def test_ipset_save_parser() -> None:
    text = (
        "create phantomnet-4 hash:net family inet hashsize 1024 maxelem 65536 timeout 0\n"
        "add phantomnet-4 203.0.113.7 timeout 593\n"
        "add phantomnet-4 198.51.100.0/24 timeout 12\n"
        "add phantomnet-6 2001:db8::/64 timeout 5\n"
        "add phantomnet-4 garbage timeout 5\n"
    )
    assert parse_ipset_save(text) == {"203.0.113.7": 593, "198.51.100.0/24": 12, "2001:db8::/64": 5}


def test_conntrack_counts() -> None:
    assert deleted_count("conntrack v1.4.7: 3 flow entries have been deleted.") == 3
    assert deleted_count("conntrack v1.4.7: 0 flow entries have been deleted.") == 0
    assert deleted_count("conntrack: Operation not permitted") is None


def test_host_fact_parsers() -> None:
    assert parse_ip_addr(HOST_ADDRS) == ["127.0.0.1", "192.0.2.10", "2001:db8::10"]
    assert parse_gateways(HOST_ROUTES4) == ["192.0.2.1"]
    assert parse_gateways(HOST_ROUTES6) == ["fe80::1"]
    assert parse_gateways("{broken") == []
    resolv = "# comment\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nsearch x\nnameserver\n"
    assert parse_resolv_conf(resolv) == ["10.255.255.53", "fe80::1"]


def test_diff_finds_missing_wrong_and_extra() -> None:
    desired = {"a": 600, "b": 600, "c": 600}
    actual = {"a": 598, "b": 30, "z": 100}
    found = diff(desired, actual, slack_s=5)
    assert found.missing == ("c",)
    assert found.wrong_timeout == ("b",)
    assert found.extra == ("z",)
    assert found.drift == 3
    assert diff(desired, {"a": 600, "b": 601, "c": 596}, 5).drift == 0
    assert diff(desired, {"a": 650, "b": 664, "c": 594}, 5).wrong_timeout == ("c",)
    assert diff(desired, {"a": 666, "b": 600, "c": 600}, 5).wrong_timeout == ("a",)


def test_diff_of_blocks_longer_than_the_backend_takes() -> None:
    cap = 2_147_483  # ipset's longest timeout; a 30-day block is desired at the cap
    desired = {"long": cap, "short": 600}
    aged = {"long": cap - 86_400, "short": 600}  # a day later: still fine, not re-added
    assert diff(desired, aged, 5, cap).drift == 0
    assert diff(desired, {"long": cap // 2 - 1, "short": 600}, 5, cap).wrong_timeout == ("long",)
    assert diff(desired, {"long": cap, "short": 590}, 5, cap).wrong_timeout == ("short",)


def test_drop_counters() -> None:
    doc = {
        "nftables": [
            {
                "rule": {
                    "expr": [
                        {"match": {}},
                        {"counter": {"packets": 3, "bytes": 180}},
                        {"drop": None},
                    ]
                }
            },
            {"rule": {"expr": [{"counter": {"packets": 2, "bytes": 1}}]}},
            {"set": {"name": "addr4"}},
        ]
    }
    assert nft_json.dropped_packets(json.dumps(doc)) == 5
    assert nft_json.dropped_packets("nope") is None
    listing = (
        "Chain PHANTOMNET-SRC (2 references)\n"
        "    pkts      bytes target     prot opt in     out     source   destination\n"
        "       7      420 DROP       all  --  *      *       0.0.0.0/0  0.0.0.0/0 "
        "match-set phantomnet-4 src\n"
    )
    assert parse_counts(listing) == 7
    assert parse_counts("") == 0


def test_iptables_variant() -> None:
    assert variant_of("iptables v1.8.9 (nf_tables)\n") == "nf_tables"
    assert variant_of("iptables v1.8.9 (legacy)\n") == "legacy"
    assert variant_of("iptables v1.4.21\n") == "unknown"
