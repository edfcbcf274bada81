"""The response Component: start-up check, policy consumer, reconciliation and expiry loops.

``start`` proves the backend works (BackendUnavailable stops start-up with a clear message)
and runs a first reconciliation, so blocks recorded while PhantomNet was down (or by the CLI)
are enforced before anything else happens. ``run`` then consumes ``score``/``detection``/
``honeytoken.triggered`` events (when auto-blocking is enabled), reconciles every
``reconcile_interval_s`` and lifts expired blocks every ``expiry_interval_s``.

No failure of the database or the bus ends ``run``: the periodic passes catch every exception
and retry with backoff (``resilience.every``), acknowledgements are retried until Redis
answers again (``resilience.until_done``). Failures show in ``health`` and ``describe``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from uuid import UUID

from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import PhantomNetError, ResponseError
from phantomnet.events import Event
from phantomnet.plugins import Component
from phantomnet.resilience import every, is_transient, until_done
from phantomnet.response import policy
from phantomnet.response.reconcile import Reconciler
from phantomnet.response.service import ResponseService

log = logging.getLogger(__name__)
GROUP = "response"
SEEN_MAX = 10_000


class ResponseComponent(Component):
    """Enforces block decisions; see the module docstring."""

    name = "response"
    group = GROUP

    def __init__(self, service: ResponseService, bus: EventBus | None) -> None:
        self.service = service
        self.bus = bus
        self.reconciler = Reconciler(service)
        self.auto_blocks = 0
        self._seen: OrderedDict[UUID, None] = OrderedDict()
        self._batches: AsyncIterator[Batch] | None = None

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
        """``work`` every ``interval``; any failure is retried with backoff (never raises)."""
        await every(interval, work, health=self.health, what=f"response {what}", log=log)

    @property
    def last_error(self) -> str | None:
        """The last failure while the component is failing (None once it works again)."""
        return self.health.last_error if self.health.failing_since is not None else None

    async def _consume(self, batches: AsyncIterator[Batch]) -> None:
        async for batch in batches:
            for event in batch.events:
                await until_done(
                    partial(self.handle, event),
                    health=self.health,
                    what="response: auto-block",
                    log=log,
                )
            await until_done(batch.ack, health=self.health, what="response: ack", log=log)

    async def handle(self, event: Event) -> None:
        """Block for one event if the policy says so; refusals are logged, never raised.

        A database or bus that is away raises (transient: the caller retries the event); the
        event counts as seen only once it has been handled.
        """
        if event.event_id in self._seen:
            return
        request = policy.decide(event, self.service.config.auto)
        if request is not None:
            await self._block(request, event.kind)
        self._seen[event.event_id] = None
        if len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)

    async def _block(self, request: policy.BlockRequest, kind: str) -> None:
        try:
            await self.service.block(
                request.target,
                source=request.source,
                reason=request.reason,
                created_by=f"policy:{kind}",
            )
            self.auto_blocks += 1
        except ResponseError as exc:  # BlockRefused (allowlisted) included
            log.info("auto-block of %s not done: %s", request.target, exc)
        except PhantomNetError as exc:
            if is_transient(exc):
                raise
            log.warning("auto-block of %s failed: %s", request.target, exc)

    async def stop(self) -> None:
        """Close the subscription (a restart subscribes again; unacked events come back)."""
        close = getattr(self._batches, "aclose", None)
        if close is not None:
            await close()

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
