"""Events of the response layer (firewall blocks)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from phantomnet.events.base import EventBase, UtcDatetime

BlockSource = Literal["manual", "policy", "detection", "honeytoken"]


class ResponseBlock(EventBase):
    """An address or network was blocked (``applied`` false in dry-run)."""

    kind: Literal["response.block"] = "response.block"
    target: str = Field(max_length=64)
    source: BlockSource
    reason: str = Field(max_length=512)
    duration_s: int = Field(ge=1)
    expires_at: UtcDatetime
    backend: str = Field(max_length=32)
    applied: bool
    offence: int = Field(default=1, ge=1)


class ResponseUnblock(EventBase):
    """A block was lifted (``reason``: manual, expired)."""

    kind: Literal["response.unblock"] = "response.unblock"
    target: str = Field(max_length=64)
    reason: str = Field(max_length=512)
    backend: str = Field(max_length=32)
    applied: bool
