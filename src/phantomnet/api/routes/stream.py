"""``/api/stream``: server-sent events of new events, one lossy bus group per client.

Each client gets ``bus.subscribe("sse-<uuid>", kinds=..., lossy=True)``: a slow client loses
its oldest events instead of slowing the bus. The group is dropped (``bus.unsubscribe``) when
the client goes away. A comment line is sent at once (the stream is live from then on) and
every ``api.stream_keepalive_s`` seconds of silence, so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from phantomnet.api import params
from phantomnet.api.deps import BusDep, SettingsDep, StreamViewer
from phantomnet.bus.base import EventBus
from phantomnet.events import Event, dump_event
from phantomnet.events import kinds as event_kinds

router = APIRouter(tags=["stream"])

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
    """Yield SSE bytes until the client leaves (the generator is closed) or the bus closes."""
    group = f"sse-{uuid.uuid4().hex}"
    subscription = bus.subscribe(group, kinds=kinds, lossy=True, batch_size=batch_size)
    batches = aiter(subscription)
    try:
        yield b"retry: 3000\n: connected\n\n"
        while True:
            try:
                batch = await asyncio.wait_for(anext(batches), keepalive_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            except StopAsyncIteration:
                return
            yield b"".join(sse_message(e) for e in batch.events)
    finally:
        closer = getattr(subscription, "aclose", None)
        if closer is not None:
            await closer()
        bus.unsubscribe(group)


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
    """Live events as ``text/event-stream`` (token as Bearer header or ``?token=``)."""
    wanted = params.comma_list(kinds, "kinds", allowed=event_kinds())
    body = event_stream(
        bus,
        frozenset(wanted) if wanted else None,
        settings.api.stream_keepalive_s,
        min(settings.api.stream_queue, 500),
    )
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)
