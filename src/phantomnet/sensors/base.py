"""What every sensor shares: its config, its context, sessions with bound identity, limits.

A concrete sensor implements only the conversation. Identity fields (sensor, session id,
source, destination) are bound by :class:`Session`; protocol code cannot pass them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from phantomnet.bus.base import EventBus
from phantomnet.events import (
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    EventBase,
    SensorRef,
)
from phantomnet.plugins import Component

E = TypeVar("E", bound=EventBase)
log = logging.getLogger(__name__)

#: After aborting the sessions left at the drain deadline, how long they get to record it.
ABORT_GRACE_S = 2.0


class SensorConfig(BaseModel):
    """Settings every sensor has; a sensor's ``Config`` subclasses this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)
    max_sessions: int = Field(default=512, ge=1)
    max_per_source: int = Field(default=32, ge=1)
    #: slots one /24 (IPv6: /64) may hold; 0 means a quarter of ``max_sessions``
    max_per_net: int = Field(default=0, ge=0)
    idle_timeout_s: float = Field(default=300, gt=0)
    session_timeout_s: float = Field(default=3600, gt=0)
    max_line_bytes: int = Field(default=8192, ge=64)
    #: On stop: how long in-flight sessions may take to finish before they are closed.
    drain_timeout_s: float = Field(default=5.0, ge=0)


@dataclass
class SensorContext:
    """What the runtime hands a sensor: where to publish, where to write, shared state."""

    node: str
    bus: EventBus
    data_dir: Path
    shared: dict[str, Any] = field(default_factory=dict)

    def ref(self, component: str) -> SensorRef:
        return SensorRef(node=self.node, component=component)

    def shared_object(self, key: str, factory: Callable[[], Any]) -> Any:
        """A process-wide object shared by sensors (e.g. the fake host), built once."""
        if key not in self.shared:
            self.shared[key] = factory()
        return self.shared[key]

    async def emit(self, component: str, kind: type[E], **fields: Any) -> E:
        """Publish a component-level event (no session)."""
        event = kind(sensor=self.ref(component), **fields)
        await self.bus.publish(event)  # type: ignore[arg-type]
        return event


class Session:
    """One client connection; emits events with its identity bound."""

    def __init__(
        self,
        ctx: SensorContext,
        component: str,
        protocol: str,
        src: Endpoint,
        dst: Endpoint | None,
    ) -> None:
        self.ctx = ctx
        self.id: UUID = uuid4()
        self.sensor = ctx.ref(component)
        self.protocol = protocol
        self.src = src
        self.dst = dst
        self.started = time.monotonic()
        self.bytes_in = 0
        self.bytes_out = 0
        self.closed = False
        #: set by the door: ``connection.closed.reason`` when the conversation ended normally
        #: (e.g. ``limit`` after too many logins), and the recording's path
        self.reason: str | None = None
        self.recording: str | None = None

    def build(self, kind: type[E], **fields: Any) -> E:
        """Build ``kind`` with this session's identity, without publishing it (for protocol
        callbacks that cannot await; the sensor queues the event)."""
        return kind(sensor=self.sensor, session_id=self.id, src=self.src, dst=self.dst, **fields)

    async def emit(self, kind: type[E], **fields: Any) -> E:
        """Build and publish ``kind`` with this session's identity."""
        event = self.build(kind, **fields)
        await self.ctx.bus.publish(event)  # type: ignore[arg-type]
        return event

    async def open(self) -> None:
        await self.emit(ConnectionOpened, protocol=self.protocol)

    async def close(self, reason: str = "peer", recording: str | None = None) -> None:
        event = self.close_event(reason, recording)
        if event is not None:
            await self.ctx.bus.publish(event)

    def close_event(
        self, reason: str = "peer", recording: str | None = None
    ) -> ConnectionClosed | None:
        """Mark the session closed and build its ``connection.closed`` (None if already closed)."""
        if self.closed:
            return None
        self.closed = True
        return self.build(
            ConnectionClosed,
            protocol=self.protocol,
            reason=reason,
            duration_s=round(time.monotonic() - self.started, 3),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            recording=recording,
        )


