"""Derived facts: detections, scores, verification results."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from phantomnet.events.base import (
    AttackerText,
    Decision,
    Endpoint,
    EventBase,
    Level,
    Severity,
    UtcDatetime,
)

#: one observed value (an address), short and printable
ObservedValue = Annotated[str, Field(max_length=64, pattern=r"^[0-9A-Za-z.:]+$")]


class Detection(EventBase):
    """A detector's finding. ``src`` is the attacker, ``target`` what it went after.

    ``evidence`` holds event ids (``event:<uuid>``) or packet numbers (``packet:<n>``).
    """

    kind: Literal["detection"] = "detection"
    rule: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    severity: Severity
    protocol: str | None = Field(default=None, max_length=32)
    target: Endpoint | None = None
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    count: int = Field(ge=1)
    summary: AttackerText
    evidence: tuple[str, ...] = ()
    detector: str = Field(max_length=64)
    #: the name or host the finding is about (a spoofed query name, a stripped host):
    #: what multi-path verification asks about; None when the finding names none
    subject: AttackerText | None = None
    #: what was answered on the wire (``dns_spoof``: each answer's address set, at most 8 of
    #: 32): verification compares it with what the independent paths verified
    observed: tuple[tuple[ObservedValue, ...], ...] = Field(default=(), max_length=8)


class Score(EventBase):
    """A threat score for one event, flow or session (``subject_event_id``)."""

    kind: Literal["score"] = "score"
    subject_event_id: UUID | None = None
    subject_kind: str = Field(max_length=32)
    score: float = Field(ge=0, le=100)
    level: Level
    decision: Decision
    confidence: float = Field(ge=0, le=1)
    model_version: str = Field(max_length=64)
    anomaly: float | None = None
    reasons: tuple[str, ...] = ()


class VerificationResult(EventBase):
    """The outcome of checking a suspicion from another vantage point."""

    kind: Literal["verification.result"] = "verification.result"
    target: AttackerText
    method: str = Field(max_length=32)
    outcome: Literal["confirmed", "refuted", "inconclusive"]
    detail: AttackerText = ""
    #: the detection this verification was asked for (None: asked by hand)
    subject_event_id: UUID | None = None
    #: that detection's rule
    rule: str | None = Field(default=None, max_length=64)
    attack_detected: bool | None = None
    confidence: Literal["HIGH", "MEDIUM", "LOW"] | None = None
    paths_checked: int | None = Field(default=None, ge=0)
    paths_agreed: int | None = Field(default=None, ge=0)
    compromised_paths: tuple[str, ...] = ()
    verified_data_hash: str | None = Field(default=None, max_length=64)
