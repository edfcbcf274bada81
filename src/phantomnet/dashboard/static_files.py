"""The static-file route of the dashboard (see the package docstring)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

DEFAULT_STATIC_DIR = Path(__file__).parent / "static"

#: First path segments that belong to the API, never to the single-page app.
API_PREFIXES = frozenset({"api", "health", "metrics", "docs", "redoc", "openapi.json"})

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

#: Extensions of real files: a missing one is a 404, not the app (``/attackers/1.2.3.4`` is).
FILE_SUFFIXES = frozenset(
    {
        ".js",
        ".mjs",
        ".css",
        ".map",
        ".png",
        ".svg",
        ".ico",
        ".jpg",
        ".webp",
        ".json",
        ".txt",
        ".woff",
        ".woff2",
        ".wasm",
        ".html",
        ".xml",
        ".webmanifest",
    }
)

NOT_BUILT = """<!doctype html><html><head><meta charset="utf-8"><title>PhantomNet</title></head>
<body style="background:#020617;color:#e2e8f0;font-family:sans-serif;padding:2rem">
<h1>PhantomNet dashboard not built</h1>
<p>Build it with <code>make web</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>).
The API is running: see <a style="color:#22d3ee" href="/docs">/docs</a>.</p></body></html>"""


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class DashboardFiles:
    """Resolve a request path to a response from ``static_dir`` (pure path logic + I/O)."""

    def __init__(self, static_dir: Path) -> None:
        self.root = static_dir.resolve()
        self.index = self.root / "index.html"

    def file_for(self, path: str) -> Path | None:
        """The existing regular file under the root for ``path``, or None (never escapes)."""
        if not path or "\x00" in path:
            return None
        candidate = (self.root / path).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def respond(self, path: str, gzip_ok: bool = False) -> Response:
        """The response for ``GET /<path>``; ``gzip_ok``: the client accepts gzip, so a
        pre-compressed ``<file>.gz`` written by the build is sent when there is one."""
        first = path.split("/", 1)[0]
        if first in API_PREFIXES:
            return _problem(404, "Not Found", f"no API route at /{path}")
        found = self.file_for(path)
        if found is not None:
            return self._file(found, path, gzip_ok)
        if first == "assets" or Path(path).suffix.lower() in FILE_SUFFIXES:
            return _problem(404, "Not Found", f"no file at /{path}")
        if not self.index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": NO_CACHE})
        return FileResponse(self.index, media_type="text/html", headers={"Cache-Control": NO_CACHE})

    def _file(self, found: Path, path: str, gzip_ok: bool) -> Response:
        headers = {"Cache-Control": IMMUTABLE if path.startswith("assets/") else NO_CACHE}
        media = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        packed = found.with_name(found.name + ".gz")
        if packed.is_file():
            headers["Vary"] = "Accept-Encoding"
            if gzip_ok:
                headers["Content-Encoding"] = "gzip"
                return FileResponse(packed, media_type=media, headers=headers)
        return FileResponse(found, media_type=media, headers=headers)


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's Accept-Encoding names gzip (without ``q=0``)."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            for part in value.decode("latin-1").lower().split(","):
                coding, _, params = part.strip().partition(";")
                if coding.strip() in ("gzip", "*") and params.replace(" ", "") != "q=0":
                    return True
    return False


def mount_dashboard(app: FastAPI, static_dir: Path | None = None) -> DashboardFiles:
    """Serve the dashboard from ``app`` for every request no API route matched.

    It becomes the router's fallback (``app.router.default``), so routes added before or
    after this call always win and method mismatches stay 405. ``static_dir`` defaults to the
    package's ``static/`` (the ``npm run build`` output). A missing build is not an error:
    ``/`` then answers 503 with how to build it.
    """
    files = DashboardFiles(static_dir or DEFAULT_STATIC_DIR)

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        path = str(scope["path"]).lstrip("/")
        if scope["method"] in ("GET", "HEAD"):
            response = files.respond(path, accepts_gzip(scope))
        else:
            response = _problem(404, "Not Found", f"no route for {scope['method']} /{path}")
        await response(scope, receive, send)

    app.router.default = fallback
    return files
