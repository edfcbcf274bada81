"""Lab web target that records what clients do as PhantomNet sensor events (JSONL).

Runs only inside the training lab's network namespace. One TCP connection is one session:
``connection.opened``, then ``http.request`` (and ``auth.attempt`` for login form posts),
then ``connection.closed``. It never executes client input: the ``/item`` page only checks
whether ``id`` is digits. Bounded: stops after ``--seconds``.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from phantomnet.events import (
    AuthAttempt,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    HttpRequest,
    SensorRef,
    attacker_text,
)

SENSOR = SensorRef(node="pns-lab", component="http")
LOCK = threading.Lock()
OUT: Any = None

PAGES = {
    f"/page/{i}": (
        f"<html><body><h1>Page {i}</h1>"
        + "<p>lorem ipsum</p>" * (i * 7 + 3)
        + "".join(f'<a href="/page/{j}">p{j}</a>' for j in range(12))
        + "</body></html>"
    ).encode()
    for i in range(12)
}
INDEX = (
    "<html><body><a href='/login'>login</a>"
    + "".join(f'<a href="/page/{i}">p{i}</a> ' for i in range(12))
    + "".join(f'<a href="/static/file{i}.bin">f{i}</a> ' for i in range(4))
    + "</body></html>"
).encode()
STATIC = {
    f"/static/file{i}.bin": bytes((j * 131 + i) % 256 for j in range(2048 * (4**i)))
    for i in range(4)
}
LOGIN = (
    b"<html><form method='post' action='/login'><input name='username'>"
    b"<input type='password' name='password'><input type='submit'></form></html>"
)


def emit(event: Any) -> None:
    with LOCK:
        OUT.write(event.model_dump_json() + "\n")
        OUT.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.24.0"
    sys_version = ""
    timeout = 10

    def setup(self) -> None:
        super().setup()
        self.sid = uuid.uuid4()
        self.t0 = time.monotonic()
        self.bytes_in = 0
        self.bytes_out = 0
        self.src = Endpoint(ip=self.client_address[0], port=self.client_address[1])
        self.dst = Endpoint(ip=self.server.server_address[0], port=self.server.server_address[1])
        emit(
            ConnectionOpened(
                sensor=SENSOR, session_id=self.sid, src=self.src, dst=self.dst, protocol="http"
            )
        )

    def finish(self) -> None:
        super().finish()
        emit(
            ConnectionClosed(
                sensor=SENSOR,
                session_id=self.sid,
                src=self.src,
                dst=self.dst,
                protocol="http",
                duration_s=time.monotonic() - self.t0,
                bytes_in=self.bytes_in,
                bytes_out=self.bytes_out,
            )
        )

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _body(self) -> bytes:
        length = min(int(self.headers.get("Content-Length") or 0), 65536)
        return self.rfile.read(length) if length > 0 else b""

    def _route(self, path: str, query: str, body: bytes) -> tuple[int, bytes]:
        if path == "/":
            return 200, INDEX
        if path in PAGES:
            return 200, PAGES[path]
        if path in STATIC:
            return 200, STATIC[path]
        if path == "/login":
            if self.command == "POST":
                form = parse_qs(body.decode("utf-8", "replace"))
                user = form.get("username", [""])[0]
                pw = form.get("password", [""])[0]
                ok = user == "alice" and pw == "correct-horse"
                emit(
                    AuthAttempt(
                        sensor=SENSOR,
                        session_id=self.sid,
                        src=self.src,
                        dst=self.dst,
                        protocol="http",
                        method="form",
                        username=attacker_text(user),
                        password=attacker_text(pw),
                        accepted=ok,
                    )
                )
                return (302 if ok else 200), (b"welcome" if ok else b"Invalid login" + LOGIN)
            return 200, LOGIN
        if path == "/item":
            item = parse_qs(query).get("id", [""])[0]
            if item.isdigit():
                return 200, f"<html>item {int(item) % 50}: widget</html>".encode()
            return 500, b"<html>database error</html>"
        return 404, b"<html>not found</html>"

    def _handle(self) -> None:
        body = self._body()
        parts = urlsplit(self.path)
        status, payload = self._route(parts.path, parts.query, body)
        self.bytes_in += (
            len(self.requestline)
            + sum(len(k) + len(v) for k, v in self.headers.items())
            + len(body)
        )
        emit(
            HttpRequest(
                sensor=SENSOR,
                session_id=self.sid,
                src=self.src,
                dst=self.dst,
                method=attacker_text(self.command),
                path=attacker_text(parts.path),
                query=attacker_text(parts.query),
                host=attacker_text(self.headers.get("Host", "")),
                headers=tuple(
                    (attacker_text(k), attacker_text(v)) for k, v in list(self.headers.items())[:32]
                ),
                body_excerpt=attacker_text(body[:512]),
                body_size=len(body),
                user_agent=attacker_text(self.headers.get("User-Agent", "")),
                status=status,
            )
        )
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/")
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.bytes_out += len(payload) + 120

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_DELETE = _handle


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    OUT = args.out.open("a", encoding="utf-8")
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    timer = threading.Timer(args.seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.2)
    OUT.close()
    _ = datetime.now(UTC)


if __name__ == "__main__":
    main()
