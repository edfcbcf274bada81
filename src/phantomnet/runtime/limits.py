"""File descriptors versus configured limits (``RLIMIT_NOFILE``), and accept() under EMFILE.

:func:`check_nofile` runs once when the runtime is built. Every connection slot of a sensor
(``max_sessions``) needs a descriptor, plus a reserve for listeners, databases, the bus and
the API; elastic holders (the SSH tarpit's ``max_held``) take what is left. The soft limit
is raised toward the hard one; if even the hard limit cannot cover the slots, start-up is
refused with one line naming the settings; an elastic cap that does not fit is lowered and
logged once.

When ``accept()`` still meets ``EMFILE``, asyncio backs off by itself (it stops accepting
for a second and retries) but logs a traceback each time; :class:`AcceptErrorFilter` keeps
one line per minute, with a count, so a flood cannot fill the disk with the log.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Iterable

from phantomnet.errors import ConfigError
from phantomnet.sensors.base import Sensor

log = logging.getLogger(__name__)

#: descriptors kept for everything that is not a client connection
RESERVE = 256


def _raise_soft(want: int) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft, hard
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft, hard


def check_nofile(sensors: Iterable[Sensor]) -> int:
    """Make ``RLIMIT_NOFILE`` cover the sensors' slots; returns the soft limit in force.

    Raises :class:`ConfigError` (one line) when the hard limit is too low for the slots."""
    _install_accept_filter()
    chosen = list(sensors)
    need, elastic, names = RESERVE, 0, []
    for sensor in chosen:
        fixed, extra = sensor.fd_budget()
        need += fixed
        elastic += extra
        names.append(f"sensors.{sensor.name}.max_sessions={fixed}")
    soft, hard = _raise_soft(need + elastic)
    if soft < need:
        raise ConfigError(
            f"open files: {', '.join(names)} need {need} descriptors (with {RESERVE} reserved) "
            f"but RLIMIT_NOFILE allows {soft} (hard {hard}): lower those settings or raise "
            "the limit (ulimit -n, systemd LimitNOFILE)"
        )
    room = soft - need
    if room < elastic:
        for sensor in chosen:
            _, extra = sensor.fd_budget()
            if extra:
                allowed = room * extra // elastic
                sensor.shrink_elastic(allowed)
                log.warning(
                    "open files: sensors.%s holds at most %d tarpitted connections (not %d): "
                    "RLIMIT_NOFILE is %d",
                    sensor.name,
                    allowed,
                    extra,
                    soft,
                )
    return soft


_MARKERS = ("out of system resource", "Too many open files")


class AcceptErrorFilter(logging.Filter):
    """Lets one EMFILE/accept record through per ``interval_s`` (without its traceback)."""

    def __init__(self, interval_s: float = 60.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last = float("-inf")
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if not any(m in text or (exc is not None and m in str(exc)) for m in _MARKERS):
            return True
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self.suppressed += 1
            return False
        self._last = now
        detail = f"{text}: {exc}" if exc is not None else text
        if self.suppressed:
            detail += f" ({self.suppressed} more since the last report)"
        self.suppressed = 0
        record.msg, record.args = "%s; backing off, still serving", (detail,)
        record.exc_info = record.exc_text = None
        return True


_FILTER = AcceptErrorFilter()


def _install_accept_filter() -> None:
    target = logging.getLogger("asyncio")
    if _FILTER not in target.filters:
        target.addFilter(_FILTER)
