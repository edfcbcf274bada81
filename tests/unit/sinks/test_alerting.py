"""The alert policy with a fake clock: dedupe, throttle, digest, bounds, and no alert lost."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantomnet.errors import ConfigError
from phantomnet.events import Detection, Endpoint, HoneytokenTriggered, ResponseBlock, SensorRef
from phantomnet.settings import validate_section
from phantomnet.sinks.alert_text import render
from phantomnet.sinks.alerting import (
    ALERT_KINDS,
    Alert,
    AlertConfig,
    AlertPolicy,
    Digest,
    Message,
)
from phantomnet.sinks.webhook import WebhookConfig


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def det(src: str = "203.0.113.7", rule: str = "brute_force", severity: str = "high") -> Detection:
    now = datetime.now(UTC)
    return Detection(
        sensor=SensorRef(node="node-1", component="detectors"),
        src=Endpoint(ip=src, port=40000),
        dst=Endpoint(ip="192.0.2.10", port=22),
        rule=rule,
        severity=severity,  # type: ignore[arg-type]
        protocol="ssh",
        first_seen=now,
        last_seen=now,
        count=3,
        summary="12 failed logins <script>",
        detector="brute_force",
    )


def block(target: str = "203.0.113.7", applied: bool = True) -> ResponseBlock:
    return ResponseBlock(
        sensor=SensorRef(node="node-1", component="response"),
        target=target,
        source="detection",
        reason="brute_force",
        duration_s=3600,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        backend="nftables",
        applied=applied,
    )


def policy(**cfg: object) -> tuple[AlertPolicy, Clock]:
    clock = Clock()
    return AlertPolicy(AlertConfig.model_validate(cfg), clock=clock), clock


def covered(messages: list[Message]) -> Counter[int]:
    out: Counter[int] = Counter()
    for m in messages:
        out.update(m.tickets)
    return out


def test_same_rule_and_source_in_the_window_is_one_alert_then_a_followup() -> None:
    p, clock = policy(dedupe_window_s=60)
    for i in range(5):
        clock.t = i
        p.offer(det(), ticket=i)
    first = p.due()
    assert len(first) == 1 and isinstance(first[0], Alert) and first[0].events == 1
    assert p.deduped == 4 and p.pending_events == 4
    assert p.next_due() == 60
    clock.t = 59.9
    assert p.due() == []
    clock.t = 60
    (follow,) = p.due()
    assert isinstance(follow, Alert) and follow.followup and follow.events == 4
    assert covered([*first, follow]) == Counter({i: 1 for i in range(5)})
    assert p.pending_events == 0 and p.next_due() is None
    assert "4 more of this rule and source" in render(follow).plain()


def test_other_source_or_rule_is_its_own_alert() -> None:
    p, _ = policy(dedupe_window_s=60)
    p.offer(det("203.0.113.1"), 1)
    p.offer(det("203.0.113.2"), 1)
    p.offer(det("203.0.113.1", rule="http_attacks"), 1)
    assert len(p.due()) == 3


def test_the_next_alert_of_the_key_carries_the_repeat_count() -> None:
    p, clock = policy(dedupe_window_s=10)
    p.offer(det(), 1)
    clock.t = 5
    p.offer(det(), 2)
    clock.t = 12  # the window is over, nothing asked for ``due`` in between
    p.offer(det(), 3)
    alerts = p.due()
    assert [a.events for a in alerts] == [1, 2]
    second = alerts[1]
    assert isinstance(second, Alert) and second.repeats == 1 and not second.followup
    assert "1 earlier, not alerted" in render(second).plain()
    assert covered(alerts) == Counter({1: 1, 2: 1, 3: 1})


def test_throttle_folds_the_excess_into_a_digest_sent_when_the_budget_allows() -> None:
    p, clock = policy(dedupe_window_s=0, max_per_hour=2)
    for i in range(5):
        p.offer(det(f"203.0.113.{i + 1}"), i)
    sent = p.due()
    assert len(sent) == 2 and p.throttled == 3 and p.pending_events == 3
    assert p.next_due() == 3600
    clock.t = 3599
    assert p.due() == []
    clock.t = 3600
    (digest,) = p.due()
    assert isinstance(digest, Digest) and digest.events == 3 and digest.throttled == 3
    assert covered([*sent, digest]) == Counter({i: 1 for i in range(5)})
    text = render(digest).plain()
    assert "3 alerts over the hourly budget" in text and "203.0.113.5" in text


def test_digest_mode_sends_one_summary_per_period() -> None:
    p, clock = policy(digest_s=300, dedupe_window_s=0)
    p.offer(det("203.0.113.1"), 1)
    p.offer(det("203.0.113.1"), 1)
    clock.t = 100
    p.offer(det("203.0.113.2", rule="http_attacks", severity="critical"), 2)
    assert p.due() == [] and p.next_due() == 300
    clock.t = 300
    (digest,) = p.due()
    assert isinstance(digest, Digest) and digest.events == 3 and len(digest.entries) == 2
    text = render(digest, AlertConfig(dashboard_url="https://pn.example.net/"))
    assert text.severity == "critical"
    assert "brute_force x2" in text.plain() and "http_attacks x1" in text.plain()
    assert "https://pn.example.net/attackers/203.0.113.1" in text.plain()
    assert p.due() == [] and p.next_due() is None


def test_state_is_bounded_and_an_evicted_key_sends_its_repeats() -> None:
    p, _ = policy(dedupe_window_s=600, max_keys=2)
    for ip in ("203.0.113.1", "203.0.113.2"):
        p.offer(det(ip), 1)
        p.offer(det(ip), 1)
    p.offer(det("203.0.113.3"), 1)  # third key: the oldest window goes, with its repeat
    msgs = p.due()
    assert [(m.events, isinstance(m, Alert) and m.followup) for m in msgs] == [
        (1, False),
        (1, False),
        (1, True),
        (1, False),
    ]
    assert p.sizes()["keys"] == 2


def test_alert_says_what_who_where_what_was_done_and_links() -> None:
    p, _ = policy()
    p.observe(block())
    p.offer(det(), 1)
    (alert,) = p.due()
    text = render(alert, AlertConfig(dashboard_url="https://pn.example.net"))
    facts = dict(text.facts)
    assert facts["What"] == "brute_force: 12 failed logins <script>"
    assert facts["Who"] == "203.0.113.7:40000"
    assert facts["Where"] == "door ssh, on 192.0.2.10:22, node node-1"
    assert facts["Action"].startswith("blocked 203.0.113.7 for 3600 s until ")
    assert "via nftables" in facts["Action"]
    assert text.links == {
        "attacker": "https://pn.example.net/attackers/203.0.113.7",
        "event": f"https://pn.example.net/events/{alert.event.event_id}",  # type: ignore[union-attr]
    }
    assert "&lt;script&gt;" in text.html() and "<script>" not in text.html()
    assert "&lt;script&gt;" in text.mrkdwn()
    assert text.title == "PhantomNet: [high] brute_force: 12 failed logins <script>"


def test_honeytoken_and_block_alerts_and_no_block_seen() -> None:
    p, _ = policy()
    token = HoneytokenTriggered(
        sensor=SensorRef(node="node-1", component="ssh"),
        src=Endpoint(ip="198.51.100.4"),
        token_id="aws-key-1",
        token_kind="credential",
        protocol="ssh",
    )
    p.offer(token, 1)
    p.offer(block("198.51.100.9", applied=False), 1)
    tok, blk = p.due()
    assert "honeytoken credential 'aws-key-1' used" in render(tok).title
    assert dict(render(tok).facts)["Action"].startswith("recorded; no block")
    assert dict(render(blk).facts)["Action"].startswith("would block (dry-run) 198.51.100.9")


def test_alert_block_sets_the_alert_worthy_defaults_and_validates() -> None:
    plain = WebhookConfig.model_validate({"url": "https://h.example/x", "secret": "k"})
    assert plain.alert is None and plain.kinds == ("detection",)
    cfg = WebhookConfig.model_validate(
        {"url": "https://h.example/x", "format": "slack", "alert": {}}
    )
    assert cfg.kinds == ALERT_KINDS and cfg.min_severity == "high"
    own = WebhookConfig.model_validate(
        {"url": "https://h.example/x", "format": "slack", "alert": {}, "kinds": ["detection"]}
    )
    assert own.kinds == ("detection",)
    with pytest.raises(ConfigError, match=r"^sinks\.webhook\.alert\.dashboard_url: 'ftp://x'"):
        validate_section(
            WebhookConfig,
            {
                "url": "https://h.example/x",
                "format": "slack",
                "alert": {"dashboard_url": "ftp://x"},
            },
            "sinks.webhook",
        )
    with pytest.raises(ConfigError, match=r"^sinks\.webhook\.alert\.max_per_hour"):
        validate_section(
            WebhookConfig,
            {"url": "https://h.example/x", "format": "teams", "alert": {"max_per_hour": 0}},
            "sinks.webhook",
        )


OPS = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=900, allow_nan=False),  # time step
        st.integers(min_value=0, max_value=5),  # source
        st.sampled_from(["brute_force", "http_attacks", "scan"]),
        st.booleans(),  # ask for due() after it
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    ops=OPS,
    window=st.sampled_from([0.0, 1.0, 60.0, 600.0]),
    budget=st.integers(min_value=1, max_value=5),
    digest=st.sampled_from([0.0, 30.0, 3600.0]),
    max_keys=st.integers(min_value=1, max_value=4),
)
def test_no_alert_is_ever_lost(
    ops: list[tuple[float, int, str, bool]],
    window: float,
    budget: int,
    digest: float,
    max_keys: int,
) -> None:
    """Every event is in exactly one sent message (as its alert, a repeat or a digest count)."""
    p, clock = policy(
        dedupe_window_s=window, max_per_hour=budget, digest_s=digest, max_keys=max_keys
    )
    sent: list[Message] = []
    offered: Counter[int] = Counter()
    for i, (step, src, rule, ask) in enumerate(ops):
        clock.t += step
        ticket = i // 3  # a few events per "batch"
        p.offer(det(f"203.0.113.{src + 1}", rule=rule), ticket)
        offered[ticket] += 1
        if ask:
            sent += p.due()
        assert sum(covered(sent).values()) + p.pending_events == sum(offered.values())
    for _ in range(10):  # time goes on: windows close, digests fall due, the budget refills
        due = p.next_due()
        if due is None:
            break
        clock.t = max(clock.t, due)
        sent += p.due()
    assert p.next_due() is None and p.pending_events == 0
    assert covered(sent) == offered
    assert sum(m.events for m in sent) == sum(offered.values())
    for m in sent:
        assert sum(m.tickets.values()) == m.events
