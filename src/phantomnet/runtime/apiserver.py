"""The API and dashboard served by uvicorn inside the runtime's event loop."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Generator
from typing import Any

import uvicorn

from phantomnet.plugins import Component
from phantomnet.runtime.services import api_services
from phantomnet.sensors.listen import open_socket
from phantomnet.settings import Settings


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ApiServer(Component):
    """Binds in ``start`` (a taken port fails start-up), serves in ``run``."""

    name = "api"

    def __init__(
        self,
        settings: Settings,
        engine: Any,
        bus: Any,
        status: Callable[[], list[dict[str, Any]]],
        shared: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.bus = bus
        self.status = status
        self.shared = shared or {}
        self.sock: socket.socket | None = None
        self.server: _Server | None = None

    async def start(self) -> None:
        from phantomnet.api.app import create_app

        cfg = self.settings.api
        services = await api_services(self.settings, self.engine, self.bus, self.shared)
        self.sock = open_socket("api.port", cfg.host, cfg.port)
        app = create_app(
            self.settings, engine=self.engine, bus=self.bus, status=self.status, services=services
        )
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = _Server(config)

    async def run(self) -> None:
        assert self.server is not None and self.sock is not None
        try:
            await self.server.serve(sockets=[self.sock])
        finally:
            self.sock.close()

    async def stop(self) -> None:
        """Ask uvicorn to shut down (it closes the socket and runs the app's lifespan end)."""
        if self.server is not None:
            self.server.should_exit = True

    def describe(self) -> dict[str, object]:
        port = self.settings.api.port
        if self.sock is not None and self.sock.fileno() != -1:  # the bound port (0 resolved)
            port = self.sock.getsockname()[1]
        return {"listen": f"{self.settings.api.host}:{port}"}
