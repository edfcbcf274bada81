"""Which events block automatically: a pure mapping from an event to a block request.

A ``score`` with decision BLOCK, a ``detection`` whose rule is configured, and a
``honeytoken.triggered`` event each name the attacker in ``src``. Dispatch is a table keyed by
event kind; anything else maps to None. A link-local source carries its zone id in events
(``fe80::1%eth0``); firewall sets match the address on every interface, so the block request
names the bare address (a target never has a zone id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from phantomnet.events import Detection, Event, HoneytokenTriggered, Score
from phantomnet.events.response import BlockSource
from phantomnet.response.config import AutoBlockConfig


@dataclass(frozen=True)
class BlockRequest:
    target: str
    source: BlockSource
    reason: str


def _score(event: Event, config: AutoBlockConfig) -> BlockRequest | None:
    if not isinstance(event, Score) or not config.score_block or event.decision != "BLOCK":
        return None
    assert event.src is not None
    return BlockRequest(
        event.src.ip, "policy", f"score {event.score:.0f} {event.level} ({event.model_version})"
    )


def _detection(event: Event, config: AutoBlockConfig) -> BlockRequest | None:
    if not isinstance(event, Detection) or event.rule not in config.detections:
        return None
    assert event.src is not None
    source: BlockSource = "honeytoken" if event.rule == "honeytoken_use" else "detection"
    return BlockRequest(
        event.src.ip, source, f"detection {event.rule} ({event.severity}): {event.summary[:300]}"
    )


def _honeytoken(event: Event, config: AutoBlockConfig) -> BlockRequest | None:
    if not isinstance(event, HoneytokenTriggered) or not config.honeytoken_events:
        return None
    assert event.src is not None
    return BlockRequest(
        event.src.ip,
        "honeytoken",
        f"honeytoken {event.token_kind} {event.token_id} used over {event.protocol}",
    )


RULES: dict[str, Callable[[Event, AutoBlockConfig], BlockRequest | None]] = {
    "score": _score,
    "detection": _detection,
    "honeytoken.triggered": _honeytoken,
}
KINDS = frozenset(RULES)


def decide(event: Event, config: AutoBlockConfig) -> BlockRequest | None:
    """The block an event calls for, or None (disabled, no attacker, not a blocking event)."""
    rule = RULES.get(event.kind)
    if rule is None or not config.enabled or event.src is None:
        return None
    request = rule(event, config)
    if request is not None and "%" in request.target:
        request = replace(request, target=request.target.split("%", 1)[0])
    return request
