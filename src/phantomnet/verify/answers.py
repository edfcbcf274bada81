"""What a path answers: a DNS address set, an HTTP response summary, or a failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DnsAnswer:
    """The A/AAAA addresses one path got for a name (``asns`` when known)."""

    addresses: frozenset[str]
    asns: frozenset[int] = frozenset()


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP response as compared: status, body length, title words, body hash."""

    status: int
    body_length: int
    title_words: frozenset[str]
    body_sha256: str
    #: the final URL's host (after redirects), for the report only
    final_url: str = ""


@dataclass(frozen=True)
class PathFailure:
    """The path did not answer (unreachable, timeout, refused, protocol error)."""

    reason: str


Answer = DnsAnswer | HttpAnswer


@dataclass(frozen=True)
class PathOutcome:
    """One path's result for one question."""

    path: str
    answer: Answer | PathFailure
    labels: dict[str, str] = field(default_factory=dict)
