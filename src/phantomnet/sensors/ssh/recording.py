"""Moved to :mod:`phantomnet.sensors.terminal.recording` (shared with the Telnet door)."""

from phantomnet.sensors.terminal.recording import MAX_RECORDING, Recorder

__all__ = ["MAX_RECORDING", "Recorder"]
