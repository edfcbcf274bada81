"""The vote over the outcomes of one question (pure: no I/O, easy to test)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from phantomnet.verify.answers import Answer, DnsAnswer, HttpAnswer, PathFailure
from phantomnet.verify.compare import consistent
from phantomnet.verify.quorum import Confidence, Tally, confidence, quorum_met


@dataclass(frozen=True)
class Vote:
    """Who agrees with the best-supported answer, who disagrees, who failed."""

    reference: str | None
    agreed: tuple[str, ...]
    disagreed: tuple[str, ...]
    failed: tuple[str, ...]
    tally: Tally


def count(outcomes: Mapping[str, Answer | PathFailure], total: int) -> Vote:
    """Group the answers around the one most others are consistent with.

    Ties go to the path whose name sorts first (deterministic); a tie never meets the quorum
    anyway because the quorum needs a strict majority of ``total``.
    """
    answered = {p: a for p, a in outcomes.items() if not isinstance(a, PathFailure)}
    failed = tuple(sorted(p for p, a in outcomes.items() if isinstance(a, PathFailure)))
    best: str | None = None
    support: tuple[str, ...] = ()
    for name in sorted(answered):
        mine = tuple(q for q in sorted(answered) if consistent(answered[name], answered[q]))
        if len(mine) > len(support):
            best, support = name, mine
    disagreed = tuple(p for p in sorted(answered) if p not in support)
    tally = Tally(
        total=total, agreed=len(support), disagreed=len(disagreed), failed=total - len(answered)
    )
    return Vote(reference=best, agreed=support, disagreed=disagreed, failed=failed, tally=tally)


def settled(vote: Vote, pending: int) -> bool:
    """Nothing a pending path answers can change the verdict any more.

    A disagreement must already be seen (a straggler could be the one that lies), and the
    quorum must be either met whatever the stragglers say, or out of reach even if every
    straggler agreed with the best answer.
    """
    if pending == 0:
        return True
    if not vote.disagreed:
        return False
    total = vote.tally.total
    if quorum_met(vote.tally.agreed, total):
        return True
    # consistency is not transitive: a straggler's answer may agree with two groups that
    # disagree with each other (DNS address sets {a}, {b} and {a, b}), so every path that
    # answered may still end up corroborating; only failures are out of the count for good
    best_possible = vote.tally.agreed + vote.tally.disagreed + pending
    return not quorum_met(best_possible, total)


def verified_addresses(
    outcomes: Mapping[str, Answer | PathFailure], agreed: tuple[str, ...]
) -> tuple[str, ...]:
    """Addresses every agreeing path returned (else the union of theirs), sorted."""
    sets = [a.addresses for p in agreed if isinstance(a := outcomes[p], DnsAnswer)]
    if not sets:
        return ()
    common = frozenset.intersection(*sets)
    return tuple(sorted(common or frozenset.union(*sets)))


def answer_hash(answer: Answer | None, addresses: tuple[str, ...] = ()) -> str | None:
    """The reference body's SHA-256 (HTTP) or the verified address set's (DNS)."""
    if isinstance(answer, HttpAnswer):
        return answer.body_sha256
    if isinstance(answer, DnsAnswer) and addresses:
        return hashlib.sha256("\n".join(addresses).encode()).hexdigest()
    return None


def level(vote: Vote) -> Confidence:
    return confidence(vote.tally)
