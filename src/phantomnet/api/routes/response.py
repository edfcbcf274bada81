"""Active-defense routes: block, unblock and list (admin for changes, viewer for reads).

* ``POST /api/active-defense/block/{ip}`` body (optional) ``{"duration": "1h"|3600, "reason"}``
* ``DELETE /api/active-defense/block/{ip}`` -> the lifted block
* ``GET /api/active-defense/blocks?active=true|false`` (or ``?all=true``) -> ``{"items": [...]}``
* the seed's ``POST /block-ip`` / ``DELETE /block-ip`` with ``{"ip": ...}``

``{ip}`` may be a CIDR network (``203.0.113.0/24``). The routes use the runtime's running
``ResponseService`` (``ResponseDep``: the same lock and firewall as the reconciler, handed to
``create_app`` in ``ApiServices``); an app without one answers 503 (after the auth check:
the guard comes first in every signature).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from phantomnet.api.deps import Admin, ResponseDep, Viewer
from phantomnet.api.schemas import BlockItem, Model
from phantomnet.response.service import ResponseService
from phantomnet.response.store import BlockRecord
from phantomnet.settings import parse_duration

router = APIRouter(tags=["active-defense"])


class BlockOut(BlockItem):
    """The contract's BlockItem plus why it was lifted (``manual``, ``expired``)."""

    removed_reason: str | None = None


class BlockList(Model):
    items: list[BlockOut]


def _out(record: BlockRecord) -> BlockOut:
    return BlockOut.model_validate(record.item())


class BlockBody(BaseModel):
    """Optional body of a block request."""

    model_config = ConfigDict(extra="forbid")

    duration: str | int | None = Field(default=None, description="90s, 10m, 1h, 7d or seconds")
    reason: str = Field(default="", max_length=512)


class IpBody(BlockBody):
    """The seed's body: ``{"ip": "192.168.1.5"}``."""

    ip: str = Field(max_length=64)


async def _block(service: ResponseService, ip: str, body: BlockBody | None, who: str) -> BlockOut:
    body = body or BlockBody()
    seconds = parse_duration(body.duration) if body.duration is not None else None
    record = await service.block(
        ip,
        source="manual",
        reason=body.reason or "manual block (API)",
        duration_s=seconds,
        created_by=f"api:{who}",
    )
    return _out(record)


@router.post("/api/active-defense/block/{ip:path}")
async def block(
    ip: str,
    admin: Admin,
    service: ResponseDep,
    body: Annotated[BlockBody | None, Body()] = None,
) -> BlockOut:
    """Block an address or network now; repeat offenders climb the duration ladder."""
    return await _block(service, ip, body, admin.name)


@router.delete("/api/active-defense/block/{ip:path}")
async def unblock(ip: str, admin: Admin, service: ResponseDep) -> BlockOut:
    """Lift the active block of exactly this address or network (404 if none)."""
    return _out(await service.unblock(ip, reason="manual"))


@router.get("/api/active-defense/blocks")
async def blocks(
    viewer: Viewer,
    service: ResponseDep,
    active: Annotated[bool, Query()] = True,
    include_all: Annotated[bool, Query(alias="all")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> BlockList:
    """Blocks, newest first: active ones, lifted ones with ``active=false``, every one with
    ``all=true``."""
    records = await service.store.list_blocks(active=None if include_all else active, limit=limit)
    return BlockList(items=[_out(r) for r in records])


@router.post("/block-ip")
async def seed_block(body: IpBody, admin: Admin, service: ResponseDep) -> BlockOut:
    """The seed's endpoint: ``{"ip": "..."}`` -> BlockItem."""
    return await _block(service, body.ip, body, admin.name)


@router.delete("/block-ip")
async def seed_unblock(
    body: Annotated[IpBody, Body()], admin: Admin, service: ResponseDep
) -> BlockOut:
    """The seed's unblock: ``{"ip": "..."}`` -> the lifted BlockItem."""
    return _out(await service.unblock(body.ip, reason="manual"))
