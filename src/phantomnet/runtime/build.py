"""Compose components from settings: the only place (with cli/ and api/) that wires concrete parts.

Roles (docs/architecture.md §3):
  all     sensors + monitor + writer + sinks + detectors + scoring + response + API (``up``)
  sensor  sensors + monitor, publishing to the bus                  (``phantomnet sensor``)
  server  writer + sinks + detectors + scoring + response + API      (``phantomnet server``)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from phantomnet import plugins
from phantomnet.bus.base import EventBus
from phantomnet.deception.config import DeceptionConfig
from phantomnet.deception.host import FakeHost
from phantomnet.detection.base import Detector
from phantomnet.detection.engine import DetectorEngine
from phantomnet.errors import ConfigError, PluginError
from phantomnet.plugins import Component
from phantomnet.runtime.heartbeat import Heartbeat
from phantomnet.runtime.limits import check_nofile
from phantomnet.runtime.ready import Ready
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext
from phantomnet.settings import Settings, validate_section
from phantomnet.sinks.base import Sink

Role = Literal["all", "sensor", "server"]
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything one ``phantomnet`` process runs."""

    settings: Settings
    bus: EventBus
    components: list[Component] = field(default_factory=list)
    engine: Any = None
    shared: dict[str, Any] = field(default_factory=dict)

    def status(self) -> list[dict[str, object]]:
        """``describe()`` of every component plus its ``health`` (and consumer ``group``);
        a component whose health is not ``up`` reports ``degraded`` whatever it says."""
        out: list[dict[str, object]] = []
        for comp in self.components:
            entry: dict[str, object] = {"component": comp.name, **comp.describe()}
            health = comp.health
            entry["health"] = health.as_dict()
            group = getattr(comp, "group", None)
            entry["group"] = group if isinstance(group, str) else None
            if not health.ok and entry.get("state", "up") in ("up", "starting"):
                entry["state"] = "degraded"
            out.append(entry)
        return out


def check_plugin_sections(settings: Settings) -> None:
    """Refuse a ``[sensors.X]``, ``[detectors.X]`` or ``[sinks.X]`` section naming no installed
    plug-in, even a disabled one: a typo (``[sensors.shh]``) must not pass as configured."""
    for kind, group, sections in (
        ("sensors", plugins.SENSORS, settings.sensors),
        ("detectors", plugins.DETECTORS, settings.detectors),
        ("sinks", plugins.SINKS, settings.sinks),
    ):
        known = plugins.available(group)
        for name in sorted(set(sections) - set(known)):
            raise ConfigError(
                f"{kind}.{name}: no {kind[:-1]} plug-in named {name!r} is installed "
                f"(available: {', '.join(known) or 'none'})"
            )


def is_enabled(section: dict[str, Any], where: str) -> bool:
    """A plug-in section's ``enabled`` (default true), read as its model reads a bool, so
    ``PHANTOMNET_SENSORS__SSH__ENABLED=false`` (a string) disables it as the TOML ``false``."""
    try:
        return TypeAdapter(bool).validate_python(section.get("enabled", True))
    except ValidationError:
        raise ConfigError(f"{where}.enabled: not a boolean: {section['enabled']!r}") from None


def enabled_sensors(settings: Settings) -> list[tuple[type[Sensor], SensorConfig]]:
    """Every registered sensor unless disabled, with its validated section; checks ports."""
    chosen: list[tuple[type[Sensor], SensorConfig]] = []
    for name in sorted(set(plugins.available(plugins.SENSORS)) | set(settings.sensors)):
        section = settings.sensors.get(name, {})
        if not is_enabled(section, f"sensors.{name}"):
            continue
        cls = plugins.load_plugin(plugins.SENSORS, name, Sensor)
        chosen.append((cls, validate_section(cls.Config, section, f"sensors.{name}")))
    check_ports(chosen)
    return chosen