def network_of(ip: str) -> str:
    """The block a source belongs to for fairness: its /24 (IPv4) or /64 (IPv6)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


class Slot:
    """One held connection slot. ``evict`` closes the connection when a newcomer needs the
    slot; ``settled`` (e.g. logged in) makes it a last-resort victim only."""

    __slots__ = ("evict", "net", "released", "settled", "source", "started")

    def __init__(self, source: str, net: str, evict: Callable[[], None] | None) -> None:
        self.source = source
        self.net = net
        self.evict = evict
        self.started = time.monotonic()
        self.settled = False
        self.released = False


class SlotLimiter:
    """Connection slots shared fairly: caps per source and per /24 (/64), and a full door
    still admits a new source by evicting the oldest unsettled connection of the heaviest
    network (no lock needed: one event loop).

    A network holding more than its fair share is the victim: when the door is full, the
    newcomer's network must hold fewer slots than the heaviest one, which loses its oldest
    pre-auth/idle connection. So 640 silent sockets from 20 addresses cannot keep out a
    21st address, and one /24 cannot take more than ``max_per_net``."""

    def __init__(self, max_sessions: int, max_per_source: int, max_per_net: int = 0) -> None:
        self.max_sessions = max_sessions
        self.max_per_source = max_per_source
        self.max_per_net = max_per_net or max(max_per_source, max_sessions // 4)
        self.per_source: Counter[str] = Counter()
        self._idle = asyncio.Event()
        self._idle.set()
        self.per_net: Counter[str] = Counter()
        self._slots: dict[str, list[Slot]] = {}
        self.evicted = 0

    @property
    def active(self) -> int:
        return sum(self.per_net.values())

    def acquire(self, source: str, evict: Callable[[], None] | None = None) -> Slot | None:
        """A slot for ``source`` or None (refuse the connection)."""
        net = network_of(source)
        if self.per_source[source] >= self.max_per_source:
            return None
        if self.per_net[net] >= self.max_per_net:
            return None
        if self.active >= self.max_sessions:
            victim = self._victim(net)
            if victim is None:
                return None
            self._drop(victim)
            self.evicted += 1
            if victim.evict is not None:
                victim.evict()
        slot = Slot(source, net, evict)
        self.per_source[source] += 1
        self.per_net[net] += 1
        self._slots.setdefault(net, []).append(slot)
        self._idle.clear()
        return slot

    def _victim(self, net: str) -> Slot | None:
        heaviest = max(self.per_net, key=lambda n: self.per_net[n], default=None)
        if heaviest is None or self.per_net[heaviest] <= self.per_net[net] + 1:
            return None  # the newcomer's network is already as heavy: no one to take from
        slots = [s for s in self._slots.get(heaviest, []) if s.evict is not None]
        if not slots:
            return None
        unsettled = [s for s in slots if not s.settled]
        return min(unsettled or slots, key=lambda s: s.started)

    def _drop(self, slot: Slot) -> None:
        if slot.released:
            return
        slot.released = True
        self.per_source[slot.source] -= 1
        if self.per_source[slot.source] <= 0:
            del self.per_source[slot.source]
        self.per_net[slot.net] -= 1
        if self.per_net[slot.net] <= 0:
            del self.per_net[slot.net]
        held = self._slots.get(slot.net, [])
        if slot in held:
            held.remove(slot)
        if not held:
            self._slots.pop(slot.net, None)
        if not self.per_net:
            self._idle.set()

    def release(self, slot: Slot | str) -> None:
        """Give a slot back (idempotent; an evicted slot is already back). A source string
        releases that source's newest slot (callers that kept no :class:`Slot`)."""
        if isinstance(slot, str):
            held = [s for s in self._slots.get(network_of(slot), []) if s.source == slot]
            if not held:
                return
            slot = held[-1]
        self._drop(slot)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for every slot to be released; whether they were."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        return self._idle.is_set()


