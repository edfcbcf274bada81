"""The interpreter: runs a parsed line against the fake host, never against the real one.

Every command is a Python function from the registry; nothing is executed on the machine.
Budgets bound every run (steps, output, nesting, total sleep), so ``while true`` or a fork
bomb only burns its own budget. Output goes to the terminal in order (stdout and stderr).
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from phantomnet.deception.accounts import ensure_account
from phantomnet.deception.fakefs import FsError, FsView, vnorm
from phantomnet.deception.fakefs.access import AccessView
from phantomnet.deception.persona import UserEntry
from phantomnet.deception.shell import parser as ast
from phantomnet.deception.shell.budget import (
    BudgetExceeded,
    OutOfMemory,
    ResourceLimit,
    ShellLimits,
    Slicer,
)
from phantomnet.deception.shell.budget import ShellExit as _Exit
from phantomnet.deception.shell.context import MAX_OUTPUT, Cmd, InputStream, ShellResult
from phantomnet.deception.shell.expand import ExpandEnv, expand_string, expand_word
from phantomnet.deception.shell.lexer import ShellSyntaxError

if TYPE_CHECKING:
    from phantomnet.deception.host import FakeHost

MAX_STEPS = 5000
MAX_DEPTH = 12
MAX_SLEEP_TOTAL = 30.0


@dataclass
class SessionInfo:
    """Facts about the login the shell runs in (shown by ``w``, ``who``, ``ip a``...)."""

    client_ip: str = "127.0.0.1"
    client_port: int = 0
    server_ip: str = "127.0.0.1"
    server_port: int = 22
    tty: str = "pts/0"
    login_time: float = field(default_factory=time.time)
    pid: int = 0


class Shell:
    """A bash-like session for one attacker on the fake host."""

    def __init__(
        self,
        host: FakeHost,
        attacker_ip: str,
        user: str = "root",
        info: SessionInfo | None = None,
        interactive: bool = True,
        limits: ShellLimits | None = None,
    ) -> None:
        self.host = host
        self.limits = limits or host.shell_limits
        self._slicer: Slicer | None = None
        self._view: FsView = host.fs(attacker_ip)
        self._access: dict[int, FsView] = {}
        self.attacker_ip = attacker_ip
        self.info = info or SessionInfo(client_ip=attacker_ip)
        if not self.info.pid:
            self.info.pid = 2000 + (hash(attacker_ip) % 30000)
        # A login the door accepted for a user the host lacks gets its account, as if an
        # admin had run adduser: passwd/group/shadow lines and a home, in this view.
        self.user: UserEntry = ensure_account(
            self._view, user, host.persona.identity.seed, host.persona.identity.installed_at
        ) or UserEntry(name=user, uid=65534, gid=65534, gecos="", home="/nonexistent")
        self.interactive = interactive
        self.cwd = self.user.home if self._view.is_dir(self.user.home) else "/"
        self.env = self._initial_env()
        self.status = 0
        self.history: list[str] = []
        self.positional: list[str] = []
        self.slept = 0.0
        #: seconds ``sleep``/``ping``/``wget`` may really wait per input line
        self.sleep_budget = MAX_SLEEP_TOTAL
        self.steps = 0
        self.depth = 0
        self.result = ShellResult()
        self._term = bytearray()

    @property
    def fs(self) -> FsView:
        """The attacker's view, with permission checks unless the current user is root."""
        uid = self.user.uid
        if uid == 0:
            return self._view
        if uid not in self._access:
            gids = frozenset(self._groups_of(self.user.name))
            view = AccessView(self._view, uid, self.user.gid, gids)
            self._access[uid] = cast(FsView, view)
        return self._access[uid]

    def _groups_of(self, name: str) -> set[int]:
        try:
            rows = [r.split(":") for r in self._view.read_text("/etc/group").splitlines()]
        except FsError:
            return set()
        return {
            int(r[2]) for r in rows if len(r) >= 4 and r[2].isdigit() and name in r[3].split(",")
        }

    def lookup_user(self, name: str) -> UserEntry | None:
        """The ``/etc/passwd`` entry of ``name`` in this attacker's view."""
        try:
            text = self._view.read_text("/etc/passwd")
        except FsError:
            return None
        for row in text.splitlines():
            f = row.split(":")
            if len(f) >= 7 and f[0] == name and f[2].isdigit() and f[3].isdigit():
                return UserEntry(
                    name=f[0], uid=int(f[2]), gid=int(f[3]), gecos=f[4], home=f[5], shell=f[6]
                )
        return None

    def _initial_env(self) -> dict[str, str]:
        root = self.user.uid == 0
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        if not root:
            path = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
        return {
            "SHELL": "/bin/bash",
            "PWD": self.cwd,
            "LOGNAME": self.user.name,
            "HOME": self.user.home,
            "LANG": "C.UTF-8",
            "USER": self.user.name,
            "SHLVL": "1",
            "PATH": path,
            "TERM": "xterm-256color",
            "MAIL": f"/var/mail/{self.user.name}",
            "SSH_CLIENT": f"{self.info.client_ip} {self.info.client_port} {self.info.server_port}",
            "SSH_CONNECTION": f"{self.info.client_ip} {self.info.client_port} "
            f"{self.info.server_ip} {self.info.server_port}",
            "SSH_TTY": f"/dev/{self.info.tty}",
            "_": "/usr/bin/bash",
        }

    # -- prompt and variables -------------------------------------------------------------
    def prompt(self) -> str:
        home = self.user.home
        cwd = (
            "~" + self.cwd[len(home) :]
            if self.cwd == home or self.cwd.startswith(home + "/")
            else self.cwd
        )
        mark = "#" if self.user.uid == 0 else "$"
        return f"{self.user.name}@{self.host.persona.hostname}:{cwd}{mark} "

    def get_var(self, name: str) -> str | None:
        special: dict[str, Callable[[], str]] = {
            "?": lambda: str(self.status),
            "$": lambda: str(self.info.pid),
            "#": lambda: str(len(self.positional)),
            "@": lambda: " ".join(self.positional),
            "*": lambda: " ".join(self.positional),
            "0": lambda: "-bash",
            "RANDOM": lambda: str(self.host.live.rng.randrange(32768)),
            "UID": lambda: str(self.user.uid),
            "EUID": lambda: str(self.user.uid),
            "HOSTNAME": lambda: self.host.persona.hostname,
            "PPID": lambda: str(self.info.pid - 1),
            "BASH_VERSION": lambda: self.host.persona.software("bash"),
            "PWD": lambda: self.cwd,
            "SECONDS": lambda: str(int(time.time() - self.info.login_time)),
        }
        if name in special:
            return special[name]()
        if name.isdigit():
            idx = int(name) - 1
            return self.positional[idx] if 0 <= idx < len(self.positional) else None
        return self.env.get(name)

    def _expand_env(self) -> ExpandEnv:
        return ExpandEnv(
            self.get_var, self._command_sub, self._glob, self.user.home, self.limits.check_size
        )

    async def _command_sub(self, text: str) -> str:
        saved = self._term
        self._term = bytearray()
        sub = Cmd(self, ["$()"], b"")
        try:
            await self._run_nested(text, sub)
        finally:
            self._term = saved
        return sub.stdout.decode("utf-8", "replace")

    def _glob(self, pattern: str) -> list[str]:
        absolute = pattern.startswith("/")
        parts = [p for p in pattern.split("/") if p]
        bases = ["/"] if absolute else [""]
        for part in parts:
            nxt = []
            for base in bases:
                full = vnorm(base or ".", self.cwd)
                if not any(c in part for c in "*?["):
                    cand = f"{base}{part}" if base.endswith("/") or not base else f"{base}/{part}"
                    if self.fs.lexists(cand, self.cwd):
                        nxt.append(cand)
                    continue
                try:
                    names = self.fs.listdir(full)
                except FsError:
                    continue
                for name in names:
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    if fnmatch.fnmatchcase(name, part):
                        nxt.append(
                            f"{base}{name}" if base.endswith("/") or not base else f"{base}/{name}"
                        )
            bases = nxt
        return sorted(bases)

    def names_known(self, line: str) -> bool:
        """Before running ``line``: would bash find every command it names literally?

        What ``command.input.known`` says (it is published before the line runs). Names
        that come from an expansion (``$cmd``) count as known."""
        from phantomnet.deception.shell.commands import BUILTINS
        from phantomnet.deception.shell.simple import find_in_path

        try:
            tree = ast.parse(line)
        except ShellSyntaxError:
            return True
        for name in _command_names(tree):
            if any(c in name for c in "$`\\'\"") or "/" in name or name in BUILTINS:
                continue
            if find_in_path(self, name) is None:
                return False
        return True

    # -- running --------------------------------------------------------------------------
    async def run(self, line: str) -> ShellResult:
        """Run one input line; returns what the terminal shows and what was asked for."""
        self.result = ShellResult()
        self._term = bytearray()
        self.steps = 0
        self.slept = 0.0
        if line.strip():
            self.history.append(line)
        top = Cmd(self, ["-bash"], b"")
        top.tty = self.interactive
        top.to_term = True
        self._slicer = Slicer(self.host.scheduler, self.attacker_ip, self.limits)
        await self._slicer.start()
        try:
            await self._run_nested(line, top)
        except _Exit as ex:
            self.status = ex.status
            self.result.exit = True
        except ResourceLimit as exc:
            self.depth = 0
            self._limit_hit(exc)
        except Exception as exc:  # outside any command (expansion, parsing): same answer
            from phantomnet.deception.shell.simple import crashed

            self.depth = 0
            self.status = crashed(self, top, exc)
        finally:
            self._slicer.stop()
            self._slicer = None
        self.result.output = bytes(self._term)
        self.result.stdout = bytes(top.stdout)
        self.result.status = self.status
        return self.result

    def _limit_hit(self, exc: ResourceLimit) -> None:
        """A budget ended the line: answer like bash, record it, keep the session."""
        from phantomnet.deception.shell.simple import error_prefix

        text = f"{error_prefix(self)}: {exc.message}" if exc.code == "memory" else exc.message
        self.emit(text.encode() + b"\n")
        self.result.stderr += text.encode() + b"\n"
        self.result.errors.append((exc.code, exc.detail))
        self.status = exc.status

    def check_vars(self) -> None:
        """All variables of the session together stay under ``max_vars``."""
        total = sum(len(k) + len(v) for k, v in self.env.items())
        if total > self.limits.max_vars:
            raise OutOfMemory(total)

    async def _run_nested(self, text: str, caller: Cmd) -> None:
        if self.depth >= MAX_DEPTH:
            self.write_stderr(caller, b"-bash: fork: retry: Resource temporarily unavailable\n")
            return
        try:
            tree = ast.parse(text)
        except ShellSyntaxError as exc:
            self.write_stderr(caller, f"-bash: {exc}\n".encode())
            self.status = 2
            return
        self.depth += 1
        try:
            await self.exec_list(tree, caller)
        except BudgetExceeded:
            return
        finally:
            self.depth -= 1

    def emit(self, data: bytes | bytearray) -> None:
        """Append to what the terminal shows (capped)."""
        room = MAX_OUTPUT - len(self._term)
        if room > 0:
            self._term += data[:room]

    def write_stderr(self, cmd: Cmd, data: bytes) -> None:
        """stderr of ``cmd``: redirected buffer if any, else straight to the terminal."""
        if cmd.stderr_to is not None:
            cmd.stderr_to += data
        else:
            self.emit(data)
            if len(self.result.stderr) < MAX_OUTPUT:
                self.result.stderr += data

    async def tick(self) -> None:
        """A builtin's cooperative budget check inside its loop (per line or chunk): ends
        the CPU slice when it is used up, and the line when its CPU/wall budget is."""
        if self._slicer is not None:
            await self._slicer.tick()

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.sleep_budget - self.slept))
        self.slept += seconds
        if not seconds:
            return
        if self._slicer is not None:
            await self._slicer.pause(seconds)
        else:
            await asyncio.sleep(seconds)

    async def exec_list(self, node: ast.CommandList, caller: Cmd) -> int:
        for item in node.items:
            await self.exec_and_or(item, caller)
        return self.status

    async def exec_and_or(self, node: ast.AndOr, caller: Cmd) -> int:
        status = await self.exec_pipeline(node.first, caller)
        for op, pipe in node.rest:
            if (op == "&&" and status == 0) or (op == "||" and status != 0):
                status = await self.exec_pipeline(pipe, caller)
        return status

    async def exec_pipeline(self, node: ast.Pipeline, caller: Cmd) -> int:
        data: bytes | InputStream = caller.input
        for i, command in enumerate(node.commands):
            last = i == len(node.commands) - 1
            sink = Cmd(self, caller.args, data)
            sink.stderr_to = caller.stderr_to
            sink.tty = last and caller.tty
            await self.exec_node(command, sink)
            if last:
                caller.out(bytes(sink.stdout))
            data = bytes(sink.stdout)
        if node.negate:
            self.status = 0 if self.status else 1
        return self.status

    async def exec_node(self, node: ast.Node, io: Cmd) -> None:
        from phantomnet.deception.shell.compound import run_compound
        from phantomnet.deception.shell.simple import run_simple

        self.steps += 1
        if self.steps > MAX_STEPS:
            raise BudgetExceeded
        if self._slicer is not None:
            await self._slicer.tick()
        if not self.steps % 32:
            self.check_vars()
        if isinstance(node, ast.Simple):
            await run_simple(self, node, io)
        else:
            await run_compound(self, node, io)

    async def expand_words(self, words: list[str]) -> list[str]:
        env = self._expand_env()
        out: list[str] = []
        size = 0
        for w in words:
            fields = await expand_word(w, env)
            size += sum(len(f) + 1 for f in fields)
            self.limits.check_size(size // 2)  # an argument list: twice one string's budget
            out.extend(fields)
        return out

    async def expand_text(self, text: str) -> str:
        return await expand_string(text, self._expand_env())

    def exit(self, status: int) -> None:
        raise _Exit(status)


def _command_names(node: object) -> list[str]:
    """The literal first words of every simple command in a parsed line."""
    if isinstance(node, ast.Simple):
        return node.words[:1]
    if isinstance(node, ast.CommandList):
        return [n for item in node.items for n in _command_names(item)]
    if isinstance(node, ast.AndOr):
        pipes = [node.first, *(p for _, p in node.rest)]
        return [n for p in pipes for n in _command_names(p)]
    if isinstance(node, ast.Pipeline):
        return [n for c in node.commands for n in _command_names(c)]
    if isinstance(node, ast.For | ast.Group):
        return _command_names(node.body)
    if isinstance(node, ast.Loop):
        return _command_names(node.cond) + _command_names(node.body)
    if isinstance(node, ast.If):
        parts = [x for c, b in node.branches for x in (c, b)]
        if node.otherwise is not None:
            parts.append(node.otherwise)
        return [n for p in parts for n in _command_names(p)]
    if isinstance(node, ast.Case):
        return [n for _, body in node.arms for n in _command_names(body)]
    return []
