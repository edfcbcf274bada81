"""What a path answers: a DNS address set, an HTTP response summary, a TLS endpoint's
certificate, or a failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DnsAnswer:
    """The A/AAAA addresses one path got for a name (``asns``: their networks, when the
    verifier was given a lookup; AS numbers or names, compared as text)."""

    addresses: frozenset[str]
    asns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CertLink:
    """One certificate of a chain as sent by the peer (RFC 4514 names)."""

    subject: str
    issuer: str


@dataclass(frozen=True)
class Redirect:
    """One hop of a redirect chain: the URL asked and the status it answered."""

    url: str
    status: int


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP response as compared: status, body length, title words, body hash."""

    status: int
    body_length: int
    title_words: frozenset[str]
    body_sha256: str
    #: the final URL's host (after redirects), for the report only
    final_url: str = ""
    #: the final URL's scheme ("http" after an SSL stripping, "https" normally)
    final_scheme: str = ""
    #: every redirect answered on the way (URL asked, status)
    redirects: tuple[Redirect, ...] = ()
    #: the final answer's Strict-Transport-Security max-age (None: no valid header)
    hsts_max_age: int | None = None
    #: the final https hop's leaf SPKI SHA-256 (empty over plain http)
    spki_sha256: str = ""
    chain: tuple[CertLink, ...] = ()


@dataclass(frozen=True)
class TlsAnswer:
    """The leaf SPKI SHA-256 a path saw at a TLS endpoint (a set: one per connection)."""

    spkis: frozenset[str]
    chain: tuple[CertLink, ...] = ()
    #: whether the chain verified against the path's roots (``verify`` off: None)
    trusted: bool | None = None


@dataclass(frozen=True)
class PathFailure:
    """The path did not answer (unreachable, timeout, refused, protocol error)."""

    reason: str


Answer = DnsAnswer | HttpAnswer | TlsAnswer


@dataclass(frozen=True)
class PathOutcome:
    """One path's result for one question."""

    path: str
    answer: Answer | PathFailure
    labels: dict[str, str] = field(default_factory=dict)


def summary(answer: Answer) -> dict[str, object]:
    """The TLS part of an answer as reported per path (empty for a DNS answer)."""
    if isinstance(answer, TlsAnswer):
        return {
            "spki_sha256": sorted(answer.spkis),
            "chain": [vars(c) for c in answer.chain],
            "trusted": answer.trusted,
        }
    if isinstance(answer, HttpAnswer) and answer.final_scheme:
        return {
            "final_scheme": answer.final_scheme,
            "final_url": answer.final_url,
            "redirects": [vars(r) for r in answer.redirects],
            "hsts_max_age": answer.hsts_max_age,
            "spki_sha256": answer.spki_sha256 or None,
            "chain": [vars(c) for c in answer.chain],
        }
    return {}
