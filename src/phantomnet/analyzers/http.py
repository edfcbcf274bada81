"""HTTP/1.x request and response heads seen in one TCP segment (or a reassembled prefix).

Returns the request line or status line, headers (names lower-cased, at most
``MAX_HEADERS``), the security-relevant ones pulled out (Host, User-Agent, Location,
Set-Cookie with its flags, Strict-Transport-Security) and whatever body bytes followed the
head in the same data (capped), which is enough to see login forms and posted credentials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from phantomnet.analyzers.base import Anomaly

METHODS = frozenset(
    b"GET POST HEAD PUT DELETE OPTIONS PATCH CONNECT TRACE PROPFIND MKCOL COPY MOVE".split()
)
#: First four payload bytes that make a TCP segment worth handing to this parser.
PREFIXES = frozenset(m[:4].ljust(4, b" ") for m in METHODS) | {b"HTTP"}
MAX_HEADERS = 100
MAX_BODY = 8192
MAX_HEAD = 65536
_PASSWORD_FORM = re.compile(rb"type\s*=\s*[\"']?password", re.I)
_PASSWORD_PARAM = re.compile(rb"(?:^|[&?])(?:pass(?:word|wd)?|pwd)=", re.I)


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    raw: str


@dataclass(frozen=True, slots=True)
class HttpMessage:
    is_response: bool
    method: str | None = None
    uri: str | None = None
    version: str = ""
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    complete: bool = False
    cookies: tuple[Cookie, ...] = field(default=())

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (lower-case), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def path(self) -> str:
        return (self.uri or "").split("?", 1)[0]

    @property
    def query(self) -> str:
        parts = (self.uri or "").split("?", 1)
        return parts[1] if len(parts) == 2 else ""

    @property
    def has_password_field(self) -> bool:
        """A login form in a response, or a posted/queried password in a request."""
        if self.is_response:
            return bool(_PASSWORD_FORM.search(self.body))
        return bool(_PASSWORD_PARAM.search(self.body)) or bool(
            _PASSWORD_PARAM.search(self.query.encode("utf-8", "replace"))
        )

    @property
    def has_credentials(self) -> bool:
        return self.has_password_field or (self.header("authorization") or "").lower().startswith(
            "basic "
        )


def looks_like_http(payload: bytes) -> bool:
    return payload[:4] in PREFIXES


def _cookie(value: str) -> Cookie:
    parts = [p.strip() for p in value.split(";")]
    attrs = {p.split("=", 1)[0].strip().lower() for p in parts[1:]}
    return Cookie(parts[0].split("=", 1)[0], "secure" in attrs, "httponly" in attrs, value)


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def parse_http(payload: bytes) -> HttpMessage | Anomaly | None:
    """Parse an HTTP head at the start of ``payload``; None if it is not HTTP."""
    if not looks_like_http(payload):
        return None
    head_end = payload.find(b"\r\n\r\n", 0, MAX_HEAD)
    complete = head_end >= 0
    head = payload[: head_end if complete else MAX_HEAD]
    body = payload[head_end + 4 : head_end + 4 + MAX_BODY] if complete else b""
    lines = head.split(b"\r\n")
    first = lines[0].split(b" ", 2)
    headers: list[tuple[str, str]] = []
    for line in lines[1 : MAX_HEADERS + 1]:
        name, sep, value = line.partition(b":")
        if sep and name and b" " not in name:
            headers.append((_text(name).strip().lower(), _text(value).strip()))
    cookies = tuple(_cookie(v) for k, v in headers if k == "set-cookie")
    if first[0].startswith(b"HTTP/"):
        if len(first) < 2 or not first[1][:3].isdigit():
            return Anomaly("http", "bad_status_line", _text(lines[0][:100]))
        return HttpMessage(
            True,
            version=_text(first[0]),
            status=int(first[1][:3]),
            headers=tuple(headers),
            body=body,
            complete=complete,
            cookies=cookies,
        )
    if first[0] not in METHODS or len(first) < 2:
        return Anomaly("http", "bad_request_line", _text(lines[0][:100]))
    version = _text(first[2]) if len(first) > 2 else ""
    if version and not version.startswith("HTTP/"):
        return Anomaly("http", "bad_request_line", _text(lines[0][:100]))
    return HttpMessage(
        False,
        method=_text(first[0]),
        uri=_text(first[1]),
        version=version,
        headers=tuple(headers),
        body=body,
        complete=complete,
        cookies=cookies,
    )
