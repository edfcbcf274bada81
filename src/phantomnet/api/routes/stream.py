"""``/api/stream``: server-sent events of new events, one lossy bus group per client.

Each client gets ``bus.subscribe("sse-<uuid>", kinds=..., lossy=True)``: a slow client loses
its oldest events instead of slowing the bus. The group is dropped (``bus.unsubscribe``) when
the client goes away. A comment line is sent at once (the stream is live from then on) and
every ``api.stream_keepalive_s`` seconds of silence, so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from phantomnet.api import params
from phantomnet.api.deps import BusDep, SettingsDep, StateDep, StreamViewer, Viewer
from phantomnet.api.schemas import StreamTicket
from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import BusError
from phantomnet.events import Event, dump_event

router = APIRouter(tags=["stream"])
log = logging.getLogger(__name__)

#: Seconds a leaving client may take to release its subscription.
CLEANUP_TIMEOUT_S = 2.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_message(event: Event) -> bytes:
    """One SSE message: ``id`` = event_id, ``event`` = kind, ``data`` = the event JSON."""
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (
        str(event.event_id).encode(),
        event.kind.encode(),
        dump_event(event),
    )


async def event_stream(
    bus: EventBus, kinds: frozenset[str] | None, keepalive_s: float, batch_size: int
) -> AsyncIterator[bytes]:
    """Yield SSE bytes until the client leaves (the generator is closed) or the bus closes.

    The next read is a task that survives keep-alive timeouts, so a bus read is never
    cancelled half-way just to send a comment; it is started before the first byte goes
    out, so the subscription is live by the time the client sees ``: connected``.
    """
    group = f"sse-{uuid.uuid4().hex}"
    subscription = bus.subscribe(group, kinds=kinds, lossy=True, batch_size=batch_size)
    batches = aiter(subscription)
    pending: asyncio.Future[Batch] | None = asyncio.ensure_future(anext(batches))
    try:
        yield b"retry: 3000\n: connected\n\n"
        while pending is not None:
            done, _ = await asyncio.wait({pending}, timeout=keepalive_s)
            if not done:
                yield b": keep-alive\n\n"
                continue
            try:
                batch = pending.result()
            except StopAsyncIteration:
                return
            except BusError as exc:
                # Headers are sent: end the stream; EventSource reconnects after ``retry``.
                log.warning("live stream ended: %s", exc)
                return
            pending = asyncio.ensure_future(anext(batches))
            yield b"".join(sse_message(e) for e in batch.events)
    finally:
        # The request's cancel scope may already be cancelled: do the synchronous cleanup
        # first, then wait for the read and the subscription shielded (and bounded).
        if pending is not None:
            pending.cancel()
        bus.unsubscribe(group)
        with anyio.move_on_after(CLEANUP_TIMEOUT_S, shield=True):
            await _finish(pending, subscription)


async def _finish(pending: asyncio.Future[Batch] | None, subscription: object) -> None:
    """Wait for the cancelled read (its result is dropped) and close the subscription."""
    if pending is not None:
        await asyncio.wait({pending})
        if not pending.cancelled() and pending.exception() is not None:
            log.debug("stream read ended with %r", pending.exception())
    closer = getattr(subscription, "aclose", None)
    if closer is not None:
        await closer()


@router.get(
    "/api/stream",
    name="stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def stream(
    _: StreamViewer,
    bus: BusDep,
    settings: SettingsDep,
    kinds: Annotated[str | None, Query(description="Comma list of event kinds.")] = None,
) -> StreamingResponse:
    """Live events as ``text/event-stream`` (Bearer header, or ``?ticket=`` from
    ``POST /api/stream/ticket``; ``?token=`` is refused)."""
    wanted = params.comma_list(kinds, "kinds", allowed=params.event_kinds())
    body = event_stream(
        bus,
        frozenset(wanted) if wanted else None,
        settings.api.stream_keepalive_s,
        min(settings.api.stream_queue, 500),
    )
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/api/stream/ticket", response_model=StreamTicket, name="ticket")
async def stream_ticket(principal: Viewer, state: StateDep) -> StreamTicket:
    """A single-use ticket for ``/api/stream?ticket=...`` (EventSource cannot send headers);
    valid for ``expires_in_s`` seconds."""
    ticket = state.tickets.issue(principal)
    return StreamTicket(ticket=ticket.value, expires_in_s=ticket.expires_in_s)
