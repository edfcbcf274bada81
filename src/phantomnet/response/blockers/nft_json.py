"""Pure builders and parsers of ``nft -j`` documents for the PhantomNet table.

Layout of ``table inet <name>``: four sets with per-element timeouts (``addr4``/``addr6`` for
single addresses, ``net4``/``net6`` with the interval flag for networks) and base chains on the
``input`` and ``forward`` hooks (and ``output`` when outbound blocking is on) that drop members.
Nothing here runs a command, so the layout can be tested without a kernel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from phantomnet.response.targets import Target, try_canonical

FAMILY = "inet"
#: set name -> (nft type, flags)
SETS: dict[str, tuple[str, list[str]]] = {
    "addr4": ("ipv4_addr", ["timeout"]),
    "addr6": ("ipv6_addr", ["timeout"]),
    "net4": ("ipv4_addr", ["interval", "timeout"]),
    "net6": ("ipv6_addr", ["interval", "timeout"]),
}
_PROTO = {"addr4": "ip", "net4": "ip", "addr6": "ip6", "net6": "ip6"}
#: a timeout nft accepts for "permanent" listings without one
NO_TIMEOUT = 10**9

Json = dict[str, Any]


def set_for(target: Target) -> str:
    """The set that holds ``target``."""
    return f"{'addr' if target.single else 'net'}{target.version}"


def chain_plan(outbound: bool) -> dict[str, list[str]]:
    """Chain name (= hook) -> the address fields it matches against every set."""
    plan = {"input": ["saddr"], "forward": ["saddr", "daddr"]}
    if outbound:
        plan["output"] = ["daddr"]
    return plan


def structure(table: str, priority: int, outbound: bool) -> list[Json]:
    """Commands creating the table, its sets, chains and drop rules (no elements)."""
    cmds: list[Json] = [{"add": {"table": {"family": FAMILY, "name": table}}}]
    for name, (type_, flags) in SETS.items():
        spec = {"family": FAMILY, "table": table, "name": name, "type": type_, "flags": flags}
        cmds.append({"add": {"set": spec}})
    for chain, fields in chain_plan(outbound).items():
        cmds.append(
            {
                "add": {
                    "chain": {
                        "family": FAMILY,
                        "table": table,
                        "name": chain,
                        "type": "filter",
                        "hook": chain,
                        "prio": priority,
                        "policy": "accept",
                    }
                }
            }
        )
        for field in fields:
            for name in SETS:
                match = {
                    "match": {
                        "op": "==",
                        "left": {"payload": {"protocol": _PROTO[name], "field": field}},
                        "right": f"@{name}",
                    }
                }
                rule = {
                    "family": FAMILY,
                    "table": table,
                    "chain": chain,
                    "expr": [match, {"counter": None}, {"drop": None}],
                }
                cmds.append({"add": {"rule": rule}})
    return cmds


def rebuild(table: str, priority: int, outbound: bool) -> list[Json]:
    """Atomically replace the table: add (so delete cannot fail), delete, create afresh."""
    base = {"family": FAMILY, "name": table}
    return [
        {"add": {"table": base}},
        {"delete": {"table": base}},
        *structure(table, priority, outbound),
    ]


def element_text(target: Target) -> str:
    """The element in nft's text syntax (``203.0.113.7``, ``198.51.100.0/24``)."""
    return target.text


def _elem_value(target: Target) -> Any:
    if target.single:
        return str(target.network.network_address)
    return {
        "prefix": {"addr": str(target.network.network_address), "len": target.network.prefixlen}
    }


def _element_cmd(op: str, table: str, name: str, elems: list[Any]) -> Json:
    return {op: {"element": {"family": FAMILY, "table": table, "name": name, "elem": elems}}}


def _grouped(items: Iterable[tuple[Target, int]]) -> dict[str, list[tuple[Target, int]]]:
    groups: dict[str, list[tuple[Target, int]]] = {}
    for target, timeout in items:
        groups.setdefault(set_for(target), []).append((target, timeout))
    return groups


