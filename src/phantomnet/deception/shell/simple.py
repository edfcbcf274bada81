"""Simple commands: assignments, redirections, lookup along ``$PATH`` in the fake FS, run.

Lookup follows bash: builtins first, then ``$PATH`` directories *in the attacker's view*, so a
deleted ``/usr/bin/wget`` really is gone and ``/usr/sbin`` tools are missing from a user's
PATH. A path to an uploaded file is never run: ELF files of another architecture fail with
``Exec format error``, other ELF files pretend to run, scripts are interpreted by this shell.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from phantomnet.deception.fakefs import FsError, vnorm
from phantomnet.deception.shell import parser as ast
from phantomnet.deception.shell.budget import BudgetExceeded, ResourceLimit, ShellExit
from phantomnet.deception.shell.context import Cmd

if TYPE_CHECKING:
    from phantomnet.deception.shell.interp import Shell


log = logging.getLogger(__name__)
#: (command, exception type) already logged with a traceback (once each, bounded)
_LOGGED: set[tuple[str, str]] = set()


def error_prefix(shell: Shell) -> str:
    """How bash names itself in errors: ``-bash`` (login shell), ``bash`` (``bash -c``)."""
    return "-bash" if shell.interactive else "bash"


async def apply_redirects(
    shell: Shell, redirects: list[ast.Redirect], io: Cmd, body: Callable[[Cmd], Awaitable[None]]
) -> None:
    """Run ``body`` with ``redirects`` applied, then route its stdout/stderr."""
    cmd = Cmd(shell, io.args, io.input)
    cmd.stderr_to = io.stderr_to
    out_target: tuple[str, bool] | None = None  # (path, append) or ("&2", False)
    err_target: tuple[str, bool] | None = None
    for r in redirects:
        target = await shell.expand_text(r.target)
        fd = r.fd if r.fd is not None else (0 if r.op in ("<", "<<<", "<<", "<&") else 1)
        if r.op in ("<", "<&"):
            try:
                cmd.stdin = shell.fs.read(target, shell.cwd)
            except FsError as exc:
                shell.write_stderr(
                    io, f"{error_prefix(shell)}: {target}: {exc.strerror}\n".encode()
                )
                shell.status = 1
                return
        elif r.op == "<<<":
            cmd.stdin = (target + "\n").encode()
        elif r.op == ">&" and target in ("1", "2"):
            dest = ("&1", False) if target == "1" else ("&2", False)
            if fd == 2:
                err_target = out_target if target == "1" and out_target else dest
            else:
                out_target = dest
        elif r.op == "&>":
            out_target = err_target = (target, False)
        elif r.op in (">", ">>"):
            dest = (target, r.op == ">>")
            if fd == 2:
                err_target = dest
            else:
                out_target = dest
            if not _touch_target(shell, io, dest):
                return
    cmd.tty = io.tty and out_target is None
    err_buf = bytearray()
    if err_target is not None and err_target[0] != "&2":
        cmd.stderr_to = err_buf
    await body(cmd)
    if err_target is not None and err_target[0] == "&1":
        err_target = out_target
        if out_target is None:
            io.out(bytes(err_buf))
            err_buf.clear()
    _route(shell, io, bytes(cmd.stdout), out_target, to_stdout=True)
    if err_target is not None and err_target[0] != "&2":
        _route(shell, io, bytes(err_buf), err_target, to_stdout=False)


def _touch_target(shell: Shell, io: Cmd, dest: tuple[str, bool]) -> bool:
    path, append = dest
    if path.startswith("&"):
        return True
    try:
        if not shell.fs.exists(path, shell.cwd) or not append:
            shell.fs.write(
                path, b"", shell.cwd, append=append, uid=shell.user.uid, gid=shell.user.gid
            )
    except FsError as exc:
        shell.write_stderr(io, f"{error_prefix(shell)}: {path}: {exc.strerror}\n".encode())
        shell.status = 1
        return False
    return True


def _route(
    shell: Shell, io: Cmd, data: bytes, target: tuple[str, bool] | None, to_stdout: bool
) -> None:
    if target is None:
        if to_stdout:
            io.out(data)
        else:
            shell.write_stderr(io, data)
        return
    path, _append = target
    if path == "&2":
        shell.write_stderr(io, data)
        return
    if path == "&1":
        io.out(data)
        return
    if not data:
        return
    try:
        shell.fs.write(path, data, shell.cwd, append=True)
    except FsError as exc:
        shell.write_stderr(io, f"{error_prefix(shell)}: {path}: {exc.strerror}\n".encode())


async def run_simple(shell: Shell, node: ast.Simple, io: Cmd) -> None:
    words = await shell.expand_words(node.words)
    assigns = [(name, await shell.expand_text(value)) for name, value in node.assigns]
    if not words:
        for name, value in assigns:
            shell.env[name] = value
        if node.redirects:
            await apply_redirects(shell, node.redirects, io, _noop)
        shell.status = 0
        return
    saved = {name: shell.env.get(name) for name, _ in assigns}
    for name, value in assigns:
        shell.env[name] = value

    async def body(cmd: Cmd) -> None:
        cmd.args = words
        shell.status = await dispatch(shell, cmd)

    try:
        await apply_redirects(shell, node.redirects, io, body)
    finally:
        for name, old in saved.items():
            if old is None:
                shell.env.pop(name, None)
            else:
                shell.env[name] = old


async def _noop(_cmd: Cmd) -> None:
    return None


def find_in_path(shell: Shell, name: str) -> str | None:
    """Where ``name`` resolves along ``$PATH`` in the attacker's view (like ``which``)."""
    for folder in shell.env.get("PATH", "").split(":"):
        if not folder:
            continue
        candidate = f"{folder.rstrip('/')}/{name}"
        try:
            node = shell.fs.stat(candidate)
        except FsError:
            continue
        if not node.is_dir and node.mode & 0o111:
            return candidate
    return None


