"""MySQL sensor: Debian 12's MariaDB 10.11 on the wire, the fake host's SQL engine behind it.

The greeting, capabilities, TLS (the persona's certificate), native-password login through
the shared credential policy, text and prepared-statement protocols, and MariaDB's error
packets; every query is a ``db.query`` event. Per-source copies of the company data live in
the engine (``host.sql``), so what one attacker changes stays theirs and survives reconnects.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import ClassVar

from phantomnet.deception.host import FakeHost
from phantomnet.deception.sql import SqlEngine
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.mysql.config import MysqlConfig, SlowMode, ThreadIds
from phantomnet.sensors.mysql.conversation import Conversation
from phantomnet.sensors.mysql.login import Gate
from phantomnet.sensors.tls import ensure_certificate, server_context

#: what MariaDB sends when ``max_connections`` is reached (before any greeting)
TOO_MANY = b"\x17\x00\x00\x00\xff\x10\x04Too many connections"


class MysqlSensor(Sensor):
    """The ``mysql`` sensor plug-in."""

    name: ClassVar[str] = "mysql"
    protocol: ClassVar[str] = "mysql"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (3306,)
    Config: ClassVar[type[SensorConfig]] = MysqlConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, MysqlConfig)
        self.config: MysqlConfig = config
        self.host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        self.gate = Gate(self.host)
        self.slow = SlowMode(config.slow)
        self.thread_ids = ThreadIds()
        self.tls_context: ssl.SSLContext | None = None
        self.questions = 0
        self._server: asyncio.Server | None = None
        self._version: str | None = None

    @property
    def version(self) -> str:
        """The persona's server version, the one ``SELECT @@version`` shows too."""
        if self._version is None:
            self._version = self.engine.server_version("mysql")
        return self._version

    @property
    def engine(self) -> SqlEngine:
        return self.host.sql

    async def start(self) -> None:
        cfg = self.config
        _ = self.version  # builds the engine (seeded data) now, not on the first greeting
        if cfg.tls:
            cert, key = ensure_certificate(
                self.ctx.data_dir / "tls", self.host.persona.hostname,
                self.host.persona.identity.installed_at,
            )  # fmt: skip
            self.tls_context = server_context(cert, key)
        self._server = await bind("sensors.mysql.port", cfg.host, cfg.port, self._on_connect)
        self.bound_port = bound_port(self._server)

    async def run(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drain()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self.connection(writer, refusal=TOO_MANY) as session:
            if session is None:
                return
            await Conversation(self, session, reader, writer, None).serve()

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "queries": self.questions,
            "tarpit_delay_s": round(self.slow.delayed_total_s, 1),
        }
