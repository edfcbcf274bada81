"""What may be verified: a DNS name or an ``http(s)://`` URL, checked before any path is asked.

Refused with :class:`~phantomnet.errors.InvalidInput` (one sentence each, an API problem
response): URLs with credentials (``user:pass@``: a verification never sends the user's
credentials), schemes other than http/https, internationalised names (non-ASCII or ``xn--``
labels: a homograph is exactly what an attacker would hand us), names longer than 253
characters or with a label longer than 63, and anything else that is not a host name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import httpx

from phantomnet.errors import InvalidInput

MAX_NAME = 253
MAX_LABEL = 63
MAX_URL = 2048
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Target:
    """A checked target: the host to resolve (None for an IP literal) and the URL to fetch."""

    host: str
    url: str
    is_ip: bool


def check_name(name: str) -> str:
    """A lower-cased, dot-trimmed ASCII host name, or InvalidInput saying what is wrong."""
    if len(name) > MAX_NAME + 1:
        raise InvalidInput(f"name too long: {len(name)} characters (at most {MAX_NAME})")
    if not name.isascii():
        raise InvalidInput("internationalised (non-ASCII) names are not verified")
    host = name.lower().removesuffix(".")
    if not host:
        raise InvalidInput("empty name")
    if len(host) > MAX_NAME:
        raise InvalidInput(f"name too long: {len(host)} characters (at most {MAX_NAME})")
    labels = host.split(".")
    for label in labels:
        if len(label) > MAX_LABEL:
            raise InvalidInput(f"label too long: {len(label)} characters (at most {MAX_LABEL})")
        if label.startswith("xn--"):
            raise InvalidInput("internationalised (xn--) names are not verified")
        if not _LABEL.match(label):
            raise InvalidInput(f"not a host name: bad label {label[:MAX_LABEL]!r}")
    if len(labels) < 2:
        raise InvalidInput(f"not a fully qualified name: {host!r}")
    if labels[-1].isdigit():  # 192.0.2.1 is an address, not a name (no TLD is all digits)
        raise InvalidInput(f"an address, not a name: {host!r}")
    return host


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_target(value: str) -> Target:
    """A NAME (verified as ``https://NAME/``) or an http(s) URL; see the module docstring."""
    value = value.strip()
    if not value:
        raise InvalidInput("empty target")
    if len(value) > MAX_URL:
        raise InvalidInput(f"target too long: {len(value)} characters (at most {MAX_URL})")
    scheme = _SCHEME.match(value)
    if scheme is None and "/" not in value and "@" not in value:
        if _ip(value):
            raise InvalidInput("an address is verified as a URL (http://ADDRESS/)")
        host = check_name(value)
        return Target(host=host, url=f"https://{host}/", is_ip=False)
    if scheme is None or scheme.group(1).lower() not in ("http", "https"):
        found = scheme.group(1).lower() if scheme else "none"
        raise InvalidInput(f"only http:// and https:// URLs are verified (scheme: {found[:16]})")
    if not value.isascii():
        raise InvalidInput("internationalised (non-ASCII) URLs are not verified")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"not a URL: {exc}") from exc
    if url.userinfo:
        raise InvalidInput("URLs with credentials are refused: a verification never sends them")
    if not url.host:
        raise InvalidInput("the URL has no host")
    if _ip(url.host):
        return Target(host=url.host, url=str(url), is_ip=True)
    host = check_name(url.host)
    return Target(host=host, url=str(url), is_ip=False)
