"""Pure parsing of query parameters: cursors, comma lists, IPs, time ranges.

Every function raises :class:`InvalidInput` (a 422 problem) on a bad value and never anything
else, so routes stay free of validation code.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from datetime import UTC, datetime
from uuid import UUID

from phantomnet.errors import InvalidInput
from phantomnet.events import kinds
from phantomnet.storage.queries import EventKey

LEVELS = frozenset({"LOW", "MEDIUM", "HIGH"})
SEVERITIES = frozenset({"low", "medium", "high", "critical"})
MAX_LIST_ITEMS = 32
MAX_CURSOR_CHARS = 200


@functools.cache
def event_kinds() -> frozenset[str]:
    """Every event kind (computed once)."""
    return kinds()


def encode_cursor(*parts: str | int) -> str:
    """An opaque cursor for the given key parts (url-safe, no padding)."""
    raw = "|".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list[str]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidInput("cursor: too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return raw.decode("ascii").split("|")
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("cursor: not a cursor this API produced") from exc


def id_cursor(cursor: str | None) -> int | None:
    """Decode an ``id`` keyset cursor (the id of the last item seen)."""
    if cursor is None or cursor == "":
        return None
    parts = _decode(cursor)
    if len(parts) != 1 or not parts[0].isdigit() or len(parts[0]) > 19:
        raise InvalidInput("cursor: not a cursor this API produced")
    return int(parts[0])


def event_cursor(cursor: str | None, *, time_ordered: bool) -> EventKey | None:
    """Decode an ``/api/events`` cursor: ``id`` or, for time-bounded queries, ``t|time|id``."""
    if cursor is None or cursor == "":
        return None
    parts = _decode(cursor)
    try:
        if time_ordered and len(parts) == 3 and parts[0] == "t" and parts[2].isdigit():
            return EventKey(id=int(parts[2]), occurred_at=as_utc(datetime.fromisoformat(parts[1])))
        if not time_ordered and len(parts) == 1 and parts[0].isdigit() and len(parts[0]) < 20:
            return EventKey(id=int(parts[0]))
    except ValueError as exc:
        raise InvalidInput("cursor: not a cursor this API produced") from exc
    raise InvalidInput("cursor: not a cursor of this query (did since/until change?)")


def event_cursor_after(row_id: int, occurred_at: datetime, *, time_ordered: bool) -> str:
    """The cursor pointing after an event row."""
    if time_ordered:
        return encode_cursor("t", as_utc(occurred_at).isoformat(), row_id)
    return encode_cursor(row_id)


def time_uuid_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """Decode a ``(timestamp, uuid)`` keyset cursor (sessions are keyed that way)."""
    if cursor is None or cursor == "":
        return None
    parts = _decode(cursor)
    try:
        if len(parts) != 2:
            raise ValueError(parts)
        return as_utc(datetime.fromisoformat(parts[0])), UUID(parts[1])
    except ValueError as exc:
        raise InvalidInput("cursor: not a cursor this API produced") from exc


def comma_list(
    value: str | None,
    name: str,
    *,
    allowed: frozenset[str] | None = None,
    upper: bool = False,
    max_len: int = 64,
) -> list[str] | None:
    """Split ``a,b,c``; check every item against ``allowed`` (when given)."""
    if value is None or value.strip() == "":
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    items = [v.upper() if upper else v for v in items]
    if len(items) > MAX_LIST_ITEMS:
        raise InvalidInput(f"{name}: at most {MAX_LIST_ITEMS} values")
    for item in items:
        if len(item) > max_len or (allowed is not None and item not in allowed):
            raise InvalidInput(f"{name}: unknown value {item[:max_len]!r}")
    return items or None


def ip_param(value: str | None, name: str = "src_ip") -> str | None:
    """Canonical text of an IP address (IPv4-mapped IPv6 becomes IPv4)."""
    if value is None or value == "":
        return None
    try:
        addr = ipaddress.ip_address(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"{name}: not an IP address: {value[:64]!r}") from exc
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def uuid_param(value: str | None, name: str) -> UUID | None:
    if value is None or value == "":
        return None
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: not a UUID: {value[:64]!r}") from exc


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_range(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Normalise to UTC and refuse an empty or reversed range."""
    lo = as_utc(since) if since is not None else None
    hi = as_utc(until) if until is not None else None
    if lo is not None and hi is not None and lo >= hi:
        raise InvalidInput("since must be earlier than until")
    return lo, hi
