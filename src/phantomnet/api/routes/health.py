"""``/health`` (no auth), ``/api/me`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import InterfaceError, OperationalError

from phantomnet import __version__
from phantomnet.api.deps import BearerDep, StateDep, Viewer, require_viewer
from phantomnet.api.schemas import ComponentHealthItem, GroupBacklog, Health, Me
from phantomnet.errors import BusError
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


async def _backlog(state: StateDep) -> dict[str, dict[str, Any]]:
    """Consumer-group backlog where the bus can tell cheaply (Redis: one XINFO GROUPS)."""
    backlog = getattr(state.bus, "backlog", None)
    if backlog is None:
        return {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            found: dict[str, dict[str, Any]] = await backlog()
    except (BusError, OSError, TimeoutError):
        return {}
    return found


def _components(state: StateDep, backlog: dict[str, dict[str, Any]]) -> list[ComponentHealthItem]:
    if state.status is None:
        return []
    out = []
    for raw in state.status():
        health = raw.get("health")
        if not isinstance(health, dict):
            continue
        group = raw.get("group") if isinstance(raw.get("group"), str) else None
        lag = backlog.get(group) if group else None
        out.append(
            ComponentHealthItem(
                component=str(raw.get("component")),
                state=str(health.get("state")),
                restarts=int(health.get("restarts") or 0),
                failures=int(health.get("failures") or 0),
                failing_since=_opt(health.get("failing_since")),
                last_error=_opt(health.get("last_error")),
                group=group,
                backlog=GroupBacklog(**lag) if lag else None,
            )
        )
    return out


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


@router.get("/health", response_model=Health, name="health")
async def health(state: StateDep) -> Health:
    """Database, bus and component status. Always 200; ``status`` is ``degraded`` if the
    database or the bus is down or any in-process component is not ``up`` (restarting,
    failing since, last error; its consumer group's backlog where the bus tells it)."""
    database, bus, backlog = await asyncio.gather(_database(state), _bus(state), _backlog(state))
    components = _components(state, backlog)
    healthy = database == bus == "ok" and all(
        c.state in ("up", "stopped") and c.failing_since is None for c in components
    )
    status: Literal["ok", "degraded"] = "ok" if healthy else "degraded"
    return Health(
        status=status, database=database, bus=bus, version=__version__, components=components
    )


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
