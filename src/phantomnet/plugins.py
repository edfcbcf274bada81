"""Entry-point loader for sensors, detectors, sinks and blockers.

The registry is data (``[project.entry-points."phantomnet.<kind>"]``). Only enabled
plug-ins are imported. A broken enabled plug-in is a start-up error: a honeypot that
silently lacks a sensor is worse than one that refuses to start.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import ClassVar, TypeVar

from phantomnet.errors import PluginError

P = TypeVar("P")

SENSORS = "phantomnet.sensors"
DETECTORS = "phantomnet.detectors"
SINKS = "phantomnet.sinks"
BLOCKERS = "phantomnet.blockers"


def available(group: str) -> list[str]:
    """Names registered in ``group`` (nothing is imported)."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load_plugin(group: str, name: str, base: type[P]) -> type[P]:
    """Import the plug-in registered as ``name`` in ``group`` and check what it is."""
    matches = entry_points(group=group, name=name)
    if not matches:
        known = ", ".join(available(group)) or "none"
        raise PluginError(f"no {group} plug-in named {name!r} (available: {known})")
    entry = next(iter(matches))
    try:
        cls = entry.load()
    except Exception as exc:  # a broken plug-in: report it, whatever it raised
        raise PluginError(f"{group}:{name} failed to import: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(f"{group}:{name} is not a {base.__name__}")
    declared = getattr(cls, "name", None)
    if declared != name:
        raise PluginError(f"{group}:{name} declares name={declared!r}")
    return cls


class Component:
    """Something the runtime starts, runs and stops (sensor, monitor, writer, service...).

    ``start`` prepares and binds (raise to abort start-up: a taken port, a backend that does
    not work); ``run`` does the work until cancelled; ``stop`` releases resources and must
    return within a few seconds. ``describe`` feeds heartbeats and /api/honeypots/status.
    """

    name: ClassVar[str] = "component"

    async def start(self) -> None:
        return None

    async def run(self) -> None:
        import asyncio

        await asyncio.Event().wait()

    async def stop(self) -> None:
        return None

    def describe(self) -> dict[str, object]:
        return {}
