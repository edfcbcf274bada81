"""The discriminated union of every event kind and its JSON codec.

JSON is the only wire format: the bus, the ``event.payload`` column and exports all use
:func:`dump_event` / :func:`parse_event`.
"""

from __future__ import annotations

from typing import Annotated, Union, get_args

from pydantic import Field, TypeAdapter

from phantomnet.events.analysis import Detection, Score, VerificationResult
from phantomnet.events.base import EventBase
from phantomnet.events.network import (
    NetworkArp,
    NetworkDns,
    NetworkFlow,
    NetworkHttp,
    NetworkPacket,
    NetworkSsh,
    NetworkStats,
    NetworkTls,
    ParserAnomaly,
)
from phantomnet.events.response import ResponseBlock, ResponseUnblock
from phantomnet.events.sensor import (
    AuthAttempt,
    ClientFingerprint,
    CommandError,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    DbQuery,
    FileDownload,
    FileUpload,
    HoneytokenTriggered,
    HttpRequest,
    SensorStatus,
    SessionRequest,
    SmtpMessage,
)

Event = Annotated[
    Union[  # noqa: UP007 - a runtime union, listed once
        ConnectionOpened,
        ConnectionClosed,
        AuthAttempt,
        CommandInput,
        CommandError,
        SessionRequest,
        FileUpload,
        FileDownload,
        HttpRequest,
        SmtpMessage,
        DbQuery,
        ClientFingerprint,
        HoneytokenTriggered,
        SensorStatus,
        NetworkFlow,
        NetworkPacket,
        NetworkStats,
        NetworkDns,
        NetworkHttp,
        NetworkTls,
        NetworkSsh,
        NetworkArp,
        ParserAnomaly,
        Detection,
        Score,
        VerificationResult,
        ResponseBlock,
        ResponseUnblock,
    ],
    Field(discriminator="kind"),
]

#: Every event model, in the union's order (derived from it: one list to maintain).
EVENT_TYPES: tuple[type[EventBase], ...] = get_args(get_args(Event)[0])

_ADAPTER: TypeAdapter[Event] | None = None


def _adapter() -> TypeAdapter[Event]:
    # Built on first use, not at import time.
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(Event)
    return _ADAPTER


def kind_of(model: type) -> str:
    default = model.model_fields["kind"].default  # type: ignore[attr-defined]
    assert isinstance(default, str)
    return default


def kinds() -> frozenset[str]:
    """Every event kind of the union."""
    return frozenset(kind_of(m) for m in EVENT_TYPES)


def model_for(kind: str) -> type:
    """The model class of ``kind`` (raises ``KeyError`` for an unknown kind)."""
    return {kind_of(m): m for m in EVENT_TYPES}[kind]


def parse_event(raw: bytes | str) -> Event:
    """Validate JSON into the right event model (raises ``pydantic.ValidationError``)."""
    return _adapter().validate_json(raw)


def parse_event_obj(obj: object) -> Event:
    """Validate a decoded JSON object into the right event model."""
    return _adapter().validate_python(obj)


def dump_event(event: Event) -> bytes:
    """Serialise an event to compact JSON bytes."""
    return event.model_dump_json().encode()
