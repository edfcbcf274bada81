"""Active-defense routes: block, unblock and list (admin for changes, viewer for reads).

* ``POST /api/active-defense/block/{ip}`` body (optional) ``{"duration": "1h"|3600, "reason"}``
* ``DELETE /api/active-defense/block/{ip}`` -> the lifted block
* ``GET /api/active-defense/blocks?active=true`` -> ``{"items": [BlockItem]}``
* the seed's ``POST /block-ip`` / ``DELETE /block-ip`` with ``{"ip": ...}``

``{ip}`` may be a CIDR network (``203.0.113.0/24``). The routes use the process's running
``ResponseService`` when the runtime put one in ``app.state.response_service`` (same lock and
firewall as the reconciler); otherwise one is built on first use from settings and checked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from phantomnet.api.deps import Admin, StateDep, Viewer
from phantomnet.response.config import parse_duration
from phantomnet.response.factory import build_service
from phantomnet.response.service import ResponseService
from phantomnet.storage.blocks import SqlBlockStore

router = APIRouter(tags=["active defense"])


class BlockBody(BaseModel):
    """Optional body of a block request."""

    model_config = ConfigDict(extra="forbid")

    duration: str | int | None = Field(default=None, description="90s, 10m, 1h, 7d or seconds")
    reason: str = Field(default="", max_length=512)


class IpBody(BlockBody):
    """The seed's body: ``{"ip": "192.168.1.5"}``."""

    ip: str = Field(max_length=64)


async def get_service(request: Request, state: StateDep) -> ResponseService:
    """The process's ResponseService (built and backend-checked once if the runtime gave none)."""
    service = getattr(request.app.state, "response_service", None)
    if isinstance(service, ResponseService):
        return service
    publish = state.bus.publish if state.bus is not None else None
    service = build_service(state.settings, SqlBlockStore(state.sessions), publish)
    await service.blocker.check()
    request.app.state.response_service = service
    return service


ServiceDep = Annotated[ResponseService, Depends(get_service)]


async def _block(service: ResponseService, ip: str, body: BlockBody | None, who: str) -> Any:
    body = body or BlockBody()
    seconds = parse_duration(body.duration) if body.duration is not None else None
    record = await service.block(
        ip,
        source="manual",
        reason=body.reason or "manual block (API)",
        duration_s=seconds,
        created_by=f"api:{who}",
    )
    return record.item()


@router.post("/api/active-defense/block/{ip:path}")
async def block(
    ip: str,
    service: ServiceDep,
    admin: Admin,
    body: Annotated[BlockBody | None, Body()] = None,
) -> dict[str, Any]:
    """Block an address or network now; repeat offenders climb the duration ladder."""
    result: dict[str, Any] = await _block(service, ip, body, admin.name)
    return result


@router.delete("/api/active-defense/block/{ip:path}")
async def unblock(ip: str, service: ServiceDep, admin: Admin) -> dict[str, Any]:
    """Lift the active block of exactly this address or network (404 if none)."""
    return (await service.unblock(ip, reason="manual")).item()


@router.get("/api/active-defense/blocks")
async def blocks(
    service: ServiceDep,
    viewer: Viewer,
    active: Annotated[bool | None, Query()] = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> dict[str, Any]:
    """Blocks, newest first (``active=false`` for lifted ones, omit-able with ``active=``)."""
    records = await service.store.list_blocks(active=active, limit=limit)
    return {"items": [r.item() for r in records]}


@router.post("/block-ip")
async def seed_block(body: IpBody, service: ServiceDep, admin: Admin) -> dict[str, Any]:
    """The seed's endpoint: ``{"ip": "..."}`` -> BlockItem."""
    result: dict[str, Any] = await _block(service, body.ip, body, admin.name)
    return result


@router.delete("/block-ip")
async def seed_unblock(
    body: Annotated[IpBody, Body()], service: ServiceDep, admin: Admin
) -> dict[str, Any]:
    """The seed's unblock: ``{"ip": "..."}`` -> the lifted BlockItem."""
    return (await service.unblock(body.ip, reason="manual")).item()
