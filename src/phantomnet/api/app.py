"""``create_app(settings)``: the FastAPI application of PhantomNet.

Nothing happens at import time. Every router lives in ``api/routes/<area>.py`` and exports
``router``; adding one is one line in :data:`ROUTER_MODULES`. Operation ids are
``{tag}-{name}`` so generated clients get stable, readable method names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from phantomnet import __version__
from phantomnet.api.auth import TokenStore
from phantomnet.api.deps import ApiState
from phantomnet.api.errors import install_error_handlers
from phantomnet.api.metrics import ApiMetrics, MetricsMiddleware
from phantomnet.api.routes import (
    analysis,
    events,
    health,
    intel,
    overview,
    response,
    sessions,
    stream,
    verify,
)
from phantomnet.api.security import SecurityHeadersMiddleware
from phantomnet.api.services import ApiServices
from phantomnet.api.tickets import TicketStore
from phantomnet.bus.base import EventBus
from phantomnet.intel.geo import GeoLocator
from phantomnet.scoring.config import scoring_config
from phantomnet.settings import Settings

#: Routers included in this order (each module exports ``router``).
ROUTER_MODULES: tuple[ModuleType, ...] = (
    health,
    events,
    overview,
    stream,
    intel,
    sessions,
    response,
    analysis,
    verify,
)

#: Problem responses shown in OpenAPI for every route.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in (
        (401, "Missing or invalid token"),
        (403, "Admin token needed"),
        (422, "Invalid input"),
        (503, "Database or bus unavailable"),
    )
}


def operation_id(route: APIRoute) -> str:
    """``{tag}-{name}``, e.g. ``events-list``."""
    tag = route.tags[0] if route.tags else "api"
    return f"{tag}-{route.name}"


def _engine(settings: Settings) -> AsyncEngine:
    from phantomnet.storage.db import make_engine

    return make_engine(
        settings.database_url,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
        echo=settings.database.echo,
    )


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    bus: EventBus | None = None,
    status: Callable[[], list[dict[str, Any]]] | None = None,
    services: ApiServices | None = None,
) -> FastAPI:
    """Build the API.

    ``engine``: the database (made from ``settings`` and disposed with the app when None).
    ``bus``: the event bus for ``/api/stream`` and ``/health`` (no bus: stream 503, health
    degraded). ``status``: in-process component status for ``/api/honeypots/status``.
    ``services``: response service, scorer and geolocator, built by the runtime
    (``runtime/services.py``); without them block and threat-score routes answer 503 and
    the geolocator is made from ``settings``.
    """
    if services is None:
        services = ApiServices.none(GeoLocator.from_config(scoring_config(settings.scoring).geo))
    owns_engine = engine is None
    db = engine if engine is not None else _engine(settings)
    state = ApiState(
        settings=settings,
        engine=db,
        sessions=async_sessionmaker(db, class_=AsyncSession, expire_on_commit=False),
        read_sessions=async_sessionmaker(
            db.execution_options(isolation_level="AUTOCOMMIT"), class_=AsyncSession
        ),
        bus=bus,
        status=status,
        metrics=ApiMetrics(bus, status),
        tokens=TokenStore(async_sessionmaker(db, class_=AsyncSession)),
        tickets=TicketStore(),
        services=services,
        owns_engine=owns_engine,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if state.owns_engine:
            await state.engine.dispose()

    app = FastAPI(
        title="PhantomNet API",
        version=__version__,
        description="Events, detections, attackers and live feed of PhantomNet.",
        generate_unique_id_function=operation_id,
        responses=PROBLEM_RESPONSES,
        lifespan=lifespan,
    )
    app.state.pn = state
    install_error_handlers(app)
    for module in ROUTER_MODULES:
        router = module.router
        assert isinstance(router, APIRouter)
        app.include_router(router)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    # The dashboard answers whatever no API route matched (router fallback).
    from phantomnet.dashboard import mount_dashboard

    mount_dashboard(app)
    return app
