"""``/health`` (no auth), ``/api/me`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import InterfaceError, OperationalError

from phantomnet import __version__
from phantomnet.api.deps import BearerDep, StateDep, Viewer, require_viewer
from phantomnet.api.schemas import Health, Me
from phantomnet.storage import queries

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

#: How long /health waits for each dependency before calling it down.
CHECK_TIMEOUT_S = 2.0


async def _database(state: StateDep) -> Literal["ok", "down"]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), state.sessions() as session:
            await queries.ping(session)
    except (OperationalError, InterfaceError, OSError, TimeoutError) as exc:
        log.warning("health: database down: %s", exc)
        return "down"
    return "ok"


async def _bus(state: StateDep) -> Literal["ok", "down"]:
    if state.bus is None:
        return "down"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            healthy = await state.bus.healthy()
    except (OSError, TimeoutError) as exc:
        log.warning("health: bus down: %s", exc)
        return "down"
    return "ok" if healthy else "down"


def _degraded_components(state: StateDep) -> list[str]:
    """Components of this process that report ``degraded`` (e.g. a writer on a full disk)."""
    if state.status is None:
        return []
    return [str(c.get("component")) for c in state.status() if c.get("state") == "degraded"]


@router.get("/health", response_model=Health, name="health")
async def health(state: StateDep) -> Health:
    """Database and bus status. Always 200; ``status`` is ``degraded`` if either is down or
    a component of this process reports ``degraded``."""
    database, bus = await asyncio.gather(_database(state), _bus(state))
    ok = database == bus == "ok" and not _degraded_components(state)
    status: Literal["ok", "degraded"] = "ok" if ok else "degraded"
    return Health(status=status, database=database, bus=bus, version=__version__)


@router.get("/api/me", response_model=Me, name="me")
async def me(principal: Viewer, state: StateDep) -> Me:
    """The caller's role, and whether auth is on."""
    return Me(role=principal.role, auth=state.settings.api.auth)


@router.get(
    "/metrics",
    name="metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(state: StateDep, creds: BearerDep) -> Response:
    """Prometheus exposition of this app's registry (needs a token if metrics_public=false)."""
    if not state.settings.api.metrics_public:
        await require_viewer(state, creds)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
