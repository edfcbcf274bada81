"""Rate-limit repeated log records: a flood of one error never floods the log.

:class:`RepeatFilter` lets the first record of a kind through as it is (traceback included),
then drops the same kind for ``every_s`` seconds and lets one through per ``every_s`` with
the count of what it dropped, without the traceback. A kind is (logger, level, message
with its digits masked, exception type): ``"accept failed on port %d"`` with a thousand
ports is one kind (messages that differ only in their numbers: ports, counts, PIDs).
At most ``max_kinds`` kinds are tracked (least recently seen forgotten).

:func:`install` puts one on every handler of the root logger (filters on a logger would not
see records of its children); ``setup_logging`` in the CLI calls it.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

EVERY_S = 10.0
MAX_KINDS = 1000

Key = tuple[str, int, str, str]
_DIGITS = re.compile(r"\d+")


@dataclass
class _Seen:
    next_at: float
    dropped: int = 0


class RepeatFilter(logging.Filter):
    """See the module docstring."""

    def __init__(
        self,
        every_s: float = EVERY_S,
        *,
        max_kinds: int = MAX_KINDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.every_s = every_s
        self.max_kinds = max_kinds
        self.clock = clock
        self.dropped = 0
        self._seen: OrderedDict[Key, _Seen] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, "_pn_repeat", None)
        if isinstance(decided, bool):
            return decided  # the same record reaching a second handler: decided already
        record._pn_repeat = keep = self._decide(record)
        return keep

    def _decide(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        key: Key = (record.name, record.levelno, _DIGITS.sub("#", text)[:300], exc)
        now = self.clock()
        seen = self._seen.get(key)
        if seen is None:
            self._seen[key] = _Seen(now + self.every_s)
            while len(self._seen) > self.max_kinds:
                self._seen.popitem(last=False)
            return True
        self._seen.move_to_end(key)
        if now < seen.next_at:
            seen.dropped += 1
            self.dropped += 1
            return False
        if seen.dropped:
            record.msg = (
                f"{record.msg} [repeated; {seen.dropped} like it dropped in {self.every_s:g} s]"
            )
        record.exc_info, record.exc_text = None, None  # the traceback was shown the first time
        seen.next_at, seen.dropped = now + self.every_s, 0
        return True


def install(every_s: float = EVERY_S) -> RepeatFilter:
    """Put one :class:`RepeatFilter` on every handler of the root logger; return it."""
    found = RepeatFilter(every_s)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RepeatFilter)]:
            handler.removeFilter(old)
        handler.addFilter(found)
    return found
