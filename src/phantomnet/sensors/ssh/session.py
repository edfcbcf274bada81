"""Sessions after login: the interactive shell (with or without a pty) and ``exec``.

The shell itself, its events and its recording are the shared
:class:`~phantomnet.sensors.terminal.runner.ShellRunner` (the Telnet door runs the same one);
this module only adapts an asyncssh session channel to it. Output and input are recorded as
one asciicast v2 file per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import asyncssh

from phantomnet.deception.shell import ShellResult
from phantomnet.sensors.terminal.recording import Recorder
from phantomnet.sensors.terminal.runner import ShellRunner

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
        user = process.get_extra_info("username") or "root"
        self.tty = process.get_terminal_type() is not None
        if sensor.config.record and self.state.recorder is None:
            width, height, _, _ = process.get_terminal_size()
            term = process.get_terminal_type() or ""
            self.state.recorder = Recorder(
                sensor.ctx.data_dir, str(session.id), width, height, term, sensor.host.disk
            )
        self.recorder: Recorder | None = self.state.recorder
        self.runner = ShellRunner(
            host=sensor.host,
            session=session,
            post=sensor.post,
            protocol="ssh",
            user=user,
            tty=self.tty,
            tty_name=f"pts/{sensor.next_pty()}",
            interactive=process.command is None,
            write=self._send,
            recorder=self.recorder,
            max_line_bytes=sensor.config.max_line_bytes,
            idle_timeout_s=sensor.config.idle_timeout_s,
            default_port=22,
        )
        self.shell = self.runner.shell

    def _send(self, text: str, stderr: bool) -> None:
        (self.process.stderr if stderr else self.process.stdout).write(text)

    def write(self, data: str | bytes, stderr: bool = False) -> None:
        self.runner.write(data, stderr)

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
        self.runner.write_result(result)
        return result.status

    async def run_line(self, line: str) -> ShellResult:
        return await self.runner.run_line(line)

    async def _plain_line(self) -> str | None:
        raw = await self.process.stdin.readline()
        return raw.rstrip("\r\n") if raw else None

    async def interactive(self) -> int:
        status = await self.runner.interactive(
            lambda: self.process.stdin.read(4096),
            self._plain_line,
            interrupts=(asyncssh.BreakReceived, asyncssh.SignalReceived),
            ignored=(asyncssh.TerminalSizeChanged,),
        )
        if self.runner.timed_out:
            self.state.reason = "timeout"
        return status