async def dispatch(shell: Shell, cmd: Cmd) -> int:
    """Run ``cmd.args`` as bash would; returns the exit status.

    A filesystem error a command did not handle itself is printed the generic coreutils way
    (``tool: path: strerror``), never raised into the session."""
    try:
        return await _dispatch(shell, cmd)
    except FsError as exc:
        return cmd.fs_fail(exc)
    except (ResourceLimit, BudgetExceeded, ShellExit):
        raise
    except Exception as exc:  # an emulator bug must never end the session or hide the line
        return crashed(shell, cmd, exc)


def crashed(shell: Shell, cmd: Cmd, exc: Exception) -> int:
    """A command's emulation failed: answer like a crashed program, record it, go on."""
    name = cmd.args[0] if cmd.args else "?"
    key = (name, type(exc).__name__)
    if key not in _LOGGED and len(_LOGGED) < 256:
        _LOGGED.add(key)
        log.warning("shell: %s failed in the emulator", name[:64], exc_info=exc)
    shell.result.errors.append(("emulator", f"{name[:64]}: {type(exc).__name__}"))
    cmd.err("Segmentation fault (core dumped)\n")
    return 139


async def _dispatch(shell: Shell, cmd: Cmd) -> int:
    from phantomnet.deception.shell.commands import BUILTINS, COMMANDS

    name = cmd.args[0]
    if name in BUILTINS:
        return await BUILTINS[name](cmd)
    if "/" in name:
        return await run_path(shell, cmd, vnorm(name, shell.cwd))
    where = find_in_path(shell, name)
    if where is None:
        shell.result.unknown.append(name)
        cmd.err(f"{error_prefix(shell)}: {name}: command not found\n")
        return 127
    base = where.rsplit("/", 1)[1]
    fn = COMMANDS.get(base)
    if fn is None:
        return await run_path(shell, cmd, where)
    return await fn(cmd)


async def run_path(shell: Shell, cmd: Cmd, path: str) -> int:
    """``./x`` or ``/tmp/x``: never executed; answered from what the file is."""
    from phantomnet.deception.shell.commands import COMMANDS

    shown = cmd.args[0]
    prefix = error_prefix(shell)
    try:
        node = shell.fs.stat(path)
    except FsError as exc:
        cmd.err(f"{prefix}: {shown}: {exc.strerror}\n")
        return 127
    if node.is_dir:
        cmd.err(f"{prefix}: {shown}: Is a directory\n")
        return 126
    if not node.mode & 0o111:
        cmd.err(f"{prefix}: {shown}: Permission denied\n")
        return 126
    base = path.rsplit("/", 1)[1]
    if node.gen is not None and node.gen.startswith("elf:") and base in COMMANDS:
        return await COMMANDS[base](cmd)
    head = shell.fs.read(path, limit=64 * 1024)
    if head.startswith(b"\x7fELF"):
        machine = int.from_bytes(head[18:20], "little") if len(head) >= 20 else 0
        if machine not in (0x3E, 0):
            cmd.err(f"{prefix}: {shown}: cannot execute binary file: Exec format error\n")
            return 126
        return 0
    if b"\x00" in head[:512]:
        cmd.err(f"{prefix}: {shown}: cannot execute binary file: Exec format error\n")
        return 126
    return await run_script(shell, cmd, head.decode("utf-8", "replace"), cmd.args)


async def run_script(shell: Shell, cmd: Cmd, text: str, args: list[str]) -> int:
    """Interpret a script from the fake FS with positional parameters ``args[1:]``."""
    saved = shell.positional
    shell.positional = list(args[1:])
    try:
        await shell._run_nested(text, cmd)
    finally:
        shell.positional = saved
    return shell.status
