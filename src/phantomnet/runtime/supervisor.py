"""Start every component, run them together, stop them cleanly on a signal.

Start-up is all-or-nothing: if one component cannot start (a taken port, a firewall backend
that does not work) the ones already started are stopped and the error propagates. A
component that crashes while running stops the whole process (a honeypot silently missing a
sensor is worse than one that exits with a clear message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import Any

from phantomnet.plugins import Component

log = logging.getLogger(__name__)

#: Time ``stop_all`` gives all components together: the producers (sensors, stopped first)
#: let in-flight sessions finish, then the consumers (the writer, stopped last) flush.
STOP_DEADLINE_S = 20.0
#: Each component gets at least this long, even once the deadline has passed.
MIN_STOP_S = 0.5
#: After every ``stop()``, how long runs may take to finish (uvicorn's shutdown) before cancel.
GRACE_S = 2.5


async def start_all(components: Sequence[Component]) -> list[Component]:
    started: list[Component] = []
    try:
        for comp in components:
            await comp.start()
            started.append(comp)
            log.info("started %s", comp.name)
    except BaseException:
        await stop_all(started)
        raise
    return started


async def stop_all(components: Sequence[Component], deadline_s: float = STOP_DEADLINE_S) -> None:
    """Stop in reverse start order (producers before consumers) within one shared deadline:
    each component may use what the ones before it left (a drain takes what it needs)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    for comp in reversed(components):
        try:
            began = loop.time()
            async with asyncio.timeout(max(MIN_STOP_S, end - loop.time())):
                await comp.stop()
            log.debug("stopped %s in %.2f s", comp.name, loop.time() - began)
        except TimeoutError:
            log.warning("%s did not stop in time", comp.name)
        except Exception:  # one component's failure to stop must not keep the others up
            log.exception("%s failed to stop", comp.name)


async def supervise(components: Sequence[Component], stop: asyncio.Event | None = None) -> None:
    """Run ``components`` until ``stop`` is set, SIGINT/SIGTERM arrives or one of them fails."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started = await start_all(components)
    tasks = [asyncio.create_task(c.run(), name=c.name) for c in started]
    waiter = asyncio.create_task(stop.wait(), name="stop")
    failed: list[asyncio.Task[Any]] = []
    try:
        done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
        failed = [t for t in done if t is not waiter and not t.cancelled() and t.exception()]
    finally:
        # Graceful first (components finish their run), then cancel whatever is left.
        await stop_all(started)
        await asyncio.wait(tasks, timeout=GRACE_S) if tasks else None
        for task in [*tasks, waiter]:
            task.cancel()
        await asyncio.gather(*tasks, waiter, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    if failed:
        exc = failed[0].exception()
        assert exc is not None
        raise exc
