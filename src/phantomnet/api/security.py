"""Security headers on every response (pure ASGI middleware, so SSE streams pass untouched).

* The dashboard (HTML and its assets): a strict Content-Security-Policy. The built
  ``index.html`` has no inline script or style (Vite emits files), React sets styles through
  the CSSOM (not blocked by ``style-src``), the favicon is a ``data:`` image, and the only
  relaxation is ``'wasm-unsafe-eval'`` for the session player's WebAssembly (no JS eval).
* API answers (JSON, problem+json, SSE): ``default-src 'none'`` (nothing in them may load
  anything). ``/docs`` and ``/redoc`` load Swagger/ReDoc from a CDN with an inline bootstrap
  script, so they only get ``frame-ancestors 'none'``.
* Everything: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DASHBOARD_CSP = "; ".join(
    (
        "default-src 'self'",
        # The session player (asciinema-player) compiles a WebAssembly terminal emulator:
        # 'wasm-unsafe-eval' allows WebAssembly compilation only, not JavaScript eval.
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = "frame-ancestors 'none'"

#: First path segments answered by the API (everything else is the dashboard).
API_SEGMENTS = frozenset({"api", "health", "metrics", "openapi.json"})
DOCS_SEGMENTS = frozenset({"docs", "redoc"})

COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def csp_for(path: str) -> str:
    """The Content-Security-Policy of the response to ``path``."""
    first = path.lstrip("/").split("/", 1)[0]
    if first in API_SEGMENTS:
        return API_CSP
    if first in DOCS_SEGMENTS:
        return DOCS_CSP
    return DASHBOARD_CSP


class SecurityHeadersMiddleware:
    """Adds the headers above unless the response already set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (*COMMON, (b"content-security-policy", csp_for(str(scope["path"])).encode()))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
