"""The scoring service on the in-process bus: micro-batches, per-IP cache, BLOCK published."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from scoring_helpers import flow, ssh_session, syn_probe

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Score
from phantomnet.scoring.config import ScoringConfig, Thresholds
from phantomnet.scoring.features import FlowFeatures
from phantomnet.scoring.models.scorer import ScoringModel, Verdict
from phantomnet.scoring.service import ScoringService, VerdictCache
from phantomnet.scoring.session_features import SessionFeatures
from phantomnet.scoring.train import Recipe, fit_head


def lab_model() -> ScoringModel:
    """A small model fitted on event-derived vectors: web flows benign, SYN probes scans,
    logins benign, failed-auth storms brute force."""
    fx = FlowFeatures()
    rows: list[list[float]] = []
    labels: list[str] = []
    for i in range(150):
        rows.append(fx.vector(flow(f"198.51.100.{i % 50}", t=i * 0.5)))
        labels.append("benign")
    scan = FlowFeatures()
    for p in range(150):
        rows.append(scan.vector(syn_probe("203.0.113.5", 1 + p, p * 0.002)))
        labels.append("scan")
    sf = SessionFeatures()
    srows: list[tuple[float, ...]] = []
    slabels: list[str] = []
    for i in range(40):
        for ev in ssh_session(f"198.51.100.{i}", t=i * 10):
            srows += [s.vector for s in sf.observe(ev)]  # type: ignore[arg-type]
        slabels.append("benign")
        for ev in ssh_session(f"203.0.113.{i}", failures=10, accepted=False, t=i * 10):
            srows += [s.vector for s in sf.observe(ev)]  # type: ignore[arg-type]
        slabels.append("bruteforce")
    recipe = Recipe(rf_trees=10, if_trees=10)
    heads = {
        "flow": fit_head(np.asarray(rows), labels, fx.names, recipe),
        "session": fit_head(np.asarray(srows), slabels, sf.names, recipe),
    }
    return ScoringModel({"version": "unit", "heads": heads}, {}, Thresholds())


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return lab_model()


async def collect_scores(bus: MemoryBus, n: int) -> list[Score]:
    got: list[Score] = []
    async for batch in bus.subscribe("observer", kinds=frozenset({"score"})):
        got += [e for e in batch.events if isinstance(e, Score)]
        if len(got) >= n:
            return got
    return got


async def run_service(
    model: ScoringModel, events: list[Any], expect: int, **config: Any
) -> tuple[list[Score], ScoringService]:
    bus = MemoryBus(queue_size=10_000)
    service = ScoringService(bus, ScoringConfig(**config), node="unit", model=model)
    await service.start()
    watcher = asyncio.create_task(collect_scores(bus, expect))
    runner = asyncio.create_task(service.run())
    await asyncio.sleep(0)
    await bus.publish_many(events)
    try:
        scores = await asyncio.wait_for(watcher, 60)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    return scores, service


async def test_scan_source_gets_one_block_per_ttl(model: ScoringModel) -> None:
    probes = [syn_probe("203.0.113.77", 1 + p, p * 0.002) for p in range(300)]
    web = [flow("198.51.100.3", t=1.0 + i) for i in range(3)]
    scores, service = await run_service(model, [*web, *probes], expect=2)
    by_ip = {s.src.ip: s for s in scores if s.src is not None}
    assert by_ip["198.51.100.3"].decision == "ALLOW"
    scan = by_ip["203.0.113.77"]
    assert scan.subject_kind == "network.flow" and scan.model_version == "unit"
    await asyncio.sleep(0.05)
    # 303 flows, but the cache publishes a source again only when it gets worse.
    assert service.counters["subjects"] == 303
    assert service.counters["published"] <= 6
    blocks = [s for s in scores if s.decision == "BLOCK"]
    assert blocks and blocks[0].src is not None and blocks[0].src.ip == "203.0.113.77"
    assert service.counters["blocks"] == 1


async def test_publish_all_gives_one_score_per_subject(model: ScoringModel) -> None:
    flows = [flow("198.51.100.4", t=i) for i in range(20)]
    scores, _ = await run_service(model, flows, expect=20, publish="all")
    assert len(scores) == 20
    assert {s.subject_event_id for s in scores} == {f.event_id for f in flows}


async def test_sessions_are_scored_when_they_close(model: ScoringModel) -> None:
    events = ssh_session("203.0.113.90", failures=12, accepted=False)
    scores, _ = await run_service(model, events, expect=1)
    [s] = scores
    assert s.subject_kind == "session" and s.session_id is not None
    assert s.level == "HIGH" and "head=session" in s.reasons


def test_cache_ttl_and_escalation() -> None:
    now = [0.0]
    cache = VerdictCache(60, 3, clock=lambda: now[0])
    low = Verdict(10, "LOW", "ALLOW", 0.9, 0.0, "benign", 0.9)
    high = Verdict(95, "HIGH", "BLOCK", 0.9, 0.0, "scan", 0.9)
    assert cache.should_publish("a", low)
    cache.put("a", low)
    assert not cache.should_publish("a", low)
    assert cache.should_publish("a", high)  # worse: publish at once
    cache.put("a", high)
    assert not cache.should_publish("a", low)  # better within the TTL: quiet
    now[0] = 61.0
    assert cache.should_publish("a", low)  # expired
    for ip in "bcde":
        cache.put(ip, low)
    assert len(cache) == 3  # bounded


def test_a_model_with_other_features_is_refused_at_start(model: ScoringModel) -> None:
    from phantomnet.errors import ModelError
    from phantomnet.scoring.service import Scorer

    with pytest.raises(ModelError, match="flow features do not match"):
        Scorer(model, ScoringConfig(include_identity=True))
