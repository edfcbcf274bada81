"""login(1) as Debian 12 runs it under telnetd (shadow's login with pam_unix).

``<host> login: `` (echoed), ``Password: `` (not echoed, a newline after it), a wrong password
answered after pam_faildelay's 3 s (PAM randomises it by up to 25 %) with ``Login incorrect``,
an empty user name prompting again, ``Maximum number of tries exceeded (5)`` after
LOGIN_RETRIES failures, and ``Login timed out after 60 seconds.`` (LOGIN_TIMEOUT).
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from phantomnet.events import AuthAttempt, HoneytokenTriggered, attacker_text
from phantomnet.sensors.terminal.lineedit import Interrupted, LineReader

if TYPE_CHECKING:
    from phantomnet.sensors.base import Session
    from phantomnet.sensors.telnet.conn import TelnetConn
    from phantomnet.sensors.telnet.sensor import TelnetSensor


class Login:
    def __init__(self, sensor: TelnetSensor, session: Session, conn: TelnetConn) -> None:
        self.sensor = sensor
        self.session = session
        self.conn = conn
        self.failures = 0
        self.echo = True
        #: one line discipline for the whole login (typeahead survives from line to line);
        #: the shell goes on with it
        self.reader = LineReader(conn.read_text, self._echo, sensor.config.max_line_bytes)
        #: ``connection.closed.reason`` when login ends without a shell
        self.reason = "peer"

    def _write(self, text: str) -> None:
        self.conn.send_text(text)

    def _echo(self, text: str) -> None:
        if self.echo:
            self._write(text)

    async def _line(self, echo: bool) -> str | None:
        self.echo = echo
        try:
            while True:
                try:
                    return await self.reader.readline()
                except Interrupted:
                    continue
        finally:
            self.echo = True

    def _client_version(self) -> str | None:
        c = self.conn
        if not c.term:
            return None
        return f"{c.term} {c.width}x{c.height}"

    async def run(self) -> str | None:
        """The accepted user name, or None (failed, timed out, or the client left)."""
        cfg = self.sensor.config
        try:
            async with asyncio.timeout(cfg.login_timeout_s):
                return await self._attempts()
        except TimeoutError:
            self._write(f"\r\nLogin timed out after {int(cfg.login_timeout_s)} seconds.\r\n")
            self.reason = "timeout"
            return None

    async def _attempts(self) -> str | None:
        cfg = self.sensor.config
        hostname = self.sensor.host.persona.hostname
        while True:
            self._write(f"{hostname} login: ")
            await self.conn.drain()
            user = await self._line(echo=True)
            if user is None:
                return None
            if not user:
                continue
            self._write("Password: ")
            await self.conn.drain()
            password = await self._line(echo=False)
            if password is None:
                return None
            self._write("\r\n")
            if self._check(user[:256], password[:256]):
                return user[:256]
            self.failures += 1
            jitter = random.uniform(1 - cfg.auth_fail_jitter, 1 + cfg.auth_fail_jitter)
            await self.conn.drain()
            await asyncio.sleep(cfg.auth_fail_delay_s * jitter)
            self._write("\r\nLogin incorrect\r\n")
            if self.failures >= cfg.login_retries:
                self._write(f"Maximum number of tries exceeded ({cfg.login_retries})\r\n")
                self.reason = "limit"
                return None

    def _check(self, user: str, password: str) -> bool:
        source = self.session.src.ip if self.session.src else "0.0.0.0"
        decision = self.sensor.host.policy.check_password(source, user, password)
        post = self.sensor.post
        version = self._client_version()
        post(
            self.session.build(
                AuthAttempt,
                protocol="telnet",
                method="password",
                username=attacker_text(user),
                password=attacker_text(password),
                accepted=decision.accepted,
                client_version=attacker_text(version) if version else None,
            )
        )
        if decision.token is not None:
            post(
                self.session.build(
                    HoneytokenTriggered,
                    token_id=decision.token.token_id,
                    token_kind=decision.token.kind,
                    protocol="telnet",
                    detail=f"telnet login as {user[:64]}",
                )
            )
        return decision.accepted
