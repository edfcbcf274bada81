"""The asyncssh side: connection subclass (persona algorithms) and authentication.

Every password and public-key attempt becomes an ``auth.attempt`` event carrying the client
version and the HASSH computed by the front from the client's own KEXINIT. Failures are
delayed like OpenSSH behind PAM, and the ``max_auth_tries``-th failure disconnects with
OpenSSH's ``Too many authentication failures``.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any

import asyncssh

from phantomnet.deception.credentials import Decision
from phantomnet.deception.fakefs import FsError
from phantomnet.events import AuthAttempt, HoneytokenTriggered

if TYPE_CHECKING:
    from phantomnet.sensors.ssh.front import ConnState
    from phantomnet.sensors.ssh.sensor import SshSensor


class PhantomConnection(asyncssh.SSHServerConnection):
    """Advertises the persona's host-key list and extra kex names (e.g. no ``ext-info-s``,
    which OpenSSH only added in 9.6)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        options: asyncssh.SSHServerConnectionOptions,
        state: ConnState,
        host_key_algs: list[bytes],
        extra_kex: list[bytes],
    ) -> None:
        super().__init__(loop, options)
        self.state = state
        if host_key_algs:
            self._server_host_key_algs = host_key_algs
        self._phantom_extra_kex = extra_kex

    def _get_extra_kex_algs(self) -> list[bytes]:
        return list(self._phantom_extra_kex)

    def _request(self, request: str, target: str = "") -> None:
        self.state.session_request(request, target)

    async def create_agent_listener(self) -> bool:
        """``ssh -A``: refused (as with ``AllowAgentForwarding no``), and recorded."""
        self._request("agent")
        return False

    async def attach_x11_listener(
        self, chan: Any, auth_proto: bytes, auth_data: bytes, screen: int
    ) -> str | None:
        """``ssh -X``: refused (``X11Forwarding no``), and recorded."""
        self._request("x11", f"screen {screen}")
        return None

    async def reload_config(self) -> None:
        """No per-user config (sshd ``Match`` blocks) here: asyncssh would rebuild every option
        in a worker thread at each login, which is most of a login's CPU."""
        return None


def authorized(sensor: SshSensor, source: str, username: str, key: asyncssh.SSHKey) -> bool:
    """Is ``key`` in ``~username/.ssh/authorized_keys`` of this source's fake filesystem?

    Bots install their key and come back with it; the key they planted keeps working for
    them (and only for them: the file lives in their own overlay)."""
    fs = sensor.host.fs(source)
    entry = sensor.host.persona.user(username)
    home = entry.home if entry else f"/home/{username}"
    try:
        text = fs.read(f"{home}/.ssh/authorized_keys", limit=256 * 1024).decode("ascii", "replace")
    except FsError:
        return False
    blob = key.export_public_key("openssh").split()[1].decode("ascii")
    return any(blob in line.split() for line in text.splitlines() if not line.startswith("#"))


class PhantomServer(asyncssh.SSHServer):
    """Authentication policy for one connection."""

    def __init__(self, sensor: SshSensor) -> None:
        self.sensor = sensor
        self.conn: PhantomConnection | None = None
        self.seen_keys: set[tuple[str, str]] = set()

    @property
    def state(self) -> ConnState:
        assert self.conn is not None
        return self.conn.state

    def connection_made(self, conn: Any) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        self.state.user = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return False

    def _attempt(self, **fields: Any) -> None:
        state = self.state
        self.sensor.post(
            state.session.build(
                AuthAttempt,
                protocol="ssh",
                client_version=state.client_version,
                hassh=state.hassh,
                **fields,
            )
        )

    async def validate_password(self, username: str, password: str) -> bool:
        source = self.state.session.src.ip if self.state.session.src else "0.0.0.0"
        decision = self.sensor.policy.check_password(source, username, password)
        self._attempt(
            method="password", username=username, password=password, accepted=decision.accepted
        )
        if decision.token is not None:
            self.sensor.post(
                self.state.session.build(
                    HoneytokenTriggered,
                    token_id=decision.token.token_id,
                    token_kind=decision.token.kind,
                    protocol="ssh",
                    detail=f"ssh login as {username[:64]}",
                )
            )
        if decision.accepted:
            self._settle()
            return True
        cfg = self.sensor.config
        jitter = random.uniform(1 - cfg.auth_fail_jitter, 1 + cfg.auth_fail_jitter)
        await asyncio.sleep(cfg.auth_fail_delay_s * jitter)
        self._failed()
        return False

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        source = self.state.session.src.ip if self.state.session.src else "0.0.0.0"
        decision = self.sensor.policy.check_publickey(source, username)
        if not decision.accepted and authorized(self.sensor, source, username, key):
            decision = Decision(True, reason="authorized_keys")
        if (username, fingerprint) not in self.seen_keys:
            self.seen_keys.add((username, fingerprint))
            self._attempt(
                method="publickey",
                username=username,
                key_fingerprint=fingerprint,
                key_type=key.get_algorithm(),
                accepted=decision.accepted,
            )
            if not decision.accepted:
                self._failed()
        if decision.accepted:
            self._settle()
        return decision.accepted

    def _settle(self) -> None:
        """Logged in: this connection is no longer an eviction candidate of first choice."""
        slot = self.state.slot
        if slot is not None:
            slot.settled = True

    def _failed(self) -> None:
        state = self.state
        state.failures += 1
        limit = self.sensor.persona.spec.ssh.max_auth_tries
        if state.failures >= limit and self.conn is not None:
            state.reason = "limit"
            self.conn.disconnect(
                asyncssh.DISC_PROTOCOL_ERROR, self.sensor.persona.spec.ssh.too_many_failures
            )

    def auth_completed(self) -> None:
        return None

    # -- forwarding: always refused, always recorded (``AllowTcpForwarding no``) -----------
    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        self.state.session_request("direct-tcpip", f"{dest_host}:{dest_port}")
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self.state.session_request("tcpip-forward", f"{listen_host}:{listen_port}")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        self.state.session_request("streamlocal", dest_path)
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        self.state.session_request("streamlocal", listen_path)
        return False
