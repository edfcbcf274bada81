"""Start every component, run them together, stop them cleanly on a signal.

Start-up is all-or-nothing: if one component cannot start (a taken port, a firewall backend
that does not work) the ones already started are stopped and the error propagates.

Once running, components fail alone: a component whose ``run`` raises is logged (the first
failure of a streak with its traceback, later ones as one line), counted in its
:class:`~phantomnet.plugins.ComponentHealth` and restarted (``stop``, ``start``, ``run`` on
the same object) after a backoff that doubles from :attr:`RestartPolicy.first_s` up to
:attr:`RestartPolicy.max_s`; a restart whose ``start`` raises counts as another failure. A run
that lasted :attr:`RestartPolicy.reset_after_s` starts the backoff over. The other components
keep running meanwhile. A ``run`` that returns on its own (a capture file replayed to its
end) is finished, not restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass

from phantomnet.plugins import Component

log = logging.getLogger(__name__)

#: Time ``stop_all`` gives all components together: the producers (sensors, stopped first)
#: let in-flight sessions finish, then the consumers (the writer, stopped last) flush.
STOP_DEADLINE_S = 20.0
#: Each component gets at least this long, even once the deadline has passed.
MIN_STOP_S = 0.5
#: After every ``stop()``, how long runs may take to finish (uvicorn's shutdown) before cancel.
GRACE_S = 2.5
#: How long one failed component may take to stop before it is started again.
RESTART_STOP_S = 4.0


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


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff between restarts of one failing component."""

    first_s: float = 0.5
    max_s: float = 30.0
    #: a run at least this long starts the backoff over (the next one is ``first_s``)
    reset_after_s: float = 60.0
    #: a restarted component running this long without failing again is ``up`` again
    healthy_after_s: float = 10.0


async def supervise(
    components: Sequence[Component],
    stop: asyncio.Event | None = None,
    *,
    policy: RestartPolicy | None = None,
) -> None:
    """Run ``components`` until ``stop`` is set or SIGINT/SIGTERM arrives.

    Raises what a component's first ``start`` raised (start-up is all-or-nothing); failures
    after that are restarted (see the module docstring) and never end the process.
    """
    stop = stop or asyncio.Event()
    policy = policy or RestartPolicy()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    started: list[Component] = []
    try:
        started = await start_all(components)
        tasks = [
            asyncio.create_task(keep_running(c, stopping, policy), name=c.name) for c in started
        ]
        await stop.wait()
    finally:
        stopping.set()
        # Graceful first (components finish their run), then cancel whatever is left.
        await stop_all(started)
        await asyncio.wait(tasks, timeout=GRACE_S) if tasks else None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def keep_running(comp: Component, stopping: asyncio.Event, policy: RestartPolicy) -> None:
    """Run an already started ``comp`` until ``stopping``; restart it with backoff on failure."""
    delay = policy.first_s
    restart = False
    while not stopping.is_set():
        began = time.monotonic()
        try:
            if restart:
                await _restart(comp)
            comp.health.running()
            settle = asyncio.get_running_loop().call_later(
                policy.healthy_after_s, comp.health.settled
            )
            try:
                await comp.run()
            finally:
                settle.cancel()
        except Exception as exc:  # any failure of one component: count, log, restart
            if stopping.is_set():
                return
            if time.monotonic() - began >= policy.reset_after_s:
                delay = policy.first_s
            _report(comp, exc, delay)
        else:
            if not stopping.is_set():
                comp.health.state = "stopped"
                log.info("%s finished", comp.name)
            return
        restart = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(delay * 2, policy.max_s)


async def _restart(comp: Component) -> None:
    """``stop`` (its errors only logged) then ``start`` (its errors are a failure)."""
    comp.health.restarts += 1
    try:
        async with asyncio.timeout(RESTART_STOP_S):
            await comp.stop()
    except Exception as exc:  # a half-dead component may fail to stop; start decides
        log.warning("%s: stop before restart failed: %s: %s", comp.name, type(exc).__name__, exc)
    await comp.start()
    log.warning("%s restarted (restart %d)", comp.name, comp.health.restarts)


def _report(comp: Component, exc: BaseException, delay: float) -> None:
    health = comp.health
    if health.crashed(exc):
        log.error("%s failed, restarting in %.1f s", comp.name, delay, exc_info=exc)
        return
    log.warning(
        "%s failed again (%d failures, restart %d), next restart in %.1f s: %s",
        comp.name,
        health.failures,
        health.restarts,
        delay,
        health.last_error,
    )
