"""The EventBus protocol every component talks to.

Delivery is at-least-once: a consumer gets events in batches and calls ``ack()`` only after
its work is committed; anything unacknowledged is delivered again (to it or to another
consumer of the same group). Consumers are therefore idempotent on ``event_id``.

Groups: every group sees every event (fan-out); consumers within one group share the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from phantomnet.events import Event


@dataclass
class BusStats:
    """Counters a bus exposes for /metrics and /health."""

    published: int = 0
    delivered: int = 0
    acked: int = 0
    dropped: int = 0
    malformed: int = 0
    redelivered: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class Batch(Protocol):
    """Events delivered together; ``ack`` marks all of them done."""

    events: Sequence[Event]

    async def ack(self) -> None: ...


@runtime_checkable
class EventBus(Protocol):
    """Publish typed events; subscribe to batches of them."""

    name: str
    stats: BusStats

    async def start(self) -> None:
        """Connect; raise :class:`BusUnavailable` if the transport cannot be reached."""

    async def close(self) -> None:
        """Release connections; pending deliveries stay pending."""

    async def publish(self, event: Event) -> None:
        """Send one event."""

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Send several events (one round trip where the transport allows)."""

    def subscribe(
        self,
        group: str,
        *,
        consumer: str = "c1",
        kinds: frozenset[str] | None = None,
        batch_size: int = 1000,
        lossy: bool = False,
    ) -> AsyncIterator[Batch]:
        """Yield batches for ``group``; ``kinds`` filters (None = all).

        ``lossy`` subscriptions (live views) drop the oldest events instead of applying
        back-pressure when they fall behind; they never need ``ack``.
        """
        ...

    def unsubscribe(self, group: str) -> None:
        """Forget a (lossy) group: live views call this when their client leaves."""
        ...

    async def healthy(self) -> bool:
        """Whether the transport answers right now."""
        ...
