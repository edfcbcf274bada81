"""A tiny TCP peer run inside a test namespace (``ip netns exec NS python pnr_peer.py ...``).

``server HOST``: echo server on HOST, port 0; prints the port, serves until stdin closes.
``client HOST PORT``: connects (prints ``connected`` or ``error ...``), then obeys stdin lines:
``ping`` (send, wait 2 s for the echo: ``reply``/``timeout``/``error ...``), ``new`` (try a
fresh connection with a 2 s timeout: ``connected``/``error ...``). Every wait is bounded.
"""

from __future__ import annotations

import socket
import sys
import threading

WAIT_S = 2.0


def _echo(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(60)
        try:
            while data := conn.recv(4096):
                conn.sendall(data)
        except OSError:
            return


def server(host: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    print(sock.getsockname()[1], flush=True)

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()  # until the test closes our stdin


def _connect(host: str, port: int) -> socket.socket | str:
    try:
        return socket.create_connection((host, port), timeout=WAIT_S)
    except OSError as exc:
        return f"error {type(exc).__name__}"


def _ping(sock: socket.socket) -> str:
    try:
        sock.settimeout(WAIT_S)
        sock.sendall(b"ping\n")
        data = sock.recv(64)
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return f"error {type(exc).__name__}"
    return "reply" if data else "closed"


def client(host: str, port: int) -> None:
    sock = _connect(host, port)
    print("connected" if isinstance(sock, socket.socket) else sock, flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "ping":
            print(_ping(sock) if isinstance(sock, socket.socket) else "error none", flush=True)
        elif command == "new":
            fresh = _connect(host, port)
            print("connected" if isinstance(fresh, socket.socket) else fresh, flush=True)
            if isinstance(fresh, socket.socket):
                fresh.close()
        else:
            return


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        client(sys.argv[2], int(sys.argv[3]))
