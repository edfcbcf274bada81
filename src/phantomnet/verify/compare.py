"""Whether two answers agree, with OONI Web Connectivity's tolerances (no exact hashes).

* DNS: consistent when the address sets intersect, or when both carry ASNs and those
  intersect (a CDN hands different addresses of one network to different vantage points).
* HTTP: consistent when the status codes are equal, the shorter body is more than 70 % of
  the longer (``body_proportion > 0.7``), and the titles share a word (or both have none).
"""

from __future__ import annotations

import re

from phantomnet.verify.answers import Answer, DnsAnswer, HttpAnswer

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


def http_consistent(a: HttpAnswer, b: HttpAnswer) -> bool:
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
    return False
