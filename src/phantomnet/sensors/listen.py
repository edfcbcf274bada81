"""The one place where a door opens a listening port.

Every door (ssh, http and https, ftp control and passive data, smtp, and any new door)
listens through :func:`bind`; nothing else under ``phantomnet.sensors`` calls
``asyncio.start_server``, ``loop.create_server`` or ``socket.bind``
(``tests/contract/test_listen.py`` checks it). The runtime's API server uses
:func:`open_socket`, the same code without the asyncio server.

Usage, in a sensor's ``start``::

    from phantomnet.sensors.listen import bind, bound_port

    # stream doors: a (reader, writer) coroutine, like asyncio.start_server
    self._server = await bind("sensors.ftp.port", cfg.host, cfg.port, self._on_connect,
                              limit=cfg.max_line_bytes)
    # protocol doors: a protocol factory, like loop.create_server
    self._server = await bind("sensors.smtp.port", cfg.host, cfg.port,
                              protocol=lambda: MyProtocol(self))
    self.bound_port = bound_port(self._server)   # the real port when cfg.port is 0

``what`` names the setting that chose the port: it starts the one-line error an operator
sees, so they know what to change.

Behaviour, the same for every door:

* ``SO_REUSEADDR`` is on (a restarted door rebinds at once while old connections sit in
  TIME_WAIT); ``SO_REUSEPORT`` never is (two processes would silently share a port).
* ``host``: an IPv4 literal binds IPv4, an IPv6 literal binds IPv6 only, ``"::"`` binds
  dual stack (one socket also serves IPv4 peers, seen as ``::ffff:a.b.c.d``, which
  :func:`phantomnet.events.normalise_ip` makes plain IPv4), ``""`` means ``"::"`` when the
  host has IPv6 and ``"0.0.0.0"`` otherwise, an IPv4-mapped IPv6 address binds its IPv4
  address, a name binds the first address it resolves to.
* ``port`` 0 lets the kernel choose; :func:`bound_port` tells which it chose.
* ``backlog`` defaults to 1024 (a honeypot is flooded; the kernel caps it at somaxconn).
* A taken port raises :class:`~phantomnet.errors.PortInUse` with
  ``"<what>: <host>:<port> is already in use"``; any other failure raises
  :class:`~phantomnet.errors.SensorError` with ``"<what>: cannot listen on <host>:<port>: ..."``.
  Both are one line (the CLI prints them without a traceback); the holder of a taken port
  is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from phantomnet.errors import PortInUse, SensorError
from phantomnet.events import normalise_ip

#: A stream door's connection handler, as for ``asyncio.start_server``.
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
#: A protocol door's factory, as for ``loop.create_server``.
ProtocolFactory = Callable[[], asyncio.BaseProtocol]

DEFAULT_BACKLOG = 1024
#: asyncio's own default read limit for stream doors.
DEFAULT_LIMIT = 2**16


def open_socket(
    what: str, host: str, port: int, *, backlog: int = DEFAULT_BACKLOG
) -> socket.socket:
    """A listening, non-blocking TCP socket on ``host``:``port`` (see the module text)."""
    family, address = _address(what, host, port)
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise SensorError(f"{what}: cannot listen on {_show(host, port)}: {_reason(exc)}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            dual = address[0] == "::"
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"{what}: {_show(host, port)} is already in use") from exc
        raise SensorError(f"{what}: cannot listen on {_show(host, port)}: {_reason(exc)}") from exc
    return sock


async def bind(
    what: str,
    host: str,
    port: int,
    on_connect: StreamHandler | None = None,
    *,
    protocol: ProtocolFactory | None = None,
    limit: int = DEFAULT_LIMIT,
    backlog: int = DEFAULT_BACKLOG,
) -> asyncio.Server:
    """Listen on ``host``:``port`` and serve each connection with ``on_connect`` or ``protocol``.

    Give exactly one of ``on_connect`` (stream doors; ``limit`` is the StreamReader's
    buffer limit) or ``protocol`` (protocol doors). The server is already accepting when
    this returns; call ``serve_forever()`` on it or keep it until ``close()``.
    """
    if (on_connect is None) == (protocol is None):
        raise TypeError("bind() takes exactly one of on_connect or protocol=")
    sock = open_socket(what, host, port, backlog=backlog)
    try:
        if on_connect is not None:
            return await asyncio.start_server(on_connect, sock=sock, limit=limit, backlog=backlog)
        assert protocol is not None
        loop = asyncio.get_running_loop()
        return await loop.create_server(protocol, sock=sock, backlog=backlog)
    except BaseException:
        sock.close()
        raise


def bound_port(server: asyncio.Server) -> int:
    """The port ``server`` listens on (the kernel's choice when it was bound to port 0)."""
    sockets = server.sockets
    if not sockets:
        raise SensorError("the server has no listening socket (closed?)")
    return int(sockets[0].getsockname()[1])


def _address(what: str, host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    with contextlib.suppress(ValueError):  # ::ffff:a.b.c.d (a dual-stack peer's address)
        host = normalise_ip(host)
    if host == "":
        host = "::" if socket.has_ipv6 and _ipv6_works() else "0.0.0.0"
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )
    except (OSError, UnicodeError) as exc:
        raise SensorError(f"{what}: cannot listen on {_show(host, port)}: bad host") from exc
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            return socket.AddressFamily(family), tuple(sockaddr)  # IPv6: with its scope id
    raise SensorError(f"{what}: cannot listen on {_show(host, port)}: no IPv4 or IPv6 address")


def _ipv6_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM):
            return True
    except OSError:
        return False


def _show(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    if exc.errno == errno.EACCES:
        text += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
    return text
