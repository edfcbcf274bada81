"""Quorum, compare and vote edge cases, as properties (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phantomnet.verify.answers import DnsAnswer, HttpAnswer, PathFailure
from phantomnet.verify.compare import body_proportion, consistent, title_words
from phantomnet.verify.quorum import Tally, allowed_disagreements, confidence, quorum_met
from phantomnet.verify.vote import count, settled

ADDRS = st.sampled_from(["192.0.2.1", "192.0.2.2", "203.0.113.66", "2001:db8::1"])
DNS = st.builds(DnsAnswer, addresses=st.frozensets(ADDRS, max_size=3))
HTTP = st.builds(
    HttpAnswer,
    status=st.sampled_from([200, 302, 404]),
    body_length=st.integers(0, 5000),
    title_words=st.frozensets(st.sampled_from(["phantom", "login", "bank", "example"])),
    body_sha256=st.just("0" * 64),
)
FAIL = st.builds(PathFailure, reason=st.just("timeout"))
OUTCOME = st.one_of(DNS, FAIL)


@given(st.integers(0, 40), st.integers(0, 40))
def test_quorum_is_a_strict_majority_within_the_allowance(agreed: int, extra: int) -> None:
    total = agreed + extra
    met = quorum_met(agreed, total)
    if met:
        assert agreed > total - agreed  # a tie or minority never verifies
        assert total - agreed <= allowed_disagreements(total)
        assert total >= 2
    if total >= 2 and agreed == total:
        assert met  # unanimity always verifies


@given(st.integers(0, 40))
def test_allowance_follows_cab_br(total: int) -> None:
    expected = 0 if total < 2 else (1 if total <= 5 else 2)
    assert allowed_disagreements(total) == expected


def test_two_paths_that_disagree_never_verify() -> None:
    assert not quorum_met(1, 2)
    assert quorum_met(2, 2)
    assert not quorum_met(1, 1)  # one path is no vote


@given(st.integers(2, 20), st.integers(0, 20), st.integers(0, 20))
def test_confidence_low_iff_no_quorum(agreed: int, disagreed: int, failed: int) -> None:
    tally = Tally(agreed + disagreed + failed, agreed, disagreed, failed)
    assert (confidence(tally) == "LOW") == (not tally.met)


@given(st.one_of(DNS, HTTP), st.one_of(DNS, HTTP))
def test_consistency_is_symmetric(a: DnsAnswer | HttpAnswer, b: DnsAnswer | HttpAnswer) -> None:
    assert consistent(a, b) == consistent(b, a)
    if type(a) is not type(b):
        assert not consistent(a, b)


@given(st.one_of(DNS, HTTP))
def test_an_answer_agrees_with_itself(a: DnsAnswer | HttpAnswer) -> None:
    assert consistent(a, a)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_body_proportion_is_a_ratio(a: int, b: int) -> None:
    p = body_proportion(a, b)
    assert 0.0 <= p <= 1.0 and p == body_proportion(b, a)


def test_title_words_ignore_short_words_and_missing_titles() -> None:
    assert title_words(b"<html><TITLE>The Bank Login</TITLE>") == {"login"}
    assert title_words(b"<html>no title</html>") == frozenset()


@given(st.dictionaries(st.sampled_from("abcdefg"), OUTCOME, min_size=1))
def test_every_path_is_counted_once(outcomes: dict[str, DnsAnswer | PathFailure]) -> None:
    vote = count(outcomes, len(outcomes))
    groups = set(vote.agreed) | set(vote.disagreed) | set(vote.failed)
    assert groups == set(outcomes)
    assert len(vote.agreed) + len(vote.disagreed) + len(vote.failed) == len(outcomes)
    assert not set(vote.agreed) & set(vote.disagreed)
    assert all(isinstance(outcomes[p], PathFailure) for p in vote.failed)


@given(
    st.dictionaries(st.sampled_from("abcdef"), OUTCOME, min_size=1),
    st.lists(OUTCOME, max_size=4),
)
def test_a_settled_vote_is_not_changed_by_the_stragglers(
    seen: dict[str, DnsAnswer | PathFailure], later: list[DnsAnswer | PathFailure]
) -> None:
    total = len(seen) + len(later)
    before = count(seen, total)
    if not settled(before, len(later)) or not later:
        return
    after = count({**seen, **{f"z{i}": a for i, a in enumerate(later)}}, total)
    assert after.tally.met == before.tally.met
    assert before.disagreed  # early stop only once a disagreement is seen


def test_a_straggler_that_bridges_two_answers_keeps_the_vote_open() -> None:
    # found by the property above: {a} and {b} disagree, a pending {a, b} agrees with both
    seen = {
        "a": PathFailure("timeout"),
        "b": DnsAnswer(frozenset({"192.0.2.1"})),
        "c": DnsAnswer(frozenset({"2001:db8::1"})),
    }
    assert not settled(count(seen, 4), 1)
    bridged = count({**seen, "z": DnsAnswer(frozenset({"192.0.2.1", "2001:db8::1"}))}, 4)
    assert bridged.tally.met


def test_failures_are_not_votes() -> None:
    lie = DnsAnswer(frozenset({"203.0.113.66"}))
    vote = count({"a": lie, "b": PathFailure("x"), "c": PathFailure("y")}, 3)
    assert vote.agreed == ("a",) and not vote.tally.met
