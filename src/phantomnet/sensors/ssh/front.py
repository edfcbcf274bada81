"""The raw asyncio protocol in front of asyncssh.

It decides per connection, before any SSH byte is sent: refuse (limits), tarpit (held by
:class:`~phantomnet.sensors.ssh.tarpit.Tarpit`), or serve. When serving, it creates the
asyncssh connection and forwards bytes to it, but first reads the client's identification
line itself (to answer a bad one exactly like OpenSSH) and its clear-text KEXINIT (for HASSH).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from phantomnet.analyzers.ssh import KexInit, check_identification, parse_kexinit_packet
from phantomnet.events import ConnectionOpened, Endpoint, EventBase, SessionRequest, attacker_text
from phantomnet.sensors.base import Session, Slot
from phantomnet.sensors.terminal.recording import Recorder

if TYPE_CHECKING:
    import asyncssh

    from phantomnet.sensors.ssh.sensor import SshSensor

Mode = Literal["new", "ident", "kex", "pass", "tarpit", "closed"]
MAX_PREFACE = 64 * 1024


class ConnState:
    """What the front learned about one served connection (read by the asyncssh side)."""

    __slots__ = (
        "client_version",
        "failures",
        "kexinit",
        "post",
        "reason",
        "recorder",
        "session",
        "slot",
        "user",
    )

    def __init__(self, session: Session, post: Callable[[EventBase | None], None]) -> None:
        self.session = session
        #: the sensor's ordered event queue
        self.post = post
        #: the connection's slot (settled at login)
        self.slot: Slot | None = None
        self.client_version: str | None = None
        self.kexinit: KexInit | None = None
        self.failures = 0
        self.user: str | None = None
        #: ``connection.closed.reason``: peer, timeout, limit, shutdown, error
        self.reason = "peer"
        #: one asciicast per connection, shared by its session channels
        self.recorder: Recorder | None = None

    def session_request(self, request: str, target: str = "", accepted: bool = False) -> None:
        """Record a forwarding/agent/X11 request (refused ones too)."""
        self.post(
            self.session.build(
                SessionRequest,
                protocol="ssh",
                request=request,
                target=attacker_text(target, 512),
                accepted=accepted,
            )
        )

    @property
    def recording(self) -> str | None:
        return self.recorder.relative if self.recorder is not None else None

    @property
    def hassh(self) -> str | None:
        return self.kexinit.hassh() if self.kexinit else None


class CoalescingTransport:
    """Gathers the packets asyncssh writes in one loop iteration into one ``send``.

    asyncssh writes every SSH packet separately and each write is a syscall; a login sends
    several packets back to back (KEX reply, NEWKEYS, EXT_INFO...). Also counts bytes out.
    """

    __slots__ = ("_buf", "_loop", "_session", "_t")

    def __init__(self, transport: asyncio.Transport, session: Session) -> None:
        self._t = transport
        self._loop = asyncio.get_running_loop()
        self._buf: list[bytes] = []
        self._session = session

    def write(self, data: bytes) -> None:
        if not self._buf:
            self._loop.call_soon(self._flush)
        self._buf.append(data)
        self._session.bytes_out += len(data)

    def _flush(self) -> None:
        if self._buf and not self._t.is_closing():
            self._t.write(b"".join(self._buf))
        self._buf.clear()

    def abort(self) -> None:
        self._flush()
        self._t.abort()

    def close(self) -> None:
        self._flush()
        self._t.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._t, name)


class FrontProtocol(asyncio.Protocol):
    """One TCP connection to the SSH port."""

    __slots__ = (
        "buf",
        "conn",
        "kex_offset",
        "mode",
        "sensor",
        "session",
        "slot",
        "source",
        "state",
        "timer",
        "transport",
    )

    def __init__(self, sensor: SshSensor) -> None:
        self.sensor = sensor
        self.mode: Mode = "new"
        self.transport: asyncio.Transport | None = None
        self.conn: asyncssh.SSHServerConnection | None = None
        self.session: Session | None = None
        self.state: ConnState | None = None
        self.buf = b""
        self.source = ""
        self.kex_offset = 0
        self.slot: Slot | None = None
        self.timer: asyncio.TimerHandle | None = None

    def evict(self) -> None:
        """A newcomer needed this slot (see :class:`SlotLimiter`): close now."""
        if self.state is not None:
            self.state.reason = "evicted"
        if self.transport is not None:
            self.transport.abort()

    def _ident_expired(self) -> None:
        if self.mode == "ident":
            if self.state is not None:
                self.state.reason = "timeout"
            if self.transport is not None:
                self.transport.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("0.0.0.0", 0)
        local = transport.get_extra_info("sockname") or ("0.0.0.0", 0)
        self.source = peer[0]
        sensor = self.sensor
        src, dst = Endpoint(ip=peer[0], port=peer[1]), Endpoint(ip=local[0], port=local[1])
        if sensor.tarpit_policy.should_hold(peer[0]) and not sensor.tarpit.full():
            self.mode = "tarpit"
            self.session = sensor.open_session(src, dst)
            sensor.post(self.session.build(ConnectionOpened, protocol="ssh"))
            sensor.tarpit.hold(transport)
            return
        self.slot = sensor.limiter.acquire(peer[0], evict=self.evict)
        if self.slot is None:
            self.mode = "closed"
            sensor.refused += 1
            transport.abort()
            return
        # LoginGraceTime for the identification line: a silent socket holds no slot long
        self.timer = asyncio.get_running_loop().call_later(
            sensor.config.ident_timeout_s, self._ident_expired
        )
        self.session = sensor.open_session(src, dst)
        self.state = ConnState(self.session, sensor.post)
        self.state.slot = self.slot
        sensor.active.add(self)
        sensor.post(self.session.build(ConnectionOpened, protocol="ssh"))
        self.mode = "ident"
        self.conn = sensor.new_connection(self.state)
        proxy = CoalescingTransport(transport, self.session)
        self.conn.connection_made(cast(asyncio.Transport, proxy))

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.bytes_in += len(data)
        if self.mode == "pass":
            assert self.conn is not None
            self.conn.data_received(data)
            return
        if self.mode in ("ident", "kex"):
            self._preface(data)

    def _preface(self, data: bytes) -> None:
        """Look at the identification line and the first packet, then forward."""
        assert self.conn is not None and self.state is not None and self.transport is not None
        start = len(self.buf)
        self.buf += data
        if self.mode == "ident":
            ident = check_identification(self.buf)
            if ident.verdict == "incomplete":
                return
            if ident.verdict != "ok":
                self._reject(ident.verdict)
                return
            self.state.client_version = ident.line.decode("ascii", "backslashreplace")
            self.sensor.post_fingerprint(self.state, "ssh_version", self.state.client_version)
            self.mode = "kex"
            self.kex_offset = ident.consumed
            if self.timer is not None:
                self.timer.cancel()
        self.conn.data_received(self.buf[start:])
        status, kex = parse_kexinit_packet(self.buf[self.kex_offset :])
        if status == "incomplete" and len(self.buf) < MAX_PREFACE:
            return
        if kex is not None:
            self.state.kexinit = kex
            self.sensor.post_fingerprint(self.state, "hassh", kex.hassh(), kex.hassh_string())
        self.mode = "pass"
        self.buf = b""

    def shutdown(self) -> None:
        """The sensor is stopping: close this connection now."""
        if self.state is not None:
            self.state.reason = "shutdown"
        if self.transport is not None:
            self.transport.abort()

    def _reject(self, verdict: str) -> None:
        """What OpenSSH 9.2 writes after a bad identification line, then close."""
        assert self.transport is not None
        spec = self.sensor.persona.spec.ssh
        text = (
            spec.major_version_differs
            if verdict == "major_differs"
            else spec.invalid_identification
        )
        if verdict != "too_long":
            self.transport.write(text.encode())
        line = self.buf.split(b"\n", 1)[0][:256]
        if self.state is not None:
            self.sensor.post_fingerprint(self.state, "ssh_version", attacker_text(line, 255))
        self.mode = "closed"
        self.transport.close()

    def eof_received(self) -> bool | None:
        if self.conn is not None and self.mode != "closed":
            self.conn.eof_received()
        return None

    def pause_writing(self) -> None:
        if self.conn is not None:
            self.conn.pause_writing()

    def resume_writing(self) -> None:
        if self.conn is not None:
            self.conn.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        sensor = self.sensor
        if self.mode == "tarpit":
            assert self.transport is not None
            sensor.tarpit.forget(self.transport)
            if self.session is not None:
                sensor.post(self.session.close_event("tarpit"))
            self.mode = "closed"
            return
        if self.conn is not None:
            self.conn.connection_lost(exc)
            self.conn = None
            if self.slot is not None:
                sensor.limiter.release(self.slot)
            if self.timer is not None:
                self.timer.cancel()
            sensor.active.discard(self)
            sensor.finish(self.state)
        self.mode = "closed"