def replace_elements(table: str, items: Iterable[tuple[Target, int]]) -> list[Json]:
    """Add elements with exactly ``timeout`` seconds: add (idempotent), delete, add again.

    nft 1.0 cannot update the timeout of an existing element and ``delete`` of an absent one
    fails the batch; this sequence succeeds either way and is atomic (one transaction).
    """
    cmds: list[Json] = []
    for name, group in _grouped(items).items():
        values = [_elem_value(t) for t, _ in group]
        cmds.append(
            _element_cmd("add", table, name, [{"elem": {"val": v, "timeout": 1}} for v in values])
        )
        cmds.append(_element_cmd("delete", table, name, values))
        cmds.append(
            _element_cmd(
                "add",
                table,
                name,
                [{"elem": {"val": _elem_value(t), "timeout": max(1, s)}} for t, s in group],
            )
        )
    return cmds


def delete_elements(table: str, targets: Iterable[Target], present: bool = False) -> list[Json]:
    """Delete elements; unless ``present`` is known, add them first so the delete cannot fail."""
    cmds: list[Json] = []
    for name, group in _grouped((t, 1) for t in targets).items():
        values = [_elem_value(t) for t, _ in group]
        if not present:
            cmds.append(
                _element_cmd(
                    "add", table, name, [{"elem": {"val": v, "timeout": 1}} for v in values]
                )
            )
        cmds.append(_element_cmd("delete", table, name, values))
    return cmds


def document(cmds: list[Json]) -> str:
    return json.dumps({"nftables": cmds}, separators=(",", ":"))


def _value_text(value: Any) -> str | None:
    if isinstance(value, str):
        return try_canonical(value)
    if isinstance(value, dict) and isinstance(value.get("prefix"), dict):
        prefix = value["prefix"]
        return try_canonical(f"{prefix.get('addr')}/{prefix.get('len')}")
    return None


def parse_elements(doc: str) -> dict[str, int]:
    """Canonical target -> seconds left, from ``nft -j list table`` output (never raises)."""
    try:
        items = json.loads(doc).get("nftables", [])
    except (ValueError, AttributeError):
        return {}
    found: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        spec = item.get("set") if isinstance(item, dict) else None
        if not isinstance(spec, dict) or spec.get("name") not in SETS:
            continue
        for elem in spec.get("elem", []):
            inner = elem.get("elem", elem) if isinstance(elem, dict) else elem
            value = inner.get("val") if isinstance(inner, dict) and "val" in inner else inner
            text = _value_text(value)
            if text is not None:
                left = inner.get("expires", NO_TIMEOUT) if isinstance(inner, dict) else NO_TIMEOUT
                found[text] = int(left) if isinstance(left, int | float) else NO_TIMEOUT
    return found


def structure_ok(doc: str, priority: int, outbound: bool) -> bool:
    """Whether a terse table listing has every set, every hooked chain and every rule."""
    try:
        items = json.loads(doc).get("nftables", [])
    except (ValueError, AttributeError):
        return False
    sets = {i["set"]["name"]: sorted(i["set"].get("flags", [])) for i in items if "set" in i}
    chains = {
        i["chain"]["name"]: (i["chain"].get("hook"), i["chain"].get("prio"))
        for i in items
        if "chain" in i
    }
    rules: dict[str, int] = {}
    for item in items:
        if "rule" in item:
            rules[item["rule"]["chain"]] = rules.get(item["rule"]["chain"], 0) + 1
    for name, (_, flags) in SETS.items():
        if sets.get(name) != sorted(flags):
            return False
    for chain, fields in chain_plan(outbound).items():
        if chains.get(chain) != (chain, priority) or rules.get(chain) != len(fields) * len(SETS):
            return False
    return True


def dropped_packets(doc: str) -> int | None:
    """Packets counted by the drop rules in a table listing (None if unreadable)."""
    try:
        items = json.loads(doc).get("nftables", [])
    except (ValueError, AttributeError):
        return None
    total = 0
    for item in items if isinstance(items, list) else []:
        rule = item.get("rule") if isinstance(item, dict) else None
        for expr in rule.get("expr", []) if isinstance(rule, dict) else []:
            counter = expr.get("counter") if isinstance(expr, dict) else None
            if isinstance(counter, dict) and isinstance(counter.get("packets"), int):
                total += counter["packets"]
    return total
