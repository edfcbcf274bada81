"""Whether two answers agree, with OONI Web Connectivity's tolerances (no exact hashes).

* DNS: consistent when the address sets intersect, or when both carry ASNs and those
  intersect (a CDN hands different addresses of one network to different vantage points).
* HTTP: consistent when the status codes are equal, the shorter body is more than 70 % of
  the longer (``body_proportion > 0.7``), and the titles share a word (or both have none).
  TLS facts, when both paths have them, must agree too: the same final scheme (one path
  ending on ``http`` while the other ends on ``https`` is SSL stripping) and, when both
  ended on https for the same host, the same leaf SPKI (another key is TLS interception).
* TLS endpoint: consistent when the SPKI sets intersect (like DNS).

:func:`attack_kind` names the disagreement for the verdict's ``attack_type``.
"""

from __future__ import annotations

import re
from typing import Literal

import httpx

from phantomnet.verify.answers import Answer, DnsAnswer, HttpAnswer, PathFailure, TlsAnswer

#: OONI's body-length proportion threshold
BODY_PROPORTION = 0.7
#: title words shorter than this are ignored (OONI: 5 characters)
MIN_TITLE_WORD = 5

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"\w+")


def title_words(body: bytes) -> frozenset[str]:
    """Lower-cased words of at least :data:`MIN_TITLE_WORD` letters in the page's title."""
    match = _TITLE.search(body[:65536])
    if not match:
        return frozenset()
    text = match.group(1).decode("utf-8", "replace").lower()
    return frozenset(w for w in _WORD.findall(text) if len(w) >= MIN_TITLE_WORD)


def body_proportion(a: int, b: int) -> float:
    """``min/max`` of two body lengths; two empty bodies are in proportion 1."""
    if a == b:
        return 1.0
    return min(a, b) / max(a, b)


def dns_consistent(a: DnsAnswer, b: DnsAnswer) -> bool:
    if a.addresses & b.addresses:
        return True
    if a.asns and b.asns and a.asns & b.asns:
        return True
    return not a.addresses and not b.addresses


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


def stripped(a: HttpAnswer, b: HttpAnswer) -> bool:
    """One ended on plain http, the other on https (SSL stripping on one of them)."""
    schemes = {a.final_scheme, b.final_scheme}
    return schemes == {"http", "https"}


def intercepted(a: HttpAnswer, b: HttpAnswer) -> bool:
    """Both ended on https for the same host with different leaf keys."""
    if not (a.spki_sha256 and b.spki_sha256) or a.spki_sha256 == b.spki_sha256:
        return False
    return _host(a.final_url) == _host(b.final_url)


def tls_consistent(a: TlsAnswer, b: TlsAnswer) -> bool:
    return bool(a.spkis & b.spkis) or (not a.spkis and not b.spkis)


def http_consistent(a: HttpAnswer, b: HttpAnswer) -> bool:
    if stripped(a, b) or intercepted(a, b):
        return False
    if a.status != b.status:
        return False
    if body_proportion(a.body_length, b.body_length) <= BODY_PROPORTION:
        return False
    if a.title_words or b.title_words:
        return bool(a.title_words & b.title_words)
    return True


def consistent(a: Answer, b: Answer) -> bool:
    """Whether two answers to the same question agree (different kinds never do)."""
    if isinstance(a, DnsAnswer) and isinstance(b, DnsAnswer):
        return dns_consistent(a, b)
    if isinstance(a, HttpAnswer) and isinstance(b, HttpAnswer):
        return http_consistent(a, b)
    if isinstance(a, TlsAnswer) and isinstance(b, TlsAnswer):
        return tls_consistent(a, b)
    return False


#: the attack type of a disagreement per question kind (HTTP: refined by the TLS facts)
AttackKind = Literal["DNS_HIJACKING", "CONTENT_TAMPERING", "SSL_STRIPPING", "TLS_INTERCEPTION"]
BASE_ATTACK: dict[str, AttackKind] = {
    "dns": "DNS_HIJACKING",
    "http": "CONTENT_TAMPERING",
    "tls": "TLS_INTERCEPTION",
}


def attack_kind(
    kind: str, reference: Answer | PathFailure | None, others: list[Answer | PathFailure]
) -> AttackKind:
    """What the disagreeing answers ``others`` did compared with the ``reference`` answer.

    HTTP: ``SSL_STRIPPING`` when one of them ended on http where the reference ended on
    https, else ``TLS_INTERCEPTION`` when one showed another leaf key, else
    ``CONTENT_TAMPERING``. DNS: ``DNS_HIJACKING``; TLS endpoint: ``TLS_INTERCEPTION``.
    """
    if kind == "http" and isinstance(reference, HttpAnswer):
        answers = [o for o in others if isinstance(o, HttpAnswer)]
        if any(stripped(reference, o) for o in answers):
            return "SSL_STRIPPING"
        if any(intercepted(reference, o) for o in answers):
            return "TLS_INTERCEPTION"
    return BASE_ATTACK.get(kind, "CONTENT_TAMPERING")
