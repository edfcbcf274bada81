"""What every sensor shares: its config, its context, sessions with bound identity, limits.

A concrete sensor implements only the conversation. Identity fields (sensor, session id,
source, destination) are bound by :class:`Session`; protocol code cannot pass them.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class SensorConfig(BaseModel):
    """Settings every sensor has; a sensor's ``Config`` subclasses this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)
    max_sessions: int = Field(default=512, ge=1)
    max_per_source: int = Field(default=32, ge=1)
    idle_timeout_s: float = Field(default=300, gt=0)
    session_timeout_s: float = Field(default=3600, gt=0)
    max_line_bytes: int = Field(default=8192, ge=64)


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


class SlotLimiter:
    """Global and per-source connection caps (no lock needed: one event loop)."""

    def __init__(self, max_sessions: int, max_per_source: int) -> None:
        self.max_sessions = max_sessions
        self.max_per_source = max_per_source
        self.active = 0
        self.per_source: Counter[str] = Counter()

    def acquire(self, source: str) -> bool:
        if self.active >= self.max_sessions or self.per_source[source] >= self.max_per_source:
            return False
        self.active += 1
        self.per_source[source] += 1
        return True

    def release(self, source: str) -> None:
        self.active -= 1
        self.per_source[source] -= 1
        if self.per_source[source] <= 0:
            del self.per_source[source]


class Sensor(Component):
    """A honeypot service registered under ``phantomnet.sensors``."""

    name: ClassVar[str] = "sensor"
    protocol: ClassVar[str] = "other"
    Config: ClassVar[type[SensorConfig]] = SensorConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        self.config = config
        self.ctx = ctx
        self.limiter = SlotLimiter(config.max_sessions, config.max_per_source)
        self.bound_port: int | None = None
        self.connections_total = 0

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
        if not self.limiter.acquire(source):
            if refusal:
                writer.write(refusal)
            await wait_closed(writer)
            yield None
            return
        session = self.open_session(
            Endpoint(ip=source, port=int(peer[1])), Endpoint(ip=str(local[0]), port=int(local[1]))
        )
        reason = "peer"
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
            self.limiter.release(source)
            await wait_closed(writer)
            await session.close(reason)

    def describe(self) -> dict[str, object]:
        return {
            "listen": f"{self.config.host}:{self.bound_port or self.config.port}",
            "connections": self.limiter.active,
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
