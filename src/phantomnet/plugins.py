"""Entry-point loader for sensors, detectors, sinks and blockers.

The registry is data (``[project.entry-points."phantomnet.<kind>"]``). Only enabled
plug-ins are imported. A broken enabled plug-in is a start-up error: a honeypot that
silently lacks a sensor is worse than one that refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import ClassVar, Literal, TypeVar

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


HealthState = Literal["starting", "up", "degraded", "restarting", "stopped"]


@dataclass
class ComponentHealth:
    """A component's real state, for ``/health``, ``/metrics`` and heartbeats.

    Fed from two sides:

    * the supervisor: :meth:`crashed` when ``start``/``run`` raised (it then restarts the
      component with backoff), :meth:`running` once it runs again;
    * the component itself, for failures it survives (a database that refuses, an ack that
      could not be sent): ``self.health.failing("database", exc)`` on every failed attempt and
      ``self.health.recovered()`` once an attempt works again.

    ``failing_since`` is the wall-clock time of the first failure of the current streak;
    ``failures`` counts every failure (survived or not), ``restarts`` every restart.
    """

    state: HealthState = "starting"
    restarts: int = 0
    failures: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    #: what the current streak is: a crash (supervisor) or failing work (the component)
    cause: Literal["crash", "work"] | None = None

    def failing(self, what: str, exc: BaseException | str) -> bool:
        """Record a failure the component survives; True when it starts a failing streak."""
        self.cause = "work"
        return self._failed(what, exc)

    def _failed(self, what: str, exc: BaseException | str) -> bool:
        first = self.failing_since is None
        self.failures += 1
        self.last_error = describe_error(what, exc)
        if first:
            self.failing_since = datetime.now(UTC)
        if self.state in ("starting", "up"):
            self.state = "degraded"
        return first

    def recovered(self) -> None:
        """The failing work succeeded again."""
        self.failing_since = None
        self.cause = None
        if self.state == "degraded":
            self.state = "up"

    def crashed(self, exc: BaseException) -> bool:
        """The supervisor saw ``start``/``run`` raise; True for the first crash of a streak."""
        first = self._failed("crashed", exc)
        self.cause = "crash"
        self.state = "restarting"
        return first

    def running(self) -> None:
        """The supervisor (re)started the component; a crash streak is not over until the
        component reports :meth:`recovered` or runs long enough (:meth:`settled`)."""
        self.state = "degraded" if self.failing_since is not None else "up"

    def settled(self) -> None:
        """The supervisor saw a restarted component run long enough: a crash streak ends."""
        if self.cause == "crash":
            self.recovered()

    @property
    def ok(self) -> bool:
        """Running without failing (or finished on its own: a replayed capture file)."""
        return self.state in ("up", "stopped") and self.failing_since is None

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "restarts": self.restarts,
            "failures": self.failures,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "last_error": self.last_error,
            "cause": self.cause,
        }


def describe_error(what: str, exc: BaseException | str) -> str:
    """One line, capped: ``what: Type: message`` (never a multi-line traceback)."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    first = text.splitlines()[0] if text else ""
    return f"{what}: {first}"[:300]


class Component:
    """Something the runtime starts, runs and stops (sensor, monitor, writer, service...).

    ``start`` prepares and binds (raise to abort start-up: a taken port, a backend that does
    not work); ``run`` does the work until cancelled; ``stop`` releases resources and must
    return within a few seconds. ``describe`` feeds heartbeats and /api/honeypots/status.

    A component whose ``run`` (or restart ``start``) raises is restarted by the supervisor
    (``stop`` then ``start`` then ``run`` on the same object, with backoff), so ``start``
    must work again after ``stop``. ``health`` (a :class:`ComponentHealth`) is its real
    state; report survived failures there (see its docstring).
    """

    name: ClassVar[str] = "component"

    @property
    def health(self) -> ComponentHealth:
        """Created on first use (subclasses need not call ``super().__init__``)."""
        found = self.__dict__.get("_component_health")
        if found is None:
            found = self.__dict__["_component_health"] = ComponentHealth()
        assert isinstance(found, ComponentHealth)
        return found

    async def start(self) -> None:
        return None

    async def run(self) -> None:
        import asyncio

        await asyncio.Event().wait()

    async def stop(self) -> None:
        return None

    def describe(self) -> dict[str, object]:
        return {}
