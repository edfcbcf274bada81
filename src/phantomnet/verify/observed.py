"""What the local network said, judged against what the independent paths verified.

A ``dns_spoof`` detection carries the answers the monitor saw on the wire
(``Detection.observed``: one address set per answer). The vote over the configured paths says
what the name really resolves to; the wire is then one more, local, path: an observed answer
that shares no address with the verified set is a lie told on the local network, and the
verdict is an attack (``DNS_HIJACKING``) naming the path ``observed-on-wire``. When every
observed answer overlaps the verified set (a round-robin or CDN answer), the suspicion is
refuted. Without a quorum nothing is judged: the verdict stays inconclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from phantomnet.verify.engine import Verdict

OBSERVED_PATH = "observed-on-wire"


def judge_observed(verdict: Verdict, observed: Sequence[Sequence[str]]) -> Verdict:
    """``verdict`` with the wire's answers compared to its verified addresses."""
    seen = [frozenset(answer) for answer in observed if answer]
    if not seen:
        return verdict
    verified = frozenset(verdict.verified_ips)
    if not verdict.verified or not verified:
        unjudged = {"state": "observed", "addresses": sorted(frozenset().union(*seen))}
        return replace(verdict, per_path={**verdict.per_path, OBSERVED_PATH: unjudged})
    lies = [answer for answer in seen if not answer & verified]
    entry: dict[str, Any] = {
        "state": "observed",
        "addresses": sorted(frozenset().union(*(lies or seen))),
        "agrees": not lies,
    }
    per_path = {**verdict.per_path, OBSERVED_PATH: entry}
    if not lies:
        return replace(verdict, per_path=per_path)
    return replace(
        verdict,
        attack_detected=True,
        attack_type="DNS_HIJACKING",
        compromised_paths=(*verdict.compromised_paths, OBSERVED_PATH),
        per_path=per_path,
    )
