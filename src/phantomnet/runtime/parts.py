"""Factories for the server-side parts, wired by role (see ``runtime.build``)."""

from __future__ import annotations

from phantomnet.plugins import Component
from phantomnet.runtime.build import Factory, Runtime


def storage_writer(rt: Runtime) -> list[Component]:
    from phantomnet.storage.writer import StorageWriter

    db = rt.settings.database
    return [
        StorageWriter(
            rt.bus, rt.engine, batch_size=db.batch_size, flush_interval_s=db.flush_interval_s
        )
    ]


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
    (SERVER, api_server),
]
