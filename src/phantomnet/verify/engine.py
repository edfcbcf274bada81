"""Ask every path concurrently, vote, cancel the stragglers once the verdict is settled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from phantomnet.events import SensorRef, VerificationResult
from phantomnet.verify.answers import Answer, DnsAnswer, HttpAnswer, PathFailure, summary
from phantomnet.verify.compare import attack_kind
from phantomnet.verify.path import Question, VerifyPath
from phantomnet.verify.quorum import Confidence
from phantomnet.verify.vote import Vote, answer_hash, count, level, settled, verified_addresses

AttackType = Literal[
    "DNS_HIJACKING", "CONTENT_TAMPERING", "SSL_STRIPPING", "TLS_INTERCEPTION", "NONE"
]


@dataclass(frozen=True)
class Verdict:
    """The result of one question, in the shape the CLI prints and the API will serve."""

    question: Question
    timestamp: datetime
    attack_detected: bool
    confidence: Confidence
    attack_type: AttackType
    verified: bool
    compromised_paths: tuple[str, ...]
    agreed_paths: tuple[str, ...]
    failed_paths: tuple[str, ...]
    cancelled_paths: tuple[str, ...]
    paths_checked: int
    verified_ips: tuple[str, ...] = ()
    verified_data_hash: str | None = None
    per_path: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: each answering path's answer (for the per-question history; not serialised)
    answers: dict[str, Answer] = field(default_factory=dict, compare=False, repr=False)
    #: paths whose answer was never seen before for this question and given by them alone
    novel_paths: tuple[str, ...] = ()
    #: served from the verifier's cache (asked at ``timestamp``)
    cached: bool = False
    #: why a quorum did not verify although enough paths agreed (e.g. too little diversity)
    note: str | None = None

    @property
    def outcome(self) -> Literal["confirmed", "refuted", "inconclusive"]:
        if not self.verified:
            return "inconclusive"
        return "confirmed" if self.attack_detected else "refuted"

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question.kind,
            "target": self.question.target,
            "timestamp": self.timestamp.isoformat(),
            "attack_detected": self.attack_detected,
            "confidence": self.confidence,
            "attack_type": self.attack_type,
            "outcome": self.outcome,
            "compromised_paths": list(self.compromised_paths),
            "agreed_paths": list(self.agreed_paths),
            # the seed's names: the paths that corroborated, and what they verified
            "safe_paths": list(self.agreed_paths),
            "verified_data": list(self.verified_ips) or self.verified_data_hash,
            "failed_paths": list(self.failed_paths),
            "cancelled_paths": list(self.cancelled_paths),
            "paths_checked": self.paths_checked,
            "paths_agreed": len(self.agreed_paths),
            "verified_ip": self.verified_ips[0] if self.verified_ips else None,
            "verified_ips": list(self.verified_ips),
            "verified_data_hash": self.verified_data_hash,
            "paths": self.per_path,
            "novel_paths": list(self.novel_paths),
            "cached": self.cached,
            "note": self.note,
        }

    def row(self) -> dict[str, Any]:
        """The verdict's columns of a ``verification_result`` row (the seed's shape)."""
        return {
            "url": self.question.target,
            "timestamp": self.timestamp,
            "paths_checked": self.paths_checked,
            "paths_agreed": len(self.agreed_paths),
            "attack_detected": self.attack_detected,
            "compromised_paths": list(self.compromised_paths),
            "verified_data_hash": self.verified_data_hash,
        }

    def event(
        self, node: str, *, subject: UUID | None = None, rule: str | None = None
    ) -> VerificationResult:
        """The bus event (``detail`` carries the verdict as JSON; the writer stores it)."""
        return VerificationResult(
            sensor=SensorRef(node=node, component="verify"),
            target=self.question.target,
            method=f"multipath-{self.question.kind}",
            outcome=self.outcome,
            detail=fit_detail(self.as_dict()),
            subject_event_id=subject,
            rule=rule,
            attack_detected=self.attack_detected,
            confidence=self.confidence,
            paths_checked=self.paths_checked,
            paths_agreed=len(self.agreed_paths),
            compromised_paths=self.compromised_paths,
            verified_data_hash=self.verified_data_hash,
        )


#: the event's ``detail`` is attacker text, capped at 4096 characters: keep it valid JSON
DETAIL_MAX = 4000


def _slim(report: dict[str, Any]) -> dict[str, Any]:
    """Every per-path entry reduced to whether it agreed (or why it failed)."""

    def paths(d: dict[str, Any]) -> dict[str, Any]:
        return {
            n: e.get("agrees") if e.get("state") is None else e.get("state")
            for n, e in d.get("paths", {}).items()
        }

    out = dict(report)
    if "paths" in out:
        out["paths"] = paths(out)
    if "checks" in out:
        out["checks"] = [{**c, "paths": paths(c)} for c in out["checks"]]
    return out


def fit_detail(report: dict[str, Any]) -> str:
    """``report`` as compact JSON that fits an event's ``detail``: whole when it fits, else
    with per-path entries slimmed, else without them (always valid JSON)."""
    for candidate in (report, _slim(report)):
        text = json.dumps(candidate, sort_keys=True, separators=(",", ":"), default=str)
        if len(text) <= DETAIL_MAX:
            return text
    keep = ("url", "target", "question", "outcome", "attack_detected", "confidence",
            "compromised_paths", "verified", "verified_ip", "verified_data_hash")  # fmt: skip
    bare = {k: report[k] for k in keep if k in report}
    bare["truncated"] = True
    return json.dumps(bare, sort_keys=True, separators=(",", ":"), default=str)[:DETAIL_MAX]


def _summary(answer: Answer | PathFailure | None) -> dict[str, Any]:
    if answer is None:
        return {"state": "cancelled"}
    if isinstance(answer, PathFailure):
        return {"state": "failed", "reason": answer.reason}
    if isinstance(answer, DnsAnswer):
        return {"addresses": sorted(answer.addresses)}
    if not isinstance(answer, HttpAnswer):
        return summary(answer)
    return summary(answer) | {
        "status": answer.status,
        "body_length": answer.body_length,
        "title_words": sorted(answer.title_words),
        "body_sha256": answer.body_sha256,
    }


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


async def _ask(
    path: VerifyPath, question: Question, latency: dict[str, float], loop: asyncio.AbstractEventLoop
) -> Answer:
    """The path's answer; its latency is recorded for an answer and a failure alike."""
    start = loop.time()
    try:
        answer = await path.ask(question)
    except asyncio.CancelledError:
        raise  # a cancelled straggler has no latency
    except Exception:
        latency[path.path_name] = loop.time() - start
        raise
    latency[path.path_name] = loop.time() - start
    return answer


