"""Retrying work that fails because a broker or database is away, for every long-running loop.

* :func:`is_transient` classifies an exception: the bus or the database is unreachable right
  now (:class:`BusUnavailable`, :class:`StorageUnavailable`, connection/OS errors, the
  drivers' connection failures). Those are retried where they happen.
* :func:`until_done` runs one step (an ack, a publish, a database pass) until it succeeds:
  transient failures are recorded in the component's
  :class:`~phantomnet.plugins.ComponentHealth` (the first of a streak is logged), then
  retried after a :class:`Backoff`; anything else raises (a bug or a poison entry: the
  supervisor restarts the component and the bus redelivers, counting deliveries, until the
  entry is dead-lettered).
* :func:`every` runs a periodic job (expiry sweep, reconciliation, retention) forever: no
  exception type escapes it; each failure is counted and retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from phantomnet.errors import BusUnavailable, StorageUnavailable
from phantomnet.plugins import ComponentHealth

T = TypeVar("T")
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 5.0


class Backoff:
    """Exponential delays: ``first_s``, doubled each time, capped at ``max_s``."""

    def __init__(self, first_s: float = FIRST_BACKOFF_S, max_s: float = MAX_BACKOFF_S) -> None:
        self.first_s, self.max_s = first_s, max_s
        self.delay = first_s

    async def sleep(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.max_s)

    def reset(self) -> None:
        self.delay = self.first_s


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` means "the broker or the database is not reachable right now"."""
    if isinstance(exc, (BusUnavailable, StorageUnavailable, OSError, TimeoutError)):
        return True
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    import asyncpg

    if isinstance(exc, (asyncpg.InterfaceError, asyncpg.CannotConnectNowError)):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_transient(cause)


async def until_done(
    work: Callable[[], Awaitable[T]],
    *,
    health: ComponentHealth,
    what: str,
    log: logging.Logger,
    backoff: Backoff | None = None,
) -> T:
    """``await work()`` until it succeeds; transient failures are retried (see module doc)."""
    delays = backoff or Backoff()
    failed = False
    while True:
        try:
            result = await work()
        except Exception as exc:
            if not is_transient(exc):
                raise
            failed = True
            if health.failing(what, exc):
                log.warning("%s failed, retrying with backoff: %s", what, health.last_error)
            await delays.sleep()
            continue
        if failed:
            log.warning("%s works again (%d failures so far)", what, health.failures)
            health.recovered()
        return result


async def every(
    interval_s: float,
    work: Callable[[], Awaitable[object]],
    *,
    health: ComponentHealth,
    what: str,
    log: logging.Logger,
    first_now: bool = False,
    max_backoff_s: float | None = None,
) -> None:
    """Run ``work`` every ``interval_s`` forever; a failure (any exception) is counted, the
    first of a streak logged with its traceback (unless transient), and retried with
    backoff (never later than the next interval) until it works again."""
    delays = Backoff(max_s=min(max_backoff_s or interval_s, interval_s))
    failing = False
    if not first_now:
        await asyncio.sleep(interval_s)
    while True:
        try:
            await work()
        except Exception as exc:  # the loop boundary: nothing escapes a periodic job
            transient = is_transient(exc)
            if health.failing(what, exc):
                log.warning(
                    "%s failed, retrying with backoff: %s",
                    what,
                    health.last_error,
                    exc_info=None if transient else exc,
                )
            failing = True
            await delays.sleep()
            continue
        if failing:
            log.warning("%s works again (%d failures so far)", what, health.failures)
            health.recovered()
            failing = False
            delays.reset()
        await asyncio.sleep(interval_s)
