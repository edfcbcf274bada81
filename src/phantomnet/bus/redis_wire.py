"""The Redis Streams wire format and Redis error translation, shared by publisher and readers.

One stream entry per event: ``{"v": "1", "kind": <event kind>, "data": <event JSON>}``.
``kind`` is duplicated outside ``data`` so a group can skip kinds it does not want without
parsing JSON. Decoding is pure and never raises: a bad entry becomes a :class:`Malformed`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, FieldT

from phantomnet.errors import BusError, BusUnavailable
from phantomnet.events import Event, dump_event, kinds, parse_event

WIRE_VERSION = b"1"
#: Error replies meaning "this server cannot take writes right now" (retry, spool).
_UNAVAILABLE_REPLIES = frozenset({"OOM", "READONLY", "LOADING", "MASTERDOWN", "TRYAGAIN"})
_ERROR_CAP = 1000


def encode(event: Event) -> dict[bytes, bytes]:
    """The stream entry fields of ``event``."""
    return {b"v": WIRE_VERSION, b"kind": event.kind.encode(), b"data": dump_event(event)}


def encode_json(kind: str, data: bytes) -> dict[bytes, bytes]:
    """The stream entry fields of an event already serialised (spool replay)."""
    return {b"v": WIRE_VERSION, b"kind": kind.encode(), b"data": data}


def as_fields(fields: dict[bytes, bytes]) -> dict[FieldT, EncodableT]:
    """``fields`` typed as redis-py's ``XADD`` wants them (its dict type is invariant)."""
    return cast("dict[FieldT, EncodableT]", fields)


@dataclass(frozen=True)
class Malformed:
    """An entry that is not a valid event; ``error`` says why (capped)."""

    error: str


def entry_kind(fields: dict[bytes, bytes]) -> str | None:
    """The entry's ``kind`` field as text, or None when it is missing or not UTF-8."""
    raw = fields.get(b"kind")
    if raw is None:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


_KNOWN_KINDS: frozenset[str] | None = None


def known_kinds() -> frozenset[str]:
    """Every event kind (computed on first use, then cached: decoding is a hot path)."""
    global _KNOWN_KINDS
    if _KNOWN_KINDS is None:
        _KNOWN_KINDS = kinds()
    return _KNOWN_KINDS


def decode(fields: dict[bytes, bytes]) -> Event | Malformed:
    """Validate one entry into its event; never raises."""
    version = fields.get(b"v")
    if version != WIRE_VERSION:
        return Malformed(f"unsupported wire version {version!r}")
    kind = entry_kind(fields)
    if kind is None or kind not in known_kinds():
        return Malformed(f"unknown kind {fields.get(b'kind')!r}")
    data = fields.get(b"data")
    if data is None:
        return Malformed("no data field")
    try:
        event = parse_event(data)
    except ValidationError as exc:
        return Malformed(_summary(exc))
    if event.kind != kind:
        return Malformed(f"kind field {kind!r} but data is {event.kind!r}")
    return event


def _summary(exc: ValidationError) -> str:
    """A short reason (no attacker input echoed back), e.g. ``username: Field required``."""
    parts = [
        f"{'.'.join(map(str, err['loc'])) or '<root>'}: {err['msg']}"
        for err in exc.errors(include_url=False, include_input=False)[:5]
    ]
    return "; ".join(parts)[:_ERROR_CAP]


def dead_letter_fields(
    fields: dict[bytes, bytes],
    *,
    error: str,
    stream: str,
    entry_id: bytes,
    group: str,
    deliveries: int = 0,
) -> dict[bytes, bytes]:
    """What is parked in the dead-letter stream: the raw fields, where from, and why.

    ``deliveries``: how many times the entry was delivered without an ack (poison entries);
    0 for an entry that could not be decoded at all.
    """
    parked: dict[bytes, bytes] = {
        b"error": error[:_ERROR_CAP].encode(),
        b"source_stream": stream.encode(),
        b"source_id": entry_id,
        b"group": group.encode(),
        b"deliveries": str(deliveries).encode(),
    }
    for key, value in fields.items():
        parked[b"raw_" + key[:64]] = value
    return parked


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn redis-py errors into the PhantomNet tree (BusUnavailable = retry later)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise BusUnavailable(f"redis unreachable ({what}): {exc}") from exc
    except ResponseError as exc:
        if str(exc).split(" ", 1)[0] in _UNAVAILABLE_REPLIES:
            raise BusUnavailable(f"redis refused {what}: {exc}") from exc
        raise BusError(f"redis {what} failed: {exc}") from exc
    except RedisError as exc:
        raise BusError(f"redis {what} failed: {exc}") from exc


class EveryN:
    """Log the first occurrence and then one in every ``n`` (floods never flood the log)."""

    def __init__(self, logger: logging.Logger, n: int) -> None:
        self._logger = logger
        self._n = max(1, n)
        self.count = 0

    def hit(self, message: str, *args: object) -> None:
        self.count += 1
        if self.count == 1 or self.count % self._n == 0:
            self._logger.warning(message + " (%d so far)", *args, self.count)
