"""The response Component: start-up check, policy consumer, reconciliation and expiry loops.

``start`` proves the backend works (BackendUnavailable stops start-up with a clear message)
and runs a first reconciliation, so blocks recorded while PhantomNet was down (or by the CLI)
are enforced before anything else happens. ``run`` then consumes ``score``/``detection``/
``honeytoken.triggered`` events (when auto-blocking is enabled), reconciles every
``reconcile_interval_s`` and lifts expired blocks every ``expiry_interval_s``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import PhantomNetError, ResponseError
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.response import policy
from phantomnet.response.reconcile import Reconciler
from phantomnet.response.service import ResponseService

log = logging.getLogger(__name__)
GROUP = "response"
SEEN_MAX = 10_000


class ResponseComponent(Component):
    """Enforces block decisions; see the module docstring."""

    name = "response"

    def __init__(self, service: ResponseService, bus: EventBus | None) -> None:
        self.service = service
        self.bus = bus
        self.reconciler = Reconciler(service)
        self.auto_blocks = 0
        self._seen: OrderedDict[UUID, None] = OrderedDict()
        self._batches: AsyncIterator[Batch] | None = None
        self.last_error: str | None = None

    async def start(self) -> None:
        await self.service.blocker.check()
        await self.service.expire_due()
        await self.reconciler.run_once()
        if self.bus is not None and self.service.config.auto.enabled:
            # subscribe now so nothing published between start and run is missed
            self._batches = self.bus.subscribe(GROUP, kinds=policy.KINDS, batch_size=100)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(
                self._every(
                    self.service.config.reconcile_interval_s,
                    self.reconciler.run_once,
                    "reconciliation",
                )
            )
            group.create_task(
                self._every(
                    self.service.config.expiry_interval_s, self.service.expire_due, "expiry sweep"
                )
            )
            if self._batches is not None:
                group.create_task(self._consume(self._batches))

    async def _every(
        self, interval: float, work: Callable[[], Awaitable[object]], what: str
    ) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await work()
                self.last_error = None
            except PhantomNetError as exc:  # a failed pass is retried next interval
                self.last_error = f"{what}: {exc}"[:200]
                log.warning("response %s failed: %s", what, exc)

    async def _consume(self, batches: AsyncIterator[Batch]) -> None:
        async for batch in batches:
            for event in batch.events:
                await self.handle(event)
            await batch.ack()

    async def handle(self, event: Event) -> None:
        """Block for one event if the policy says so; refusals are logged, never raised."""
        if event.event_id in self._seen:
            return
        self._seen[event.event_id] = None
        if len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        request = policy.decide(event, self.service.config.auto)
        if request is None:
            return
        try:
            await self.service.block(
                request.target,
                source=request.source,
                reason=request.reason,
                created_by=f"policy:{event.kind}",
            )
            self.auto_blocks += 1
        except ResponseError as exc:  # BlockRefused (allowlisted) included
            log.info("auto-block of %s not done: %s", request.target, exc)
        except PhantomNetError as exc:
            log.warning("auto-block of %s failed: %s", request.target, exc)

    async def stop(self) -> None:
        return None

    def describe(self) -> dict[str, object]:
        """Heartbeat/status: state, a one-line detail, and the counters as keys."""
        svc = self.service
        last = self.reconciler.last
        counters: dict[str, object] = {
            **svc.blocker.describe(),
            "enforcing": svc.blocker.enforces,
            "auto_block": svc.config.auto.enabled,
            "blocks": svc.counters.blocks,
            "unblocks": svc.counters.unblocks,
            "auto_blocks": self.auto_blocks,
            "refused": svc.counters.refused,
            "apply_failures": svc.counters.apply_failures,
            "killed_flows": svc.counters.killed_flows,
            "reconcile_passes": self.reconciler.passes,
            "drift_repaired_total": self.reconciler.drift_total,
            "held": last.held if last else None,
            "dropped_packets": last.dropped_packets if last else None,
            "last_reconcile_s": round(last.seconds, 3) if last else None,
            "last_error": self.last_error,
        }
        mode = "enforcing" if svc.blocker.enforces else "dry-run (nothing enforced)"
        detail = (
            f"{svc.blocker.name} {mode}; held {counters['held']}; "
            f"dropped {counters['dropped_packets']} packets; "
            f"drift repaired {self.reconciler.drift_total}; "
            f"auto-block {'on' if svc.config.auto.enabled else 'off'}"
        )
        if self.last_error:
            detail += f"; last error: {self.last_error}"
        return {
            "state": "degraded" if self.last_error else "up",
            "events": svc.counters.blocks + svc.counters.unblocks,
            "detail": detail,
            **counters,
        }