class Sensor(Component):
    """A honeypot service registered under ``phantomnet.sensors``."""

    name: ClassVar[str] = "sensor"
    protocol: ClassVar[str] = "other"
    Config: ClassVar[type[SensorConfig]] = SensorConfig
    #: The monitor's wire ``brute_force`` counts connections to this door's ports (a login
    #: service: one connection, a few guesses). False for HTTP, which is judged per request.
    wire_logins: ClassVar[bool] = False
    #: The protocol's standard ports, watched on every host the monitor sees when
    #: ``wire_logins`` is true (the door's own configured ports are added by the runtime).
    standard_ports: ClassVar[tuple[int, ...]] = ()
    #: The door publishes every request as an event the event-level ``http_attacks`` rule
    #: judges; the monitor's wire web rules then skip its ports (one request, one detection).
    request_events: ClassVar[bool] = False

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        self.config = config
        self.ctx = ctx
        self.limiter = SlotLimiter(config.max_sessions, config.max_per_source, config.max_per_net)
        self.bound_port: int | None = None
        self.connections_total = 0
        #: Transports of in-flight sessions, closed by :meth:`drain` once its deadline passes.
        self.live: set[asyncio.BaseTransport] = set()

    async def drain(self) -> None:
        """Call from ``stop()`` once the listeners are closed: in-flight sessions finish (up
        to ``drain_timeout_s``), then the ones left are aborted and still record their end,
        so every event of a session the sensor answered is published before stop returns."""
        if await self.limiter.wait_idle(self.config.drain_timeout_s):
            return
        for transport in list(self.live):
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
            else:
                transport.close()
        await self.limiter.wait_idle(ABORT_GRACE_S)

    def fd_budget(self) -> tuple[int, int]:
        """Descriptors this sensor may hold: (required, elastic). Required ones are the
        connection slots; elastic ones (a tarpit) shrink to what the process can open."""
        return self.config.max_sessions, 0

    def shrink_elastic(self, allowed: int) -> None:
        """Lower the elastic part of :meth:`fd_budget` to ``allowed``."""
        return None

    def open_session(self, src: Endpoint, dst: Endpoint | None) -> Session:
        self.connections_total += 1
        return Session(self.ctx, self.name, self.protocol, src, dst)

    @contextlib.asynccontextmanager
    async def connection(
        self, writer: asyncio.StreamWriter, *, refusal: bytes = b""
    ) -> AsyncIterator[Session | None]:
        """One client on a stream: a slot, a session with bound identity, the total timeout.

        Yields ``None`` (after sending ``refusal``) when the source or the sensor is at its
        cap. The session ends as ``timeout`` on TimeoutError/EOFError, ``error`` on a
        connection or TLS error, else ``peer``; the slot is always released.
        """
        peer, local = writer.get_extra_info("peername"), writer.get_extra_info("sockname")
        source = str(peer[0])
        transport = writer.transport
        slot = self.limiter.acquire(source, evict=transport.abort)
        if slot is None:
            if refusal:
                writer.write(refusal)
            await wait_closed(writer)
            yield None
            return
        session = self.open_session(
            Endpoint(ip=source, port=int(peer[1])), Endpoint(ip=str(local[0]), port=int(local[1]))
        )
        reason = "peer"
        self.live.add(writer.transport)
        try:
            await session.open()
            async with asyncio.timeout(self.config.session_timeout_s):
                yield session
        except (TimeoutError, EOFError):
            reason = "timeout"
        except (ConnectionError, OSError, ssl.SSLError):
            reason = "error"
        except Exception:  # a bug or hostile input ends this connection only, never the door
            log.warning("%s: connection from %s failed", self.name, source, exc_info=True)
            reason = "error"
        finally:
            self.live.discard(writer.transport)
            if reason == "peer" and session.reason:
                reason = session.reason
            if slot.released:
                reason = "evicted"
            try:
                await wait_closed(writer)
                await session.close(reason, session.recording)
            finally:
                self.limiter.release(slot)  # last: drain() waits for the close event too

    def describe(self) -> dict[str, object]:
        return {
            "listen": f"{self.config.host}:{self.bound_port or self.config.port}",
            "connections": self.limiter.active,
            "evicted": self.limiter.evicted,
            "connections_total": self.connections_total,
        }


async def wait_closed(writer: asyncio.StreamWriter, timeout: float = 2.0) -> None:
    """Close a stream writer without hanging on a peer that never reads."""
    writer.close()
    try:
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except (TimeoutError, ConnectionError, OSError):
        return
