"""FastAPI dependencies every router reuses.

All are ``async def``: FastAPI runs plain ``def`` dependencies in a worker thread, which
costs more than the work they do.

``SettingsDep``, ``DbDep`` (an AsyncSession per request, for routes that write),
``ReadDbDep`` (autocommit session for read-only routes), ``BusDep`` (the event bus, 503 when
the app has none), ``StateDep``, the services the runtime handed ``create_app``
(``ResponseDep``, ``ScorerDep``, ``GeoDep``; 503 when the app has none, see
``api/services.py``), and the auth guards ``Viewer`` (reads), ``Admin`` (changes)
and ``StreamViewer`` (a Bearer header or a single-use ``?ticket=`` from
``POST /api/stream/ticket``, because EventSource cannot set headers; ``?token=`` is refused so
tokens never land in URLs and logs; used by /api/stream only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from phantomnet.api.auth import Principal, TokenStore
from phantomnet.api.metrics import ApiMetrics
from phantomnet.api.services import NO_RESPONSE, NO_VERIFIER, ApiServices
from phantomnet.api.tickets import TicketStore
from phantomnet.bus.base import EventBus
from phantomnet.errors import AuthError, BackendUnavailable, BusUnavailable, ModelError
from phantomnet.intel.geo import GeoLocator
from phantomnet.response.service import ResponseService
from phantomnet.scoring.service import Scorer
from phantomnet.settings import Settings
from phantomnet.verify.verifier import Verifier

StatusFn = Callable[[], list[dict[str, Any]]]


@dataclass
class ApiState:
    """Everything the routes need, built once by ``create_app``."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    bus: EventBus | None
    status: StatusFn | None
    metrics: ApiMetrics
    tokens: TokenStore
    services: ApiServices
    tickets: TicketStore = field(default_factory=TicketStore)
    owns_engine: bool = False
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)


async def get_state(request: Request) -> ApiState:
    state = request.app.state.pn
    assert isinstance(state, ApiState)
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


async def get_db(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One session per request; read-only routes never commit."""
    async with state.sessions() as session:
        yield session


async def get_read_db(state: StateDep) -> AsyncIterator[AsyncSession]:
    """A session in autocommit mode for read-only routes: no BEGIN/ROLLBACK round trips."""
    async with state.read_sessions() as session:
        yield session


async def get_bus(state: StateDep) -> EventBus:
    if state.bus is None:
        raise BusUnavailable("this API process has no event bus")
    return state.bus


async def get_response_service(state: StateDep) -> ResponseService:
    if state.services.response is None:
        raise BackendUnavailable(NO_RESPONSE)
    return state.services.response


async def get_scorer(state: StateDep) -> Scorer:
    if state.services.scorer is None:
        raise ModelError(state.services.scorer_missing)
    return state.services.scorer


async def get_geo(state: StateDep) -> GeoLocator:
    if state.services.geo is None:
        raise BackendUnavailable("this API process has no geolocator")
    return state.services.geo


async def get_verifier(state: StateDep) -> Verifier:
    if state.services.verifier is None:
        raise BackendUnavailable(NO_VERIFIER)
    return state.services.verifier


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[AsyncSession, Depends(get_db)]
ReadDbDep = Annotated[AsyncSession, Depends(get_read_db)]
BusDep = Annotated[EventBus, Depends(get_bus)]
ResponseDep = Annotated[ResponseService, Depends(get_response_service)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]
GeoDep = Annotated[GeoLocator, Depends(get_geo)]
VerifierDep = Annotated[Verifier, Depends(get_verifier)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer pn_...`")
_query_ticket = APIKeyQuery(
    name="ticket",
    auto_error=False,
    description="Single-use stream ticket from `POST /api/stream/ticket` (only /api/stream)",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _resolve(state: ApiState, token: str | None) -> Principal:
    if state.settings.api.auth == "off":
        return Principal(role="admin", name="auth-off")
    if not token:
        raise AuthError("missing bearer token")
    return await state.tokens.principal(token)


async def require_viewer(state: StateDep, creds: BearerDep) -> Principal:
    """Any valid token (viewer or admin); 401 otherwise."""
    return await _resolve(state, creds.credentials if creds else None)


async def require_admin(principal: Annotated[Principal, Depends(require_viewer)]) -> Principal:
    """An admin token; 403 for a viewer."""
    if principal.role != "admin":
        raise AuthError("this action needs an admin token", status=403)
    return principal


async def require_stream_viewer(
    request: Request,
    state: StateDep,
    creds: BearerDep,
    ticket: Annotated[str | None, Depends(_query_ticket)],
) -> Principal:
    """Like ``require_viewer``, or a single-use ``?ticket=``; a ``?token=`` is refused."""
    if "token" in request.query_params:
        raise AuthError("tokens are not accepted in the URL: POST /api/stream/ticket first")
    if creds is None and ticket and state.settings.api.auth != "off":
        return state.tickets.redeem(ticket)
    return await _resolve(state, creds.credentials if creds else None)


Viewer = Annotated[Principal, Depends(require_viewer)]
Admin = Annotated[Principal, Depends(require_admin)]
StreamViewer = Annotated[Principal, Depends(require_stream_viewer)]
