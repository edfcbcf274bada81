"""The verifier: the configured paths built once, the verdict cache, the per-question history
and each path's health. One per process, shared by the API and the verification component.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import UUID

import httpx

from phantomnet.errors import InvalidInput, UnknownDomain, VerifyBusy
from phantomnet.events import SensorRef, VerificationResult
from phantomnet.verify.answers import Answer, DnsAnswer
from phantomnet.verify.cache import VerdictCache
from phantomnet.verify.config import VerifyConfig
from phantomnet.verify.engine import Verdict, ask_all, fit_detail
from phantomnet.verify.health import PathHealth, health_for
from phantomnet.verify.history import History
from phantomnet.verify.path import Question, VerifyPath, build_path
from phantomnet.verify.target import parse_target

_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}


def weigh(verdict: Verdict, novel: tuple[str, ...]) -> Verdict:
    """A verified attack whose dissenting answer is new and singular is HIGH confidence."""
    confidence = verdict.confidence
    if (
        verdict.verified
        and verdict.attack_detected
        and confidence == "MEDIUM"
        and any(p in verdict.compromised_paths for p in novel)
    ):
        confidence = "HIGH"
    return replace(verdict, novel_paths=novel, confidence=confidence)


def with_asns(asn_of: Callable[[str], str | None]) -> Callable[[Answer], Answer]:
    """An ``enrich`` for the engine: a DNS answer's addresses' networks (OONI: answers that
    differ in address but not in network, as a CDN gives, are consistent)."""

    def enrich(answer: Answer) -> Answer:
        if not isinstance(answer, DnsAnswer) or answer.asns or not answer.addresses:
            return answer
        found = frozenset(a for a in map(asn_of, answer.addresses) if a)
        return replace(answer, asns=found) if found else answer

    return enrich


class Verifier:
    def __init__(
        self, cfg: VerifyConfig, *, asn_of: Callable[[str], str | None] | None = None
    ) -> None:
        """``asn_of``: the network of an address (the composition root hands the offline
        geolocator's); without it DNS answers agree only by address."""
        self.cfg = cfg
        self._enrich = with_asns(asn_of) if asn_of is not None else None
        self.paths: list[VerifyPath] = [build_path(p) for p in cfg.paths]
        self.health: dict[str, PathHealth] = health_for(cfg.paths)
        self.cache = VerdictCache(cfg.cache_ttl_s)
        self.history = History(cfg.history_size) if cfg.history_size else None
        #: questions asked at once, and how many wait for a turn (both bounded)
        self._running = asyncio.Semaphore(cfg.max_running)
        self._waiting = 0

    def paths_for(self, kind: str, limit: int | None = None) -> list[VerifyPath]:
        """The configured paths that answer ``kind`` questions (the first ``limit``)."""
        usable = [p for p in self.paths if kind in p.answers]
        return usable[:limit] if limit else usable

    def can_ask(self, kind: str) -> bool:
        return len(self.paths_for(kind)) >= 2

    async def ask(
        self, question: Question, *, limit: int | None = None, timeout_s: float | None = None
    ) -> Verdict | None:
        """The (cached) verdict on one question; None when fewer than 2 paths can answer."""
        paths = self.paths_for(question.kind, limit)
        if len(paths) < 2:
            return None
        key = VerdictCache.key(question, tuple(p.path_name for p in paths))
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        if self._running.locked() and self._waiting >= self.cfg.max_waiting:
            raise VerifyBusy(
                f"{self.cfg.max_running} verifications are running and {self._waiting} waiting"
            )
        self._waiting += 1
        try:
            await self._running.acquire()
        finally:
            self._waiting -= 1
        try:
            return await self._ask(question, paths, key, timeout_s)
        finally:
            self._running.release()

    async def _ask(
        self, question: Question, paths: list[VerifyPath], key: Any, timeout_s: float | None
    ) -> Verdict:
        verdict = await ask_all(
            question,
            paths,
            timeout_s=timeout_s or self.cfg.timeout_s,
            early_stop=self.cfg.early_stop,
            diversity=(
                (self.cfg.diversity_label, self.cfg.min_diversity)
                if self.cfg.diversity_label
                else None
            ),
            enrich=self._enrich,
        )
        for name, summary in verdict.per_path.items():
            if name in self.health:
                self.health[name].observe(summary, verdict.timestamp)
        if self.history is not None:
            verdict = weigh(verdict, self.history.novel(question, verdict.answers))
            if verdict.verified:  # only answers a quorum verified become "seen"
                agreed = {p: verdict.answers[p] for p in verdict.agreed_paths}
                self.history.record(question, agreed)
        self.cache.put(key, verdict)
        return verdict

    async def verify(
        self, target: str, *, limit: int | None = None, timeout_s: float | None = None
    ) -> tuple[dict[str, Any], list[Verdict]]:
        """A NAME or URL: its host's addresses through ``dns`` paths, its page through
        ``http`` paths and, for https, its key through ``tls`` paths (each asked only with 2+
        paths of its kind); the combined report and each question's verdict."""
        checked = parse_target(target)
        questions = [Question("http", checked.url)]
        if not checked.is_ip:
            questions.insert(0, Question("dns", checked.host))
        url = httpx.URL(checked.url)
        if url.scheme == "https" and not checked.is_ip:
            # the key the endpoint shows for the name, asked apart from the page
            questions.append(Question("tls", f"{url.host}:{url.port or 443}"))
        if not any(self.can_ask(q.kind) for q in questions):
            raise InvalidInput("at least 2 [[verify.paths]] of one kind (dns or http) are needed")
        verdicts: list[Verdict] = []
        for question in questions:
            verdict = await self.ask(question, limit=limit, timeout_s=timeout_s)
            if verdict is None:
                continue
            if question.kind == "dns" and unknown_domain(verdict):
                raise UnknownDomain(f"unknown domain: no path found an address for {checked.host}")
            verdicts.append(verdict)
        return combine(checked.url, verdicts), verdicts

    def paths_status(self) -> list[dict[str, Any]]:
        return [h.as_dict() for h in self.health.values()]


def unknown_domain(verdict: Verdict) -> bool:
    """The quorum agrees the name has no address at all."""
    if not verdict.verified or verdict.attack_detected:
        return False
    agreed = [verdict.answers.get(p) for p in verdict.agreed_paths]
    return bool(agreed) and all(isinstance(a, DnsAnswer) and not a.addresses for a in agreed)


def combine(url: str, verdicts: list[Verdict]) -> dict[str, Any]:
    """One report: any attack, the weakest confidence, the union of compromised paths."""
    attacks = [v for v in verdicts if v.attack_detected]
    dns = next((v for v in verdicts if v.question.kind == "dns"), None)
    http = next((v for v in verdicts if v.question.kind == "http"), None)
    compromised = sorted({p for v in verdicts for p in v.compromised_paths})
    verified = bool(verdicts) and all(v.verified for v in verdicts)
    attack = bool(attacks)
    return {
        "url": url,
        "attack_detected": attack,
        "confidence": min((v.confidence for v in verdicts), key=_RANK.__getitem__),
        "attack_type": attacks[0].attack_type if attacks else "NONE",
        "outcome": ("confirmed" if attack else "refuted") if verified else "inconclusive",
        "compromised_paths": compromised,
        "verified": verified,
        "verified_ip": dns.as_dict()["verified_ip"] if dns else None,
        "verified_data_hash": http.verified_data_hash if http else None,
        "checks": [v.as_dict() for v in verdicts],
    }


def report_event(
    report: dict[str, Any],
    verdicts: list[Verdict],
    node: str,
    *,
    subject: UUID | None = None,
    rule: str | None = None,
) -> VerificationResult:
    """One ``verification.result`` for a combined report (``method = multipath-url``)."""
    if len(verdicts) == 1:
        return verdicts[0].event(node, subject=subject, rule=rule)
    return VerificationResult(
        sensor=SensorRef(node=node, component="verify"),
        target=report["url"],
        method="multipath-url",
        outcome=report["outcome"],
        detail=fit_detail(report),
        subject_event_id=subject,
        rule=rule,
        attack_detected=report["attack_detected"],
        confidence=report["confidence"],
        paths_checked=sum(v.paths_checked for v in verdicts),
        paths_agreed=sum(len(v.agreed_paths) for v in verdicts),
        compromised_paths=tuple(report["compromised_paths"]),
        verified_data_hash=report["verified_data_hash"],
    )
