"""Sessions after login: the interactive shell (with or without a pty) and ``exec``.

Each input line becomes a ``command.input`` event *before* it runs (``known`` is false when
bash would say ``command not found``); a line that fails inside the emulator or over a
budget adds ``command.error`` and the session goes on; wget/curl requests become
``file.download`` (``fetched=false``); a planted secret typed into the shell raises
``honeytoken.triggered``. Output and input are recorded as an asciicast v2 file.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import TYPE_CHECKING

import asyncssh

from phantomnet.deception.shell import SessionInfo, Shell, ShellResult
from phantomnet.events import (
    CommandError,
    CommandInput,
    FileDownload,
    HoneytokenTriggered,
    attacker_text,
)
from phantomnet.sensors.ssh.lineedit import Interrupted, LineReader
from phantomnet.sensors.ssh.recording import Recorder

if TYPE_CHECKING:
    from phantomnet.sensors.ssh.front import ConnState
    from phantomnet.sensors.ssh.sensor import SshSensor


class ShellSession:
    """One session channel of a logged-in client."""

    def __init__(self, sensor: SshSensor, process: asyncssh.SSHServerProcess[str]) -> None:
        self.sensor = sensor
        self.process = process
        conn = process.get_extra_info("connection")
        self.state: ConnState = conn.state
        session = self.state.session
        src, dst = session.src, session.dst
        user = process.get_extra_info("username") or "root"
        self.tty = process.get_terminal_type() is not None
        info = SessionInfo(
            client_ip=src.ip if src else "0.0.0.0",
            client_port=src.port or 0 if src else 0,
            server_ip=dst.ip if dst else "0.0.0.0",
            server_port=dst.port or 22 if dst else 22,
            tty=f"pts/{sensor.next_pty()}",
        )
        self.shell = Shell(
            sensor.host, info.client_ip, user=user, info=info, interactive=process.command is None
        )
        if sensor.config.record and self.state.recorder is None:
            width, height, _, _ = process.get_terminal_size()
            term = process.get_terminal_type() or ""
            self.state.recorder = Recorder(
                sensor.ctx.data_dir, str(session.id), width, height, term, sensor.host.disk
            )
        self.recorder: Recorder | None = self.state.recorder

    def write(self, data: str | bytes, stderr: bool = False) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if self.tty:  # the pty's onlcr: the client's terminal is in raw mode
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        if self.recorder is not None:
            self.recorder.event("o", text)
        (self.process.stderr if stderr else self.process.stdout).write(text)

    async def run(self) -> None:
        status = 0
        try:
            async with asyncio.timeout(self.sensor.config.session_timeout_s):
                if self.process.command is not None:
                    status = await self.exec(self.process.command)
                else:
                    status = await self.interactive()
        except TimeoutError:
            self.state.reason = "timeout"
            status = 255
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, ConnectionError):
            status = 255
        # the recording is closed with the connection (one file for all its channels)
        with contextlib.suppress(OSError, asyncssh.Error):
            self.process.exit(status)

    async def exec(self, command: str) -> int:
        try:
            async with asyncio.timeout(self.sensor.config.exec_timeout_s):
                result = await self.run_line(command)
        except TimeoutError:
            return 124
        if self.tty:
            self.write(result.output)
        else:
            self.write(result.stdout)
            self.write(result.stderr, stderr=True)
        return result.status

    async def run_line(self, line: str) -> ShellResult:
        """Run one line through the fake shell and report it."""
        if self.recorder is not None:
            self.recorder.event("i", line + "\n")
        session = self.state.session
        if line.strip():
            # recorded before it runs: whatever the line does, it is on the record
            known = self.shell.names_known(line)
            self.sensor.post(
                session.build(
                    CommandInput, protocol="ssh", command=attacker_text(line), known=known
                )
            )
        try:
            result = await self.shell.run(line)
        finally:
            self._report_tokens(line)
        if line.strip():
            # fork+exec on a real host: answers are never uniformly instant (a known tell)
            await asyncio.sleep(random.uniform(0.004, 0.02))
        self._report(line, result)
        return result

    def _report(self, line: str, result: ShellResult) -> None:
        session = self.state.session
        post = self.sensor.post
        for reason, detail in result.errors:
            post(
                session.build(
                    CommandError,
                    protocol="ssh",
                    command=attacker_text(line),
                    reason=reason,
                    detail=attacker_text(detail, 256),
                )
            )
        for d in result.downloads:
            post(
                session.build(
                    FileDownload,
                    protocol="ssh",
                    url=attacker_text(d.url),
                    filename=attacker_text(d.filename) if d.filename else None,
                    fetched=False,
                )
            )

    def _report_tokens(self, line: str) -> None:
        post, session = self.sensor.post, self.state.session
        for token in self.sensor.host.tokens.match_text(line):
            post(
                session.build(
                    HoneytokenTriggered,
                    token_id=token.token_id,
                    token_kind=token.kind,
                    protocol="ssh",
                    detail=attacker_text(line, 512),
                )
            )

    def _motd(self) -> str:
        persona = self.sensor.host.persona
        k = persona.spec.kernel
        last = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(time.time() - 52_000))
        head = f"Linux {persona.hostname} {k.release} {k.version} {k.machine}\n"
        motd = self.shell.fs.read_text("/etc/motd") if self.shell.fs.exists("/etc/motd") else ""
        return f"{head}{motd}\nLast login: {last} from {persona.identity.gateway}\n"

    async def _plain_line(self) -> str | None:
        raw = await self.process.stdin.readline()
        return raw.rstrip("\r\n") if raw else None

    async def interactive(self) -> int:
        cap = self.sensor.config.max_line_bytes
        reader = LineReader(lambda: self.process.stdin.read(4096), self.write, cap)
        if self.tty:
            self.write(self._motd())
        idle = self.sensor.config.idle_timeout_s
        while True:
            if self.tty:
                self.write(self.shell.prompt())
            try:
                async with asyncio.timeout(idle):
                    line = await (reader.readline() if self.tty else self._plain_line())
            except TimeoutError:
                self.write("\ntimed out waiting for input: auto-logout\n")
                self.state.reason = "timeout"
                return 0
            except Interrupted:
                continue  # Ctrl-C: bash drops the line and prompts again
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                self.write("^C\n")
                continue
            except asyncssh.TerminalSizeChanged:
                continue
            if line is None:
                if self.tty:
                    self.write("logout\n")
                return self.shell.status
            line = line[:cap]
            result = await self.run_line(line)
            if self.tty:
                self.write(result.output)
            else:
                self.write(result.stdout)
                self.write(result.stderr, stderr=True)
            if result.exit:
                return result.status
