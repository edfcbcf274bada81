"""The fake shell behind an interactive door (SSH's session channel, Telnet after login).

A :class:`ShellRunner` owns one :class:`~phantomnet.deception.shell.Shell` and talks to the
client through two callables: ``write(text, stderr)`` (the door's transport) and, for
interactive sessions, ``read()`` (decoded input). Each input line becomes a ``command.input``
event *before* it runs (``known`` is false when bash would say ``command not found``); a line
that fails inside the emulator or over a budget adds ``command.error`` and the session goes
on; wget/curl requests become ``file.download`` (``fetched=false``); a planted secret typed
into the shell raises ``honeytoken.triggered``. Output and input go to the asciicast recorder.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from phantomnet.deception.shell import SessionInfo, Shell, ShellResult
from phantomnet.events import (
    CommandError,
    CommandInput,
    EventBase,
    FileDownload,
    HoneytokenTriggered,
    attacker_text,
)
from phantomnet.events.sensor import Protocol
from phantomnet.sensors.terminal.lineedit import Interrupted, LineReader
from phantomnet.sensors.terminal.recording import Recorder

if TYPE_CHECKING:
    from phantomnet.deception.host import FakeHost
    from phantomnet.sensors.base import Session

Write = Callable[[str, bool], None]


def session_info(session: Session, tty: str, default_port: int) -> SessionInfo:
    """What ``w``/``who``/``ss`` show about this login."""
    src, dst = session.src, session.dst
    return SessionInfo(
        client_ip=src.ip if src else "0.0.0.0",
        client_port=src.port or 0 if src else 0,
        server_ip=dst.ip if dst else "0.0.0.0",
        server_port=dst.port or default_port if dst else default_port,
        tty=tty,
    )


class ShellRunner:
    """One logged-in shell: runs lines, reports them, writes their output."""

    def __init__(
        self,
        *,
        host: FakeHost,
        session: Session,
        post: Callable[[EventBase | None], None],
        protocol: Protocol,
        user: str,
        tty: bool,
        tty_name: str,
        interactive: bool,
        write: Write,
        recorder: Recorder | None,
        max_line_bytes: int,
        idle_timeout_s: float,
        default_port: int,
    ) -> None:
        self.host = host
        self.session = session
        self.post = post
        self.protocol: Protocol = protocol
        self.tty = tty
        self._write = write
        self.recorder = recorder
        self.max_line_bytes = max_line_bytes
        self.idle_timeout_s = idle_timeout_s
        info = session_info(session, tty_name, default_port)
        self.shell = Shell(host, info.client_ip, user=user, info=info, interactive=interactive)
        #: the session ended on the idle timeout (``connection.closed.reason`` = timeout)
        self.timed_out = False

    def write(self, data: str | bytes, stderr: bool = False) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if self.tty:  # the pty's onlcr: the client's terminal is in raw mode
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        if self.recorder is not None:
            self.recorder.event("o", text)
        self._write(text, stderr)

    def write_result(self, result: ShellResult) -> None:
        if self.tty:
            self.write(result.output)
        else:
            self.write(result.stdout)
            self.write(result.stderr, stderr=True)

    async def run_line(self, line: str) -> ShellResult:
        """Run one line through the fake shell and report it."""
        if self.recorder is not None:
            self.recorder.event("i", line + "\n")
        if line.strip():
            # recorded before it runs: whatever the line does, it is on the record
            known = self.shell.names_known(line)
            self.post(
                self.session.build(
                    CommandInput, protocol=self.protocol, command=attacker_text(line), known=known
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
        session, post = self.session, self.post
        for reason, detail in result.errors:
            post(
                session.build(
                    CommandError,
                    protocol=self.protocol,
                    command=attacker_text(line),
                    reason=reason,
                    detail=attacker_text(detail, 256),
                )
            )
        for d in result.downloads:
            post(
                session.build(
                    FileDownload,
                    protocol=self.protocol,
                    url=attacker_text(d.url),
                    filename=attacker_text(d.filename) if d.filename else None,
                    fetched=False,
                )
            )

    def _report_tokens(self, line: str) -> None:
        for token in self.host.tokens.match_text(line):
            self.post(
                self.session.build(
                    HoneytokenTriggered,
                    token_id=token.token_id,
                    token_kind=token.kind,
                    protocol=self.protocol,
                    detail=attacker_text(line, 512),
                )
            )

    def motd(self) -> str:
        """What pam_motd and pam_lastlog print at a Debian login."""
        persona = self.host.persona
        k = persona.spec.kernel
        last = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(time.time() - 52_000))
        head = f"Linux {persona.hostname} {k.release} {k.version} {k.machine}\n"
        fs = self.shell.fs
        motd = fs.read_text("/etc/motd") if fs.exists("/etc/motd") else ""
        return f"{head}{motd}\nLast login: {last} from {persona.identity.gateway}\n"

    async def interactive(
        self,
        read: Callable[[], Awaitable[str]],
        plain_line: Callable[[], Awaitable[str | None]] | None = None,
        *,
        interrupts: tuple[type[BaseException], ...] = (),
        ignored: tuple[type[BaseException], ...] = (),
        motd: bool = True,
        reader: LineReader | None = None,
    ) -> int:
        """The read-run-print loop until ``exit``, end of input or the idle timeout.

        With a tty the line editor echoes; without one ``plain_line`` reads whole lines.
        ``interrupts`` (e.g. an SSH break) print ``^C`` and prompt again; ``ignored`` ones
        (a window change) just continue. ``reader`` continues a line discipline that is
        already running (Telnet's login: typeahead is kept). Returns the shell's exit status."""
        cap = self.max_line_bytes
        if reader is None:
            reader = LineReader(read, self.write, cap)
        else:
            reader.echo = self.write
        if self.tty and motd:
            self.write(self.motd())
        while True:
            if self.tty:
                self.write(self.shell.prompt())
            try:
                async with asyncio.timeout(self.idle_timeout_s):
                    if self.tty or plain_line is None:
                        line = await reader.readline()
                    else:
                        line = await plain_line()
            except TimeoutError:
                self.write("\ntimed out waiting for input: auto-logout\n")
                self.timed_out = True
                return 0
            except Interrupted:
                continue  # Ctrl-C: bash drops the line and prompts again
            except interrupts:
                self.write("^C\n")
                continue
            except ignored:
                continue
            if line is None:
                if self.tty:
                    self.write("logout\n")
                return self.shell.status
            result = await self.run_line(line[:cap])
            self.write_result(result)
            if result.exit:
                return result.status