async def ask_all(
    question: Question,
    paths: Sequence[VerifyPath],
    *,
    timeout_s: float,
    early_stop: bool = True,
    diversity: tuple[str, int] | None = None,
    enrich: Callable[[Answer], Answer] | None = None,
) -> Verdict:
    """Run every path, fail closed on errors and timeouts, and vote.

    ``diversity`` (label, n): the agreeing paths must carry at least ``n`` distinct values of
    that label (CA/B BR 3.2.2.9: corroborating perspectives span 2+ RIRs); short of it
    nothing is verified (a quorum of one provider's vantage points proves little).
    ``enrich`` completes each answer before the vote (the ASNs of DNS addresses).
    """
    total = len(paths)
    outcomes: dict[str, Answer | PathFailure] = {}
    latency: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    tasks = {asyncio.create_task(_ask(p, question, latency, loop)): p.path_name for p in paths}
    pending = set(tasks)
    deadline = loop.time() + timeout_s
    vote = count(outcomes, total)
    try:
        while pending:
            done, pending = await asyncio.wait(
                pending, timeout=max(0.0, deadline - loop.time()), return_when="FIRST_COMPLETED"
            )
            if not done:  # the deadline: every path still pending failed (fail closed)
                for task in pending:
                    outcomes[tasks[task]] = PathFailure(f"no answer within {timeout_s:g}s")
                break
            for task in done:
                exc = task.exception()
                if exc is not None:
                    outcomes[tasks[task]] = PathFailure(_reason(exc))
                else:
                    answer = task.result()
                    outcomes[tasks[task]] = enrich(answer) if enrich is not None else answer
            vote = count(outcomes, total)
            if early_stop and settled(vote, len(pending)):
                break
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
    cancelled = tuple(sorted(tasks[t] for t in pending if tasks[t] not in outcomes))
    vote = count(outcomes, total)
    names = [p.path_name for p in paths]
    verdict = _verdict(question, vote, outcomes, cancelled, names, latency)
    if diversity is not None:
        verdict = diverse(verdict, {p.path_name: p.labels for p in paths}, *diversity)
    return verdict


def diverse(verdict: Verdict, labels: dict[str, dict[str, str]], label: str, least: int) -> Verdict:
    """``verdict`` unverified (LOW) when its agreeing paths span fewer than ``least`` values
    of ``label`` (a path without the label adds no diversity)."""
    if not verdict.verified:
        return verdict
    spread = {labels.get(p, {}).get(label) for p in verdict.agreed_paths} - {None}
    if len(spread) >= least:
        return verdict
    return replace(
        verdict,
        verified=False,
        attack_detected=False,
        attack_type="NONE",
        confidence="LOW",
        compromised_paths=(),
        verified_ips=(),
        verified_data_hash=None,
        note=f"the agreeing paths span {len(spread)} {label}(s); {least} are required",
    )


def _verdict(
    question: Question,
    vote: Vote,
    outcomes: dict[str, Answer | PathFailure],
    cancelled: tuple[str, ...],
    names: list[str],
    latency: dict[str, float] | None = None,
) -> Verdict:
    latency = latency or {}
    met = vote.tally.met
    attack = bool(vote.disagreed)
    reference = outcomes.get(vote.reference) if vote.reference else None
    addresses = verified_addresses(outcomes, vote.agreed) if met else ()
    answer = reference if met and not isinstance(reference, PathFailure) else None
    return Verdict(
        question=question,
        timestamp=datetime.now(UTC),
        attack_detected=attack,
        confidence=level(vote),
        attack_type=(
            attack_kind(question.kind, reference, [outcomes[p] for p in vote.disagreed])
            if attack
            else "NONE"
        ),
        verified=met,
        # without a quorum nobody can be named: the liars may be the majority
        compromised_paths=vote.disagreed if met else (),
        agreed_paths=vote.agreed if met else (),
        failed_paths=vote.failed,
        cancelled_paths=cancelled,
        paths_checked=len(names),
        verified_ips=addresses,
        verified_data_hash=answer_hash(answer, addresses),
        per_path={
            n: {
                **_summary(outcomes.get(n)),
                "agrees": n in vote.agreed if met else None,
                "latency_ms": round(latency[n] * 1000, 1) if n in latency else None,
            }
            for n in names
        },
        answers={n: a for n, a in outcomes.items() if not isinstance(a, PathFailure)},
    )
