"""The verdict cache (TTL), the per-question history and the token buckets."""

from __future__ import annotations

from phantomnet.verify.answers import DnsAnswer, PathFailure
from phantomnet.verify.cache import VerdictCache
from phantomnet.verify.config import AutoConfig, verify_config
from phantomnet.verify.engine import _verdict
from phantomnet.verify.history import History
from phantomnet.verify.path import Question
from phantomnet.verify.ratelimit import RuleLimiter, TokenBucket
from phantomnet.verify.verifier import weigh
from phantomnet.verify.vote import count

Q = Question("dns", "www.example.test")
TRUE = DnsAnswer(frozenset({"192.0.2.10"}))
LIE = DnsAnswer(frozenset({"203.0.113.66"}))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _verdict_of(outcomes: dict[str, DnsAnswer | PathFailure]):  # type: ignore[no-untyped-def]
    names = sorted(outcomes)
    return _verdict(Q, count(outcomes, len(names)), outcomes, (), names)


def test_cache_keeps_a_verified_verdict_for_its_ttl() -> None:
    clock = Clock()
    cache = VerdictCache(300, clock=clock)
    verdict = _verdict_of({"a": TRUE, "b": TRUE, "c": LIE})
    key = cache.key(Q, ("c", "b", "a"))
    cache.put(key, verdict)
    hit = cache.get(cache.key(Q, ("a", "b", "c")))
    assert hit is not None and hit.cached and hit.compromised_paths == ("c",)
    clock.now += 300
    assert cache.get(key) is None and len(cache) == 0


def test_cache_never_keeps_an_inconclusive_verdict_or_with_ttl_zero() -> None:
    inconclusive = _verdict_of({"a": TRUE, "b": LIE})
    cache = VerdictCache(300)
    cache.put(cache.key(Q, ("a", "b")), inconclusive)
    assert len(cache) == 0
    off = VerdictCache(0)
    off.put(off.key(Q, ("a", "b", "c")), _verdict_of({"a": TRUE, "b": TRUE, "c": TRUE}))
    assert len(off) == 0


def test_cache_ttl_is_configurable() -> None:
    assert verify_config({}).cache_ttl_s == 300
    assert verify_config({"cache_ttl_s": 5}).cache_ttl_s == 5


def test_history_novelty_needs_a_known_question_and_a_lone_new_answer() -> None:
    history = History()
    assert history.novel(Q, {"a": TRUE, "c": LIE}) == ()  # nothing known yet
    history.record(Q, {"a": TRUE, "b": TRUE})
    assert history.novel(Q, {"a": TRUE, "b": TRUE, "c": LIE}) == ("c",)
    # two paths with the same new answer: not "from one path only"
    assert history.novel(Q, {"a": TRUE, "c": LIE, "d": LIE}) == ()
    history.record(Q, {"c": LIE})
    assert history.novel(Q, {"a": TRUE, "c": LIE}) == ()  # seen before


def test_a_novel_lone_lie_raises_medium_to_high() -> None:
    verdict = _verdict_of({"a": TRUE, "b": TRUE, "c": LIE})
    assert verdict.confidence == "MEDIUM"
    assert weigh(verdict, ("c",)).confidence == "HIGH"
    assert weigh(verdict, ()).confidence == "MEDIUM"
    unverified = _verdict_of({"a": TRUE, "c": LIE})
    assert weigh(unverified, ("c",)).confidence == "LOW"  # never without a quorum


def test_history_is_bounded() -> None:
    history = History(max_questions=2, per_question=1)
    for i in range(5):
        history.record(Question("dns", f"n{i}.test"), {"a": TRUE})
    assert not history.known(Question("dns", "n0.test"))
    assert history.known(Question("dns", "n4.test"))


def test_token_bucket_refills_at_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(per_minute=6, burst=2, clock=clock)
    assert bucket.take() and bucket.take() and not bucket.take()
    clock.now += 10  # 6/min: one token per 10 s
    assert bucket.take() and not bucket.take()


def test_rule_and_global_limits() -> None:
    clock = Clock()
    limiter = RuleLimiter(
        AutoConfig(per_rule_burst=2, per_rule_per_minute=1, global_burst=3, global_per_minute=1),
        clock=clock,
    )
    assert limiter.allow("dns_spoof") and limiter.allow("dns_spoof")
    assert not limiter.allow("dns_spoof")  # the rule's bucket is empty
    assert limiter.allow("ssl_strip")  # the global bucket had a third token
    assert not limiter.allow("weak_tls")  # the global one is empty now


def test_the_event_detail_is_always_valid_json_within_the_cap() -> None:
    import json

    from phantomnet.verify.engine import DETAIL_MAX, fit_detail

    many = {f"path-{i:03d}": TRUE if i % 3 else LIE for i in range(60)}
    verdict = _verdict_of(many)  # type: ignore[arg-type]
    event = verdict.event("n")
    assert len(event.detail) <= DETAIL_MAX
    assert json.loads(event.detail)["outcome"] == verdict.outcome
    small = _verdict_of({"a": TRUE, "b": TRUE, "c": LIE})
    assert json.loads(small.event("n").detail)["paths"]["c"]["addresses"] == ["203.0.113.66"]
    huge = {"url": "u", "outcome": "refuted", "checks": [{"x" * 5000: 1}]}
    assert json.loads(fit_detail(huge))["truncated"] is True
