"""Factories for the server-side parts, wired by role (see ``runtime.build``).

Each factory imports its package lazily: a role that does not run a part never imports it.
"""

from __future__ import annotations

from phantomnet.plugins import Component
from phantomnet.runtime.build import Factory, Runtime, door_ports, enabled_sinks, request_doors


def storage_writer(rt: Runtime) -> list[Component]:
    """The writer, enriching new attackers with offline geolocation when it is on."""
    from phantomnet.intel.geo import enricher
    from phantomnet.storage.writer import StorageWriter

    db = rt.settings.database
    writer = StorageWriter(
        rt.bus,
        rt.engine,
        batch_size=db.batch_size,
        flush_interval_s=db.flush_interval_s,
        consumer=f"{rt.settings.node}:storage",
        enrich=enricher(rt.settings),
    )
    return [writer]


def sinks(rt: Runtime) -> list[Component]:
    """One bus consumer per ``[sinks.<name>]`` (group ``sink-<name>``, its own cursor)."""
    from phantomnet.sinks.component import sink_component

    return [sink_component(s, rt.bus, rt.settings.node) for s in enabled_sinks(rt.settings)]


def scoring(rt: Runtime) -> list[Component]:
    from phantomnet.runtime.services import SCORING_KEY
    from phantomnet.scoring.service import build_scoring

    parts = build_scoring(rt.settings, rt.bus)
    if parts:
        rt.shared[SCORING_KEY] = parts[0]  # the API scores with the model it loads
    return parts


def retention_job(rt: Runtime) -> list[Component]:
    from phantomnet.storage.retention import RetentionJob

    r = rt.settings.retention
    return [RetentionJob(rt.engine, days=r.days, batch_size=r.batch_size, interval_s=r.interval_s)]


def response(rt: Runtime) -> list[Component]:
    """The response layer; the API shares its service (one lock, one set of counters)."""
    from phantomnet.response.component import ResponseComponent
    from phantomnet.response.factory import build_service
    from phantomnet.runtime.services import RESPONSE_KEY
    from phantomnet.storage.blocks import SqlBlockStore

    service = build_service(rt.settings, SqlBlockStore.from_engine(rt.engine), rt.bus.publish)
    rt.shared[RESPONSE_KEY] = service
    return [ResponseComponent(service, rt.bus)]


def verification(rt: Runtime) -> list[Component]:
    """The verifier (shared with the API: one cache, one history, one health table) and,
    with ``[verify.auto] enabled`` and 2+ paths of a kind, the component that verifies
    ``dns_spoof``/``ssl_strip``/``weak_tls``/``cert_change`` detections."""
    from phantomnet.runtime.services import VERIFIER_KEY, build_verifier, shared_geo

    verifier = build_verifier(rt.settings, shared_geo(rt.settings, rt.shared))
    if verifier is None:
        return []
    rt.shared[VERIFIER_KEY] = verifier
    if not verifier.cfg.auto.enabled:
        return []
    if not (verifier.can_ask("dns") or verifier.can_ask("http")):
        return []
    from phantomnet.verify.component import VerificationComponent

    return [VerificationComponent(verifier, rt.bus, rt.settings.node)]


def api_server(rt: Runtime) -> list[Component]:
    from phantomnet.runtime.apiserver import ApiServer

    if not rt.settings.api.enabled:
        return []
    return [ApiServer(rt.settings, rt.engine, rt.bus, rt.status, shared=rt.shared)]


def monitor(rt: Runtime) -> list[Component]:
    """The network monitor, when ``[monitor] interface`` is set; it learns the doors' ports."""
    from phantomnet.monitor.component import build_monitor

    return build_monitor(rt.settings, rt.bus, door_ports(rt.settings), request_doors(rt.settings))


SERVER = frozenset({"all", "server"})
SENSOR = frozenset({"all", "sensor"})

#: (roles, factory) in start order; sensors and detectors are built by ``runtime.build``.
PARTS: list[tuple[frozenset[str], Factory]] = [
    (SERVER, storage_writer),
    (SERVER, sinks),
    (SERVER, retention_job),
    (SERVER, scoring),
    (SERVER, response),
    (SERVER, verification),
    (SERVER, api_server),
    (SENSOR, monitor),
]
