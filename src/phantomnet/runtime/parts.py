"""Factories for the server-side parts, wired by role (see ``runtime.build``).

Each factory imports its package lazily: a role that does not run a part never imports it.
"""

from __future__ import annotations

from phantomnet.plugins import Component
from phantomnet.runtime.build import Factory, Runtime


def storage_writer(rt: Runtime) -> list[Component]:
    from phantomnet.storage.writer import StorageWriter

    db = rt.settings.database
    writer = StorageWriter(
        rt.bus,
        rt.engine,
        batch_size=db.batch_size,
        flush_interval_s=db.flush_interval_s,
        consumer=f"{rt.settings.node}:storage",
    )
    return [writer]


def retention_job(rt: Runtime) -> list[Component]:
    from phantomnet.storage.retention import RetentionJob

    r = rt.settings.retention
    return [RetentionJob(rt.engine, days=r.days, batch_size=r.batch_size, interval_s=r.interval_s)]


def api_server(rt: Runtime) -> list[Component]:
    from phantomnet.runtime.apiserver import ApiServer

    if not rt.settings.api.enabled:
        return []
    return [ApiServer(rt.settings, rt.engine, rt.bus, rt.status)]


SERVER = frozenset({"all", "server"})
SENSOR = frozenset({"all", "sensor"})

#: (roles, factory) in start order; sensors and detectors are built by ``runtime.build``.
PARTS: list[tuple[frozenset[str], Factory]] = [
    (SERVER, storage_writer),
    (SERVER, retention_job),
    (SERVER, api_server),
]
