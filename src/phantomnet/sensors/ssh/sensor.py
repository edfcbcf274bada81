"""The SSH honeypot sensor (entry point ``ssh`` in ``phantomnet.sensors``).

A raw asyncio server (:class:`FrontProtocol`) accepts every TCP connection, applies limits and
the tarpit, then hands real SSH to asyncssh configured from the persona: OpenSSH 9.2p1's
banner and algorithm lists (with SNTRUP761 and strict KEX), per-install host keys, password
and public-key auth against the shared credential policy, a fake shell (pty and exec), and
SFTP/SCP into the attacker's persistent fake filesystem.

The fake host is shared with the other doors: ``ctx.shared_object("fake_host", ...)``.
Events are built synchronously in protocol callbacks and published in order by one task.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

import asyncssh

from phantomnet.deception.host import FakeHost
from phantomnet.events import ClientFingerprint, EventBase, attacker_text
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.ssh.algorithms import host_key_algorithms, server_algorithms
from phantomnet.sensors.ssh.config import SshConfig
from phantomnet.sensors.ssh.front import ConnState, FrontProtocol
from phantomnet.sensors.ssh.keys import load_or_generate
from phantomnet.sensors.ssh.server import PhantomConnection, PhantomServer
from phantomnet.sensors.ssh.session import ShellSession
from phantomnet.sensors.ssh.sftp import PhantomSFTP
from phantomnet.sensors.ssh.tarpit import Tarpit, TarpitPolicy
from phantomnet.sensors.terminal.outbox import Outbox


def shared_host(ctx: SensorContext) -> FakeHost:
    """The process-wide fake host every door uses (the runtime builds it from [deception])."""
    host = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
    assert isinstance(host, FakeHost)
    return host


class SshSensor(Sensor):
    name: ClassVar[str] = "ssh"
    protocol: ClassVar[str] = "ssh"
    wire_logins: ClassVar[bool] = True
    standard_ports: ClassVar[tuple[int, ...]] = (22,)
    Config: ClassVar[type[SensorConfig]] = SshConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, SshConfig)
        self.config: SshConfig = config
        self.host = shared_host(ctx)
        self.persona = self.host.persona
        self.policy = self.host.policy
        self.tarpit_policy = TarpitPolicy(config.tarpit)
        self.tarpit = Tarpit(config.tarpit)
        self.outbox = Outbox(ctx.bus, config.max_pending_events)
        self.refused = 0
        self._server: asyncio.AbstractServer | None = None
        self._options: asyncssh.SSHServerConnectionOptions | None = None
        self._host_key_algs: list[bytes] = []
        self._extra_kex: list[bytes] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pty = 0
        self.active: set[FrontProtocol] = set()

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        spec = self.persona.spec.ssh
        folder = self.ctx.data_dir / "ssh" / "host_keys"
        keys = await asyncio.to_thread(load_or_generate, folder, spec.host_keys)
        self._host_key_algs = host_key_algorithms(spec, keys)
        self._extra_kex = [b"ext-info-s"] if spec.ext_info_s else []
        if spec.strict_kex:
            self._extra_kex.append(b"kex-strict-s-v00@openssh.com")
        self._options = await asyncssh.SSHServerConnectionOptions.construct(
            None,
            config=(),
            server_factory=lambda: PhantomServer(self),
            server_host_keys=keys,
            server_version=spec.version,
            process_factory=self._process,
            sftp_factory=lambda chan: PhantomSFTP(chan, self),
            allow_scp=True,
            login_timeout=spec.login_grace_s,
            keepalive_interval=0,
            line_editor=False,
            max_line_length=self.config.max_line_bytes,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_pty=True,
            encoding="utf-8",
            errors="replace",
            **server_algorithms(spec),
        )
        self._server = await bind(
            "sensors.ssh.port", self.config.host, self.config.port,
            protocol=lambda: FrontProtocol(self),
        )  # fmt: skip
        self.bound_port = bound_port(self._server)
        self._tasks = [
            asyncio.create_task(self.outbox.run()),
            asyncio.create_task(self.tarpit.run()),
        ]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.tarpit.close_all()
        for front in list(self.active):
            front.shutdown()
        await asyncio.sleep(0.05)
        # Interactive shells never end by themselves, so they are shut down above; what they
        # had produced is published before stop returns (up to the drain deadline).
        await self.outbox.flush(self.config.drain_timeout_s)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def describe(self) -> dict[str, object]:
        info = super().describe()
        info.update(
            persona=self.persona.spec.id,
            banner=self.persona.ssh_banner,
            tarpitted=len(self.tarpit.held),
            refused=self.refused,
            dropped_events=self.outbox.dropped,
        )
        return info

    def fd_budget(self) -> tuple[int, int]:
        return self.config.max_sessions, self.config.tarpit.max_held

    def shrink_elastic(self, allowed: int) -> None:
        self.tarpit.cap = max(0, allowed)

    # -- events ---------------------------------------------------------------------------
    def post(self, event: EventBase | None) -> None:
        """Queue an event for publication (never blocks; drops and counts when full)."""
        self.outbox.post(event)

    def post_fingerprint(
        self, state: ConnState, method: str, value: str, raw: str | None = None
    ) -> None:
        self.post(
            state.session.build(
                ClientFingerprint,
                protocol="ssh",
                method=method,
                value=attacker_text(value, 1024),
                raw=attacker_text(raw) if raw else None,
            )
        )

    def finish(self, state: ConnState | None) -> None:
        """A served connection ended: publish ``connection.closed`` with its recording."""
        if state is not None:
            if state.recorder is not None:
                state.recorder.close()
            self.post(state.session.close_event(state.reason, state.recording))

    # -- connection plumbing --------------------------------------------------------------
    def new_connection(self, state: ConnState) -> PhantomConnection:
        assert self._options is not None
        return PhantomConnection(
            asyncio.get_running_loop(), self._options, state, self._host_key_algs, self._extra_kex
        )

    def next_pty(self) -> int:
        self._pty = (self._pty + 1) % 8
        return self._pty

    async def _process(self, process: asyncssh.SSHServerProcess[str]) -> None:
        subsystem = process.subsystem
        if subsystem is not None:  # only sftp is served (by sftp_factory); like sshd, refuse
            state: ConnState = process.get_extra_info("connection").state
            state.session_request("subsystem", subsystem)
            with contextlib.suppress(OSError, asyncssh.Error):
                process.exit(1)
            return
        await ShellSession(self, process).run()
