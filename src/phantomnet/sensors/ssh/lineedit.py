"""Moved to :mod:`phantomnet.sensors.terminal.lineedit` (shared with the Telnet door)."""

from phantomnet.sensors.terminal.lineedit import Interrupted, LineReader

__all__ = ["Interrupted", "LineReader"]
