"""Prometheus metrics on a per-app registry (never the global one).

Request counts and latency are labelled by route template (``/api/events/{event_id}``), not
by raw path, so an attacker cannot blow up label cardinality. Bus counters are read from
``bus.stats`` at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phantomnet.bus.base import EventBus

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ApiMetrics:
    """The registry and the request instruments of one app."""

    def __init__(
        self, bus: EventBus | None, status: Callable[[], list[dict[str, Any]]] | None = None
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "phantomnet_http_requests",
            "HTTP requests handled",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "phantomnet_http_request_duration_seconds",
            "Time to the response start",
            ("method", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        if bus is not None:
            self.registry.register(BusCollector(bus))
        if status is not None:
            self.registry.register(ComponentCollector(status))


class ComponentCollector(Collector):
    """Per-component health (``plugins.ComponentHealth``) of the in-process components."""

    def __init__(self, status: Callable[[], list[dict[str, Any]]]) -> None:
        self._status = status

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "phantomnet_component_up",
            "1 when the component runs without failing",
            labels=("component",),
        )
        restarts = CounterMetricFamily(
            "phantomnet_component_restarts", "Restarts by the supervisor", labels=("component",)
        )
        failures = CounterMetricFamily(
            "phantomnet_component_failures",
            "Failures (crashes and survived ones)",
            labels=("component",),
        )
        for raw in self._status():
            health = raw.get("health")
            if not isinstance(health, dict):
                continue
            name = [str(raw.get("component"))]
            ok = health.get("state") in ("up", "stopped") and health.get("failing_since") is None
            up.add_metric(name, 1.0 if ok else 0.0)
            restarts.add_metric(name, float(health.get("restarts") or 0))
            failures.add_metric(name, float(health.get("failures") or 0))
        yield up
        yield restarts
        yield failures


class BusCollector(Collector):
    """Exports :class:`BusStats` of the app's bus."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    def collect(self) -> Iterator[Any]:
        stats = self._bus.stats
        counter = CounterMetricFamily(
            "phantomnet_bus_events", "Bus event counters", labels=("bus", "what")
        )
        for what in ("published", "delivered", "acked", "dropped", "malformed", "redelivered"):
            counter.add_metric([self._bus.name, what], float(getattr(stats, what)))
        yield counter
        extra = GaugeMetricFamily(
            "phantomnet_bus_extra", "Bus-specific figures", labels=("bus", "what")
        )
        for key, value in stats.extra.items():
            extra.add_metric([self._bus.name, key], float(value))
        yield extra


class MetricsMiddleware:
    """Pure ASGI middleware (no buffering, so SSE streams pass through untouched)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                route = _route_of(scope)
                self.metrics.latency.labels(scope["method"], route).observe(
                    time.perf_counter() - start
                )
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.requests.labels(scope["method"], _route_of(scope), str(status)).inc()


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
