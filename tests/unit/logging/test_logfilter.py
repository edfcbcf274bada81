"""Repeated log records are rate-limited: first with traceback, then a count per window."""

from __future__ import annotations

import io
import logging

from phantomnet.logfilter import RepeatFilter, install


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def logger_with(filt: RepeatFilter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(filt)
    log = logging.getLogger(f"pn-test-logfilter-{id(filt)}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.handlers = [handler]
    return log, out


def fail(log: logging.Logger, i: int) -> None:
    try:
        raise OSError(24, "Too many open files")
    except OSError:
        log.exception("accept failed on port %d", i)


def test_a_flood_is_logged_once_with_traceback_then_counted() -> None:
    clock = Clock()
    filt = RepeatFilter(10, clock=clock)
    log, out = logger_with(filt)
    for i in range(10_000):
        fail(log, i)
    text = out.getvalue()
    assert text.count("accept failed") == 1 and text.count("Traceback") == 1
    clock.now = 10.5
    fail(log, 1)
    lines = out.getvalue().splitlines()
    assert "accept failed on port 1 [repeated; 9999 like it dropped in 10 s]" in lines[-1]
    assert out.getvalue().count("Traceback") == 1  # repeats never print it again
    assert filt.dropped == 9999


def test_other_messages_pass_and_the_table_is_bounded() -> None:
    clock = Clock()
    filt = RepeatFilter(10, max_kinds=3, clock=clock)
    log, out = logger_with(filt)
    for template in ("a %s", "b %s", "c %s", "d %s"):
        log.warning(template, 1)
        log.warning(template, 2)  # dropped
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["a", "b", "c", "d"]
    log.warning("a %s", 3)  # "a" was forgotten (least recently seen): shown again
    assert out.getvalue().splitlines()[-1] == "WARNING a 3"


def test_install_puts_one_filter_on_every_root_handler() -> None:
    root = logging.getLogger()
    extra = logging.StreamHandler(io.StringIO())
    root.addHandler(extra)
    try:
        first = install()
        second = install()
        assert second in extra.filters and first not in extra.filters
    finally:
        root.removeHandler(extra)
        for handler in root.handlers:
            handler.removeFilter(second)


def test_messages_differing_in_words_are_different_kinds() -> None:
    filt = RepeatFilter(10, clock=Clock())
    log, out = logger_with(filt)
    for name in ("storage", "scoring", "storage"):
        log.info("started %s", name)
    assert out.getvalue().splitlines() == ["INFO started storage", "INFO started scoring"]
