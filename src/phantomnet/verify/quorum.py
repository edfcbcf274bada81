"""The CA/B Forum BR 3.2.2.9 quorum, made fail-closed and majority-safe.

With 2 to 5 paths one may fail to corroborate, with 6 or more two may. A path that did not
answer counts as not corroborating (fail closed). PhantomNet also requires a strict
majority, so two paths that disagree never "verify" either answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["HIGH", "MEDIUM", "LOW"]


def allowed_disagreements(total: int) -> int:
    """How many of ``total`` paths may fail to corroborate (0 below 2 paths)."""
    if total < 2:
        return 0
    return 1 if total <= 5 else 2


def quorum_met(agreed: int, total: int) -> bool:
    """``agreed`` corroborating paths out of ``total`` configured ones are enough."""
    if total < 2 or agreed < 1:
        return False
    others = total - agreed
    return others <= allowed_disagreements(total) and agreed > others


@dataclass(frozen=True)
class Tally:
    """The counts a verdict is made of."""

    total: int
    agreed: int
    disagreed: int
    failed: int

    @property
    def met(self) -> bool:
        return quorum_met(self.agreed, self.total)

    @property
    def margin(self) -> int:
        """Corroborating paths minus every other path."""
        return self.agreed - (self.total - self.agreed)


def confidence(tally: Tally) -> Confidence:
    """HIGH: quorum with a margin of 2+ (or unanimous); MEDIUM: quorum; LOW: no quorum."""
    if not tally.met:
        return "LOW"
    if tally.agreed == tally.total or tally.margin >= 2:
        return "HIGH"
    return "MEDIUM"
