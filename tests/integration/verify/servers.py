"""Real servers for the verify tests: dnsmasq resolvers, HTTP servers, danted, privoxy.

Each runs in the foreground on a free loopback port and is stopped by its own PID. Readiness
is a line the daemon prints once its socket is bound (or a connect for the HTTP server),
never a sleep.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import unavailable

STARTUP_S = 60.0


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (dnsmasq binds both)."""
    for _ in range(50):
        with socket.socket() as t:
            t.bind(("127.0.0.1", 0))
            port: int = t.getsockname()[1]
            with socket.socket(type=socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def need(binary: str) -> str:
    path = shutil.which(binary) or shutil.which(f"/usr/sbin/{binary}")
    if path is None:
        unavailable(f"{binary} is not installed")  # skip locally, fail under CI
        raise AssertionError("unreachable")
    return path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STARTUP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_line(proc: subprocess.Popen[bytes], marker: bytes) -> None:
    """Read the daemon's output until ``marker`` (it is bound then) or its exit."""
    assert proc.stdout is not None
    seen = b""
    for line in proc.stdout:
        seen += line
        if marker in line:
            # keep draining so the daemon never blocks on a full pipe
            threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()
            return
    raise RuntimeError(f"daemon exited before {marker!r}: {seen.decode(errors='replace')}")


@contextmanager
def dnsmasq(
    tmp: Path, address: str, name: str = "example.test", nxdomain: str = "nx.example.test"
) -> Iterator[str]:
    """A resolver answering ``name`` with ``address`` and NXDOMAIN for ``nxdomain``;
    yields ``127.0.0.1:port``."""
    binary = need("dnsmasq")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--no-daemon",
            "--keep-in-foreground",
            "--log-facility=-",
            f"--port={port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            f"--address=/{nxdomain}/",
            f"--address=/{name}/{address}",
            f"--pid-file={tmp / f'dnsmasq-{port}.pid'}",
            "--user=root",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_line(proc, b"started, version")
        yield f"127.0.0.1:{port}"
    finally:
        _stop(proc)


@contextmanager
def black_hole() -> Iterator[str]:
    """A UDP socket that reads queries and never answers (a path that hangs)."""
    with socket.socket(type=socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


def dead_port() -> str:
    """A loopback port nothing listens on (UDP gets ICMP port-unreachable)."""
    return f"127.0.0.1:{free_port()}"


def page(title: str, words: str, repeat: int = 40) -> bytes:
    body = " ".join([words] * repeat)
    return f"<html><head><title>{title}</title></head><body><p>{body}</p></body></html>".encode()


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """``handler`` served by a threading HTTP server on a free loopback port (the port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def http_server(
    body: bytes, status: int = 200, seen: list[dict[str, str]] | None = None
) -> Iterator[int]:
    """A real HTTP/1.1 server on a free loopback port serving ``body`` at every path;
    ``seen`` gets every request's headers (lower-cased names)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if seen is not None:
                seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as port:
        yield port


@contextmanager
def privoxy(tmp: Path, forward_to: int | None = None) -> Iterator[int]:
    """An HTTP proxy (Privoxy) on a free loopback port.

    ``forward_to``: a parent "proxy" port every request is sent to (a path whose upstream
    lies: the test's tampered server answers whatever URL it is asked).
    """
    binary = need("privoxy")
    port = free_port()
    conf = tmp / f"privoxy-{port}.conf"
    lines = [f"listen-address 127.0.0.1:{port}", "debug 1", "toggle 0"]
    if forward_to is not None:
        lines.append(f"forward / 127.0.0.1:{forward_to}")
    conf.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen(
        [binary, "--no-daemon", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_line(proc, b"Listening on port")
        yield port
    finally:
        _stop(proc)


@contextmanager
def forward_proxy(upstream_port: int | None = None) -> Iterator[int]:
    """A plain HTTP forward proxy on loopback (absolute-URI GETs, no CONNECT).

    It does its own resolution: every request goes to 127.0.0.1 at the URL's port, or at
    ``upstream_port`` (a lying proxy: it serves another site's page for every URL). The
    request's headers go upstream unchanged (so a test sees what the verifier sent).
    """
    import http.client
    from urllib.parse import urlsplit

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            port = upstream_port or url.port or 80
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_S)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
                conn.request("GET", url.path or "/", headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            finally:
                conn.close()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.getheader("Content-Type") or "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as port:
        yield port


@contextmanager
def bad_tcp(mode: str) -> Iterator[int]:
    """A TCP server on loopback that misbehaves: ``reset`` (RST on the request), ``garbage``
    (bytes that are not HTTP, then close) or ``hang`` (accepts, reads, never answers)."""
    import struct

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conns.append(conn)
            try:
                conn.recv(65536)
                if mode == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                elif mode == "garbage":
                    conn.sendall(b"\x00\xffNOT-HTTP\r\n\x16\x03\x01garbage\r\n\r\n")
                    conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        for conn in conns:
            conn.close()