def check_ports(chosen: list[tuple[type[Sensor], SensorConfig]]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for cls, cfg in chosen:
        for port in _ports(cfg):
            if port == 0:
                continue
            key = (cfg.host, port)
            if key in seen:
                raise ConfigError(
                    f"sensors.{cls.name}.port: {cfg.host}:{port} is also used by "
                    f"sensors.{seen[key]}"
                )
            seen[key] = cls.name


def _ports(cfg: SensorConfig) -> list[int]:
    extra = [getattr(cfg, f) for f in ("tls_port",) if getattr(cfg, f, None)]
    return [cfg.port, *extra]


def door_ports(settings: Settings) -> dict[int, str]:
    """Port -> protocol the monitor's wire ``brute_force`` watches, learnt from the sensors.

    Every installed sensor plug-in whose class sets ``wire_logins`` contributes its
    protocol's ``standard_ports`` (a login service on any host), and each such door that is
    enabled adds the ports it is configured on (so a door moved to 12222 is still watched).
    Doors without ``wire_logins`` (HTTP) add nothing. There is no other list of ports.
    """
    ports: dict[int, str] = {}
    chosen = enabled_sensors(settings)  # a broken enabled plug-in fails here, as at start
    for name in sorted(plugins.available(plugins.SENSORS)):
        try:
            cls = plugins.load_plugin(plugins.SENSORS, name, Sensor)
        except PluginError as exc:  # a disabled door that cannot load: its ports stay out
            log.warning("monitor: brute_force does not learn %s's ports: %s", name, exc)
            continue
        if cls.wire_logins:
            ports.update(dict.fromkeys(cls.standard_ports, cls.protocol))
    for cls, cfg in chosen:
        if cls.wire_logins:
            ports.update({port: cls.protocol for port in _ports(cfg) if port})
    return ports


def request_doors(settings: Settings) -> tuple[tuple[str, int], ...]:
    """``(host, port)`` of the enabled doors with ``request_events`` (HTTP, HTTPS), when the
    event-level ``http_attacks`` rule runs: the wire web rules leave those requests to it."""
    if not is_enabled(settings.detectors.get("http_attacks", {}), "detectors.http_attacks"):
        return ()  # nobody judges the door's events: the wire rules keep watching
    return tuple(
        (cfg.host, port)
        for cls, cfg in enabled_sensors(settings)
        if cls.request_events
        for port in _ports(cfg)
        if port
    )


def enabled_detectors(settings: Settings) -> list[Detector]:
    found: list[Detector] = []
    for name in sorted(set(plugins.available(plugins.DETECTORS)) | set(settings.detectors)):
        section = settings.detectors.get(name, {})
        if not is_enabled(section, f"detectors.{name}"):
            continue
        cls = plugins.load_plugin(plugins.DETECTORS, name, Detector)
        found.append(cls(validate_section(cls.Config, section, f"detectors.{name}"), settings.node))
    return found


def enabled_sinks(settings: Settings) -> list[Sink]:
    """Every ``[sinks.<name>]`` section not disabled, validated (sinks are opt-in: no
    section, no sink)."""
    found: list[Sink] = []
    for name in sorted(settings.sinks):
        section = settings.sinks[name]
        if not is_enabled(section, f"sinks.{name}"):
            continue
        cls = plugins.load_plugin(plugins.SINKS, name, Sink)
        found.append(cls(validate_section(cls.Config, section, f"sinks.{name}"), settings.node))
    return found


def deception_config(settings: Settings) -> DeceptionConfig:
    """``[deception]``, validated (one line naming the field on a mistake)."""
    cfg: DeceptionConfig = validate_section(DeceptionConfig, settings.deception, "deception")
    return cfg


def sensor_components(settings: Settings, bus: EventBus, shared: dict[str, Any]) -> list[Component]:
    """Every enabled door, all showing the one fake host built here from ``[deception]``."""
    out: list[Component] = []
    chosen = enabled_sensors(settings)
    data_dir = settings.data_dir.resolve()
    if chosen and "fake_host" not in shared:
        shared["fake_host"] = FakeHost.from_config(data_dir, deception_config(settings))
    for cls, cfg in chosen:
        ctx = SensorContext(node=settings.node, bus=bus, data_dir=data_dir, shared=shared)
        out.append(cls(cfg, ctx))
    return out


#: Optional parts contributed by other packages: (role set, factory(runtime) -> components).
Factory = Callable[[Runtime], list[Component]]


def build(
    settings: Settings,
    bus: EventBus,
    *,
    role: Role = "all",
    extra: list[tuple[frozenset[str], Factory]] | None = None,
    engine: Any = None,
) -> Runtime:
    """Build (but do not start) the components of ``role``."""
    check_plugin_sections(settings)
    rt = Runtime(settings=settings, bus=bus, engine=engine)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    # Consumers start before producers (the memory bus only delivers to subscribed groups)
    # and stop after them (the supervisor stops in reverse order), so nothing is lost.
    for roles, factory in extra or []:
        if role in roles:
            rt.components += factory(rt)
    if role in ("all", "server"):
        rt.components.append(DetectorEngine(bus, enabled_detectors(settings)))
    if role in ("all", "sensor"):
        rt.components += sensor_components(settings, bus, rt.shared)
        check_nofile(c for c in rt.components if isinstance(c, Sensor))
    rt.components.append(Heartbeat(bus, settings.node, list(rt.components)))
    rt.components.append(Ready(rt.components[:-1]))  # last: everything before it listens
    return rt
