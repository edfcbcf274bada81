"""Waiting on a condition in tests: a generous deadline, then the caller asserts the outcome.

A busy machine (2 cores, many test runs) can be ten times slower than a quiet one, so the
deadline is there to end a hung test, never to measure speed. ``pytest-timeout`` still bounds
every test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

GENEROUS_S = 120.0


async def until(
    cond: Callable[[], bool | Awaitable[bool]], timeout: float = GENEROUS_S, every: float = 0.05
) -> bool:
    """Wait until ``cond()`` (sync or async) is true; False when ``timeout`` passed first."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        ok = cond()
        if not isinstance(ok, bool):
            ok = await ok
        if ok or loop.time() >= end:
            return ok
        await asyncio.sleep(every)
