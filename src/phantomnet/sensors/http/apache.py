"""What Apache 2.4 on Debian sends: header order, error pages, dates and ETags.

Responses are built here only, so every door of the web sensor (decoys, errors, uploads)
looks like the same server: ``Date`` then ``Server`` first, entity headers, then
``Content-Length``, ``Vary``, the keep-alive pair and ``Content-Type`` last, as httpd does.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from email.utils import formatdate

REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 413: "Request Entity Too Large",
    500: "Internal Server Error",
}  # fmt: skip

ERROR_TEXT = {
    400: "<p>Your browser sent a request that this server could not understand.<br />\n</p>",
    401: (
        "<p>This server could not verify that you\nare authorized to access the document\n"
        "requested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\n"
        "browser doesn't understand how to supply\nthe credentials required.</p>"
    ),
    403: "<p>You don't have permission to access this resource.</p>",
    404: "<p>The requested URL was not found on this server.</p>",
    405: "<p>The requested method {method} is not allowed for this URL.</p>",
    408: "<p>Server timeout waiting for the HTTP request from the client.</p>",
    413: (
        "The requested resource does not allow request data with {method} requests, or the "
        "amount of data provided in the request exceeds the capacity limit."
    ),
    500: (
        "<p>The server encountered an internal error or\nmisconfiguration and was unable to "
        "complete\nyour request.</p>"
    ),
}

HTML = "text/html; charset=UTF-8"
PHP_NOCACHE = (
    ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
    ("Cache-Control", "no-store, no-cache, must-revalidate"),
    ("Pragma", "no-cache"),
)


@dataclass
class Response:
    """A response before Apache's framing headers are added."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    vary: bool = True
    delay_s: float = 0.0
    tags: tuple[str, ...] = ()
    #: network URLs the request made the "server" try to load (XXE, pingback): never fetched
    outbound: tuple[str, ...] = ()


def http_date(ts: float | None = None) -> str:
    return formatdate(ts, usegmt=True)


def etag(body: bytes, mtime: float) -> str:
    """httpd's default ETag shape: ``"<size hex>-<mtime usec hex>"``."""
    return f'"{len(body):x}-{int(mtime * 1_000_000):x}"'


def static(body: bytes, mtime: float, content_type: str) -> Response:
    """A file Apache serves itself (Last-Modified, ETag, Accept-Ranges)."""
    headers = [("Last-Modified", http_date(mtime)), ("ETag", etag(body, mtime)),
               ("Accept-Ranges", "bytes")]  # fmt: skip
    vary = content_type.startswith(("text/", "application/javascript"))
    return Response(200, body, content_type, headers, vary=vary)


def php(body: str | bytes, status: int = 200, headers: list[tuple[str, str]] | None = None,
        session_cookie: str | None = None) -> Response:  # fmt: skip
    """A page produced by mod_php (session cookie and no-cache headers when sessions are on)."""
    extra: list[tuple[str, str]] = []
    if session_cookie:
        extra.append(("Set-Cookie", f"PHPSESSID={session_cookie}; path=/"))
        extra += PHP_NOCACHE
    extra += headers or []
    data = body.encode() if isinstance(body, str) else body
    return Response(status, data, HTML, extra)


def error_page(status: int, *, server: str, host: str, port: int, method: str = "GET") -> Response:
    reason = REASONS.get(status, "Error")
    text = ERROR_TEXT.get(status, "").format(method=html.escape(method))
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {reason}</title>\n</head><body>\n<h1>{reason}</h1>\n{text}\n"
        f"<hr>\n<address>{server} Server at {html.escape(host)} Port {port}</address>\n"
        "</body></html>\n"
    )
    headers = [("Allow", "GET,POST,OPTIONS,HEAD")] if status == 405 else []
    return Response(status, body.encode(), "text/html; charset=iso-8859-1", headers, vary=False)


def frame(
    resp: Response, *, server: str, keep_alive: bool, head: bool = False, left: int = 99
) -> list[tuple[str, str]]:
    """The full header list in httpd's order (``left``: further requests this connection may
    make, which httpd counts down in ``Keep-Alive: max=``)."""
    headers = [("Date", http_date()), ("Server", server), *resp.headers]
    headers.append(("Content-Length", str(len(resp.body))))
    if resp.vary and resp.body:
        headers.append(("Vary", "Accept-Encoding"))
    if keep_alive:
        headers += [("Keep-Alive", f"timeout=5, max={left}"), ("Connection", "Keep-Alive")]
    else:
        headers.append(("Connection", "close"))
    if resp.content_type and (resp.body or head):
        headers.append(("Content-Type", resp.content_type))
    return headers


def session_id(seed: str) -> str:
    """A PHP-looking session id (26 chars of [a-v0-9]), stable per client for a while."""
    digest = hashlib.sha256(seed.encode()).digest()
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(alphabet[b % 32] for b in digest[:26])
