"""The start-up summary: once every door listens, log where each one is and the dashboard URL.

:func:`runtime.build` puts :class:`Ready` last, and the supervisor starts components in order,
so by the time ``Ready.start`` runs every door and the API have bound their sockets (a taken
port has already stopped start-up). The addresses are the bound ones (port 0 resolved).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from phantomnet.plugins import Component
from phantomnet.sensors.base import Sensor

log = logging.getLogger("phantomnet.ready")


def url_host(host: str) -> str:
    """The host to put in a URL: a wildcard address becomes loopback, IPv6 gets brackets."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    if addr.is_unspecified:
        return "127.0.0.1" if addr.version == 4 else "[::1]"
    return f"[{addr}]" if addr.version == 6 else str(addr)


class Ready(Component):
    """Logs one line per door and one for the dashboard, then idles."""

    name = "ready"

    def __init__(self, components: Sequence[Component]) -> None:
        self.components = list(components)

    def lines(self) -> list[str]:
        out = []
        for comp in self.components:
            listen = comp.describe().get("listen")
            if isinstance(comp, Sensor) and listen:
                out.append(f"door {comp.name} listening on {listen}")
        for comp in self.components:
            listen = comp.describe().get("listen")
            if comp.name == "api" and isinstance(listen, str):
                host, _, port = listen.rpartition(":")
                out.append(f"dashboard and API at http://{url_host(host.strip('[]'))}:{port}/")
        return out

    async def start(self) -> None:
        for line in self.lines():
            log.info("%s", line)
