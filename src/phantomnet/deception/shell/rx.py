"""Attacker-supplied regular expressions (``grep``, ``sed``, ``awk``) with a time limit.

Python's ``re`` has no timeout, so a pattern like ``(a|aa)+$`` would block the event loop
for minutes. The ``regex`` library (a superset of ``re`` syntax) takes a ``timeout`` per
call; past it the line ends like a process killed by its CPU limit. The builtins call
these once per input line and check the line's budget in between (``Cmd.tick``), so the
event loop is held at most ``TIMEOUT_S`` by one call, and a line's regex time in total is
bounded by its CPU budget (``ShellLimits.cpu_s``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import AnyStr, TypeVar

import regex

from phantomnet.deception.shell.budget import CpuExhausted

T = TypeVar("T")

#: seconds one match or substitution (on one line of input) may take
TIMEOUT_S = 0.002

error = regex.error
IGNORECASE, MULTILINE = regex.I, regex.M


def compile(pattern: AnyStr, flags: int = 0) -> regex.Pattern[AnyStr]:
    return regex.compile(pattern, flags)


def search(rx: regex.Pattern[AnyStr], text: AnyStr) -> regex.Match[AnyStr] | None:
    return _guard(lambda: rx.search(text, timeout=TIMEOUT_S))


def fullmatch(rx: regex.Pattern[AnyStr], text: AnyStr) -> regex.Match[AnyStr] | None:
    return _guard(lambda: rx.fullmatch(text, timeout=TIMEOUT_S))


def sub(pattern: str, repl: str, text: str, count: int = 0, flags: int = 0) -> str:
    return _guard(lambda: regex.sub(pattern, repl, text, count=count, flags=flags,
                                    timeout=TIMEOUT_S))  # fmt: skip


def sub_compiled(rx: regex.Pattern[str], repl: str, text: str, count: int = 0) -> str:
    return _guard(lambda: rx.sub(repl, text, count=count, timeout=TIMEOUT_S))


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except TimeoutError:
        raise CpuExhausted(TIMEOUT_S) from None
