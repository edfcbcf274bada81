"""Resource budgets of the fake shell and fair CPU sharing between sources.

Every input line runs under :class:`ShellLimits`: a cap on the size of one string (an
expanded word, a variable, a ``printf`` field), on all the variables of a session, on the
interpreter CPU time and on the wall time of the line. Going over raises a
:class:`ResourceLimit`, which ends that line only (the session keeps its prompt).

The interpreter runs on the event loop, so heavy work is *time-sliced* cooperatively: the
interpreter calls :meth:`Slicer.tick` at every command; after ``slice_s`` of CPU it waits
``penalty`` times that long, times the number of sources busy at that moment (one source
gets at most ``1 / (1 + penalty)`` of the loop, all shells together less than
``1 / penalty``) and hands its turn to the next session of the same source.
:class:`CpuScheduler` holds one turn per source, so eight busy sessions from one address
cost the loop no more than one.

Why cooperative slicing and not a worker process: the shell's state (the attacker's
copy-on-write filesystem, SQLite overlay, honeytokens) lives in this process and is not
thread-safe; a worker would need that state copied or proxied on every command. Slicing
keeps one owner of the state and bounds any source's share of the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass


class ShellExit(Exception):
    """``exit``/``logout``: unwinds the line with a status."""

    def __init__(self, status: int) -> None:
        self.status = status


class BudgetExceeded(Exception):
    """The step budget of a line ran out: bash-like silent truncation."""


class ResourceLimit(Exception):
    """A line went over a budget; ``message`` is what the terminal shows."""

    code = "limit"
    status = 1

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class OutOfMemory(ResourceLimit):
    """Like bash when ``malloc`` fails (its message, status 2)."""

    code = "memory"
    status = 2

    def __init__(self, size: int) -> None:
        super().__init__(
            f"xmalloc: cannot allocate {size} bytes", detail=f"allocation of {size} bytes"
        )
        self.size = size


class CpuExhausted(ResourceLimit):
    """Like a process killed by ``ulimit -t`` (SIGKILL: ``Killed``, status 137)."""

    code = "cpu"
    status = 137

    def __init__(self, used: float) -> None:
        super().__init__("Killed", detail=f"cpu {used:.2f}s")


class WallExhausted(ResourceLimit):
    """The line ran longer than its wall-time budget (killed the same way)."""

    code = "time"
    status = 137

    def __init__(self, elapsed: float) -> None:
        super().__init__("Killed", detail=f"wall {elapsed:.1f}s")


@dataclass(frozen=True)
class ShellLimits:
    """Budgets of one shell session (per input line for CPU and wall time)."""

    max_string: int = 1 << 20
    max_vars: int = 8 << 20
    cpu_s: float = 2.0
    wall_s: float = 120.0
    slice_s: float = 0.002
    penalty: float = 3.0

    def check_size(self, size: int) -> None:
        if size > self.max_string:
            raise OutOfMemory(size)


class CpuScheduler:
    """One interpreter turn per source at a time (shared by every shell of the fake host)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()
        #: interpreter CPU seconds used per source since start (for ``describe``/tests)
        self.used: defaultdict[str, float] = defaultdict(float)

    async def enter(self, key: str) -> None:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] += 1
        try:
            await lock.acquire()
        except BaseException:
            self._forget(key)
            raise

    def leave(self, key: str) -> None:
        lock = self._locks.get(key)
        if lock is not None and lock.locked():
            lock.release()
        self._forget(key)

    def _forget(self, key: str) -> None:
        self._users[key] -= 1
        if self._users[key] <= 0:
            del self._users[key]
            self._locks.pop(key, None)

    def busy(self) -> int:
        """Sources currently running or waiting for a turn."""
        return len(self._users)


class Slicer:
    """The budget clock of one running line (created by ``Shell.run``)."""

    def __init__(self, sched: CpuScheduler, key: str, limits: ShellLimits) -> None:
        self.sched = sched
        self.key = key
        self.limits = limits
        self.cpu = 0.0
        self.started = time.monotonic()
        self._slice = 0.0
        self._cpu_mark = 0.0
        self._held = False

    async def start(self) -> None:
        await self.sched.enter(self.key)
        self._held = True
        self._restart()

    def _restart(self) -> None:
        self._slice = time.perf_counter()
        self._cpu_mark = time.thread_time()

    def stop(self) -> None:
        if self._held:
            self._account()
            self._held = False
            self.sched.leave(self.key)

    def _account(self) -> float:
        """Charge the slice; returns how long it held the loop (wall). The CPU budget counts
        this thread's CPU time: only this line runs during its slice, and a loaded machine
        (other processes on the cores) does not shrink an attacker's budget."""
        now, cpu = time.perf_counter(), time.thread_time()
        ran = now - self._slice
        used = max(0.0, cpu - self._cpu_mark)
        self._slice, self._cpu_mark = now, cpu
        self.cpu += used
        self.sched.used[self.key] += used
        return ran

    def check(self) -> None:
        if self.cpu > self.limits.cpu_s:
            raise CpuExhausted(self.cpu)
        elapsed = time.monotonic() - self.started
        if elapsed > self.limits.wall_s:
            raise WallExhausted(elapsed)

    async def tick(self) -> None:
        """Called at every command: end the slice when it is used up."""
        if not self._held or time.perf_counter() - self._slice < self.limits.slice_s:
            return
        ran = self._account()
        self.check()
        # wait (still holding the source's turn: its other sessions wait too), then pass
        # the turn on, FIFO, to the next session of the same source
        # scaled by the sources busy now: with k of them, each gets 1 / (1 + penalty * k) of
        # the loop, so all shells together never take more than 1 / penalty of it
        await asyncio.sleep(ran * self.limits.penalty * max(1, self.sched.busy()))
        self._held = False
        self.sched.leave(self.key)
        await self.sched.enter(self.key)
        self._held = True
        self._restart()

    async def pause(self, seconds: float) -> None:
        """A real wait (``sleep``): not CPU, and the source's turn is free meanwhile."""
        held = self._held
        self.stop()
        await asyncio.sleep(seconds)  # cancelled: nothing held, nothing to give back
        if held:
            await self.start()
        self.check()
