"""The event envelope, endpoints and the attacker-text type.

Every event kind subclasses :class:`EventBase`. Identity fields (``sensor``, ``session_id``,
``src``, ``dst``) are bound by the emitting session, never by protocol code.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION: Literal[1] = 1

#: Default cap for attacker-controlled strings (characters).
ATTACKER_TEXT_LIMIT = 4096
TRUNCATION_MARKER = "…[truncated]"


def _cap(value: str) -> str:
    if len(value) > ATTACKER_TEXT_LIMIT:
        return value[: ATTACKER_TEXT_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return value


#: A string that came from an attacker: capped, never a format string, never a path, never run.
AttackerText = Annotated[str, AfterValidator(_cap)]


def attacker_text(raw: bytes | str, limit: int = ATTACKER_TEXT_LIMIT) -> str:
    """Turn attacker bytes into safe text.

    Bytes are decoded as UTF-8 with ``backslashreplace`` (so nothing is lost and nothing
    raises); NULs are escaped; the result is cut to ``limit`` characters with a visible marker.
    """
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if len(text) > limit:
        keep = max(0, limit - len(TRUNCATION_MARKER))
        text = text[:keep] + TRUNCATION_MARKER
    return text


def normalise_ip(value: str) -> str:
    """Canonical text of an IP address; IPv4-mapped IPv6 becomes plain IPv4."""
    addr = ipaddress.ip_address(value)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _check_ip(value: str) -> str:
    return normalise_ip(value)


IPText = Annotated[str, AfterValidator(_check_ip)]


def _check_utc(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError("datetime is out of range once converted to UTC") from exc
    return value


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_check_utc),
    PlainSerializer(lambda d: d.astimezone(UTC).isoformat()),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    """Base for every immutable model of the contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(Frozen):
    """One side of a conversation."""

    ip: IPText
    port: int | None = Field(default=None, ge=0, le=65535)


class SensorRef(Frozen):
    """Which node and which component produced an event (``node`` = host name)."""

    node: str = Field(min_length=1, max_length=128)
    component: str = Field(min_length=1, max_length=64)


Severity = Literal["low", "medium", "high", "critical"]
Level = Literal["LOW", "MEDIUM", "HIGH"]
Decision = Literal["ALLOW", "ALERT", "BLOCK"]


class EventBase(Frozen):
    """The envelope every event carries.

    ``event_id`` is the idempotency key everywhere (bus redelivery, storage, exports).
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: UtcDatetime = Field(default_factory=utcnow)
    sensor: SensorRef
    session_id: UUID | None = None
    src: Endpoint | None = None
    dst: Endpoint | None = None
    community_id: str | None = Field(default=None, max_length=64)
