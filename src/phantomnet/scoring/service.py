"""The scoring service: a bus consumer that scores flows and sessions in micro-batches.

It subscribes (group ``scoring``) to ``network.flow`` and the honeypot sensor kinds, turns
each delivered batch into feature vectors, scores them with ONE model call per head per
batch (never one call per flow, detection-anchors §4.4) and publishes ``score`` events.

Publishing goes through a per-source-IP cache with a TTL (60 s by default): a source gets a
new ``score`` event when it has none in the cache, when its entry expired, or when its level
or decision got worse. So a SYN flood of 100,000 flows gives a handful of score events, and
the first BLOCK for a source is published at once (the response layer acts on it).
``publish = "all"`` publishes one score per subject instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import ModelError
from phantomnet.events import Score, SensorRef
from phantomnet.plugins import Component
from phantomnet.resilience import every, until_done
from phantomnet.scoring.config import ScoringConfig, scoring_config
from phantomnet.scoring.features import FeatureExtractor, Subject
from phantomnet.scoring.models.scorer import ScoringModel, Verdict
from phantomnet.scoring.session_features import SESSION_KINDS
from phantomnet.settings import Settings

log = logging.getLogger(__name__)
CONSUMED = SESSION_KINDS | {"network.flow"}
_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "ALLOW": 0, "ALERT": 1, "BLOCK": 2}


@dataclass(slots=True)
class _Cached:
    at: float
    verdict: Verdict


class VerdictCache:
    """Per-IP last published verdict with a TTL, bounded (least recently used dropped)."""

    def __init__(self, ttl_s: float, max_items: int, clock: Callable[[], float]) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self.clock = clock
        self._items: OrderedDict[str, _Cached] = OrderedDict()

    def get(self, ip: str) -> Verdict | None:
        """The cached verdict of ``ip`` if it has not expired."""
        hit = self._items.get(ip)
        if hit is None or self.clock() - hit.at > self.ttl_s:
            return None
        return hit.verdict

    def put(self, ip: str, verdict: Verdict) -> None:
        self._items[ip] = _Cached(self.clock(), verdict)
        self._items.move_to_end(ip)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def should_publish(self, ip: str, verdict: Verdict) -> bool:
        """True when ``ip`` has no live entry or ``verdict`` is worse than the cached one."""
        cached = self.get(ip)
        if cached is None:
            return True
        return (
            _RANK[verdict.decision] > _RANK[cached.decision]
            or _RANK[verdict.level] > _RANK[cached.level]
        )

    def __len__(self) -> int:
        return len(self._items)


class Scorer:
    """Features + model + cache, without the bus (also used by the API and the bench)."""

    def __init__(
        self,
        model: ScoringModel,
        config: ScoringConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.config = config
        self.extractor = FeatureExtractor(
            context_window_s=config.context_window_s,
            include_identity=config.include_identity,
            session_idle_s=config.session_idle_s,
            max_sessions=config.max_sessions,
            session_context_s=config.session_context_s,
        )
        self.cache = VerdictCache(config.cache_ttl_s, config.cache_max_ips, clock)
        self._check_features()

    def _check_features(self) -> None:
        """Refuse a model whose feature lists differ from what this extractor produces."""
        wanted = {"flow": self.extractor.flows.names, "session": self.extractor.sessions.names}
        for head, names in wanted.items():
            if head in self.model.heads and self.model.features(head) != names:  # type: ignore[arg-type]
                raise ModelError(
                    f"model {self.model.version!r} {head} features do not match this version "
                    f"of PhantomNet (scoring.include_identity? retrain with `phantomnet train`)"
                )

    def score_subjects(self, subjects: list[Subject]) -> list[tuple[Subject, Verdict]]:
        """Score subjects with one model call per head."""
        out: list[tuple[Subject, Verdict]] = []
        for head in ("flow", "session"):
            group = [s for s in subjects if s.head == head]
            if not group or head not in self.model.heads:
                continue
            matrix = np.asarray([s.vector for s in group], dtype=np.float64)
            verdicts = self.model.score(head, matrix)
            out += zip(group, verdicts, strict=True)
        return out

    def to_publish(self, scored: list[tuple[Subject, Verdict]]) -> list[tuple[Subject, Verdict]]:
        """Apply the per-IP cache policy (everything when ``publish = "all"``)."""
        if self.config.publish == "all":
            return scored
        chosen: list[tuple[Subject, Verdict]] = []
        for subject, verdict in scored:
            ip = subject.src.ip if subject.src is not None else "?"
            if self.cache.should_publish(ip, verdict):
                self.cache.put(ip, verdict)
                chosen.append((subject, verdict))
        return chosen


def score_event(subject: Subject, verdict: Verdict, sensor: SensorRef, version: str) -> Score:
    """The ``score`` event for one subject (src/dst/session copied from the subject)."""
    return Score(
        sensor=sensor,
        session_id=subject.session_id,
        src=subject.src,
        dst=subject.dst,
        subject_event_id=subject.subject_event_id,
        subject_kind=subject.subject_kind,
        score=verdict.score,
        level=verdict.level,
        decision=verdict.decision,
        confidence=min(max(verdict.confidence, 0.0), 1.0),
        model_version=version,
        anomaly=verdict.anomaly,
        reasons=(f"head={subject.head}", *verdict.reasons),
    )


class ScoringService(Component):
    """Bus consumer: ``ScoringService(bus, config, node=settings.node)``.

    ``start`` loads and verifies the model (raises ModelError / ArtifactIntegrityError);
    ``run`` consumes until cancelled; ``describe`` reports counters for heartbeats.
    """

    name = "scoring"
    group = "scoring"
    expire_every_s = 5.0

    def __init__(
        self, bus: EventBus, config: ScoringConfig, *, node: str, model: ScoringModel | None = None
    ) -> None:
        self.bus = bus
        self.config = config
        self.sensor = SensorRef(node=node, component=self.name)
        self._model = model
        self.scorer: Scorer | None = None
        self._sub: AsyncIterator[Batch] | None = None
        self.counters = {"events": 0, "subjects": 0, "published": 0, "blocks": 0, "batches": 0}

    async def start(self) -> None:
        """Load and verify the model, then subscribe (so nothing published later is missed)."""
        model = self._model
        if model is None:
            model = await asyncio.to_thread(ScoringModel.load, self.config)
        self.scorer = Scorer(model, self.config)
        self._sub = aiter(
            self.bus.subscribe(self.group, kinds=CONSUMED, batch_size=self.config.batch_size)
        )

    async def stop(self) -> None:
        close = getattr(self._sub, "aclose", None)
        if close is not None:
            await close()

    async def run(self) -> None:
        if self._sub is None:
            await self.start()
        assert self._sub is not None
        expiry = asyncio.create_task(self._expire_loop())
        try:
            async for batch in self._sub:
                subjects: list[Subject] = []
                scorer = self._ready()
                for event in batch.events:
                    subjects += scorer.extractor.observe(event)
                self.counters["events"] += len(batch.events)
                await self._publish(subjects)
                await until_done(batch.ack, health=self.health, what="scoring: ack", log=log)
        finally:
            expiry.cancel()
            await asyncio.gather(expiry, return_exceptions=True)

    def _ready(self) -> Scorer:
        assert self.scorer is not None, "start() loads the model"
        return self.scorer

    async def _publish(self, subjects: list[Subject]) -> None:
        if not subjects:
            return
        scorer = self._ready()
        scored = scorer.score_subjects(subjects)
        chosen = scorer.to_publish(scored)
        events = [score_event(s, v, self.sensor, scorer.model.version) for s, v in chosen]
        self.counters["subjects"] += len(subjects)
        self.counters["batches"] += 1
        self.counters["published"] += len(events)
        self.counters["blocks"] += sum(e.decision == "BLOCK" for e in events)
        if events:
            await until_done(
                partial(self.bus.publish_many, events),
                health=self.health,
                what="scoring: publish",
                log=log,
            )

    async def _expire_loop(self) -> None:
        await every(
            self.expire_every_s,
            lambda: self._publish(self._ready().extractor.expire(time.time())),
            health=self.health,
            what="scoring: session expiry",
            log=log,
        )

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = dict(self.counters)
        if self.scorer is not None:
            info["model_version"] = self.scorer.model.version
            info["cached_ips"] = len(self.scorer.cache)
        return info


def build_scoring(settings: Settings, bus: EventBus) -> list[Component]:
    """The runtime's factory: one ScoringService unless ``scoring.enabled`` is false."""
    config = scoring_config(settings.scoring)
    if not config.enabled:
        return []
    return [ScoringService(bus, config, node=settings.node)]
