"""bash builtins: cd, echo, printf, export, read, test, exit, source, eval, type...

Wording follows bash 5.2 (``-bash: cd: /nope: No such file or directory``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from phantomnet.deception.fakefs import FsError, vnorm
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.simple import dispatch, error_prefix, find_in_path, run_script

BUILTIN_NAMES = [
    "cd",
    "pwd",
    "echo",
    "printf",
    "export",
    "unset",
    "set",
    "exit",
    "logout",
    "source",
    ".",
    "eval",
    "exec",
    "read",
    "test",
    "[",
    "true",
    "false",
    "alias",
    "unalias",
    "history",
    "type",
    "shift",
    "ulimit",
    "umask",
    "wait",
    "jobs",
    "hash",
    "command",
    "local",
    "return",
    ":",
    "help",
    "kill",
    "builtin",
    "declare",
    "typeset",
    "let",
]


def _bash_err(cmd: Cmd, text: str, status: int = 1) -> int:
    cmd.err(f"{error_prefix(cmd.shell)}: {cmd.name}: {text}\n")
    return status


async def cd(cmd: Cmd) -> int:
    sh = cmd.shell
    target = cmd.argv[0] if cmd.argv else sh.user.home
    if target == "-":
        target = sh.env.get("OLDPWD", sh.cwd)
        cmd.out(target + "\n")
    path = vnorm(target, sh.cwd)
    try:
        node = sh.fs.stat(path)
    except FsError as exc:
        return _bash_err(cmd, f"{target}: {exc.strerror}")
    if not node.is_dir:
        return _bash_err(cmd, f"{target}: Not a directory")
    if not sh.fs.access(path, 1):
        return _bash_err(cmd, f"{target}: Permission denied")
    sh.env["OLDPWD"] = sh.cwd
    sh.cwd = path
    sh.env["PWD"] = path
    return 0


async def pwd(cmd: Cmd) -> int:
    cmd.out(cmd.shell.cwd + "\n")
    return 0


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    "e": "\x1b",
    "0": "\0",
}


def unescape(text: str) -> tuple[str, bool]:
    """``echo -e`` escapes; returns (text, stop) where ``\\c`` stops output."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "c":
                return "".join(out), True
            if nxt == "x" and (m := re.match(r"[0-9a-fA-F]{1,2}", text[i + 2 :])):
                out.append(chr(int(m.group(0), 16)))
                i += 2 + len(m.group(0))
                continue
            if nxt == "0" and (m := re.match(r"[0-7]{1,3}", text[i + 2 :])):
                out.append(chr(int(m.group(0), 8)))
                i += 2 + len(m.group(0))
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out), False


async def echo(cmd: Cmd) -> int:
    args = cmd.argv
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = ("e" in args[0]) or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, stop = unescape(text)
        newline = newline and not stop
    cmd.out(text.encode("latin-1", "replace") if escapes else text)
    if newline:
        cmd.out("\n")
    return 0


def _printf_once(
    fmt: str, args: list[str], check_size: Callable[[int], None] = lambda _n: None
) -> tuple[str, int]:
    out: list[str] = []
    used = 0
    pattern = re.compile(r"%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdiouxXcbfeg%])")
    pos = 0
    for m in pattern.finditer(fmt):
        out.append(unescape(fmt[pos : m.start()])[0])
        pos = m.end()
        flags, width, prec, conv = m.groups()
        if conv == "%":
            out.append("%")
            continue
        arg = args[used] if used < len(args) else ""
        used += 1
        # a field is allocated at its full width: ``%999999999d`` is bash's xmalloc failure
        check_size(max(int(width or 0), int(prec or 0)))
        spec = f"%{flags}{width}{'.' + prec if prec else ''}"
        if conv in "diouxX":
            num = int(arg) if re.fullmatch(r"[-+]?\d+", arg.strip()) else 0
            out.append((spec + ("d" if conv == "i" else conv)) % num)
        elif conv in "feg":
            try:
                out.append((spec + conv) % float(arg or 0))
            except ValueError:
                out.append((spec + conv) % 0.0)
        elif conv == "c":
            out.append(arg[:1])
        elif conv == "b":
            out.append(unescape(arg)[0])
        else:
            out.append((spec + "s") % arg)
    out.append(unescape(fmt[pos:])[0])
    return "".join(out), used


async def printf(cmd: Cmd) -> int:
    if not cmd.argv:
        return _bash_err(cmd, "usage: printf [-v var] format [arguments]", 2)
    fmt, args = cmd.argv[0], cmd.argv[1:]
    check = cmd.shell.limits.check_size
    text, used = _printf_once(fmt, args, check)
    cmd.out(text.encode("latin-1", "replace"))
    while used and args[used:]:
        await cmd.tick()
        args = args[used:]
        text, used = _printf_once(fmt, args, check)
        cmd.out(text.encode("latin-1", "replace"))
    return 0


async def export(cmd: Cmd) -> int:
    sh = cmd.shell
    if not cmd.argv or cmd.argv == ["-p"]:
        for k in sorted(sh.env):
            cmd.out(f'declare -x {k}="{sh.env[k]}"\n')
        return 0
    for item in cmd.argv:
        name, eq, value = item.partition("=")
        if not name.isidentifier():
            cmd.err(f"{error_prefix(sh)}: export: `{item}': not a valid identifier\n")
            return 1
        if eq:
            sh.env[name] = value
        else:
            sh.env.setdefault(name, "")
    return 0


async def unset(cmd: Cmd) -> int:
    for name in cmd.argv:
        if not name.startswith("-"):
            cmd.shell.env.pop(name, None)
    return 0


async def exit_(cmd: Cmd) -> int:
    status = int(cmd.argv[0]) & 255 if cmd.argv and cmd.argv[0].lstrip("-").isdigit() else 0
    if cmd.shell.interactive and cmd.name == "exit":
        cmd.err("logout\n")
    cmd.shell.exit(status if cmd.argv else cmd.shell.status)
    return status


async def source(cmd: Cmd) -> int:
    if not cmd.argv:
        return _bash_err(cmd, "filename argument required", 2)
    try:
        text = cmd.fs.read_text(cmd.argv[0], cmd.cwd)
    except FsError as exc:
        return _bash_err(cmd, f"{cmd.argv[0]}: {exc.strerror}")
    return await run_script(cmd.shell, cmd, text, cmd.argv)


async def eval_(cmd: Cmd) -> int:
    await cmd.shell._run_nested(" ".join(cmd.argv), cmd)
    return cmd.shell.status


async def exec_(cmd: Cmd) -> int:
    if not cmd.argv:
        return 0
    cmd.args = cmd.argv
    return await dispatch(cmd.shell, cmd)


async def read(cmd: Cmd) -> int:
    names = [a for a in cmd.argv if not a.startswith("-")] or ["REPLY"]
    raw = cmd.input.readline()
    if raw is None:
        return 1
    line = raw.decode("utf-8", "replace").rstrip("\n")
    parts = line.split(None, len(names) - 1) if len(names) > 1 else [line.strip()]
    for i, name in enumerate(names):
        cmd.shell.env[name] = parts[i] if i < len(parts) else ""
    return 0


async def true(cmd: Cmd) -> int:
    return 0


async def false(cmd: Cmd) -> int:
    return 1


async def history(cmd: Cmd) -> int:
    if cmd.argv[:1] == ["-c"]:
        cmd.shell.history.clear()
        return 0
    for i, line in enumerate(cmd.shell.history, start=1):
        cmd.out(f"{i:>5}  {line}\n")
    return 0


async def type_(cmd: Cmd) -> int:
    from phantomnet.deception.shell.commands import BUILTINS

    status = 0
    for name in cmd.argv:
        if name in BUILTINS:
            cmd.out(f"{name} is a shell builtin\n")
        elif (where := find_in_path(cmd.shell, name)) is not None:
            cmd.out(f"{name} is {where}\n")
        else:
            cmd.err(f"{error_prefix(cmd.shell)}: type: {name}: not found\n")
            status = 1
    return status


async def command(cmd: Cmd) -> int:
    args = cmd.argv
    if args[:1] == ["-v"]:
        where = find_in_path(cmd.shell, args[1]) if len(args) > 1 else None
        if where:
            cmd.out(where + "\n")
        return 0 if where else 1
    if not args:
        return 0
    cmd.args = args
    return await dispatch(cmd.shell, cmd)


async def ulimit(cmd: Cmd) -> int:
    cmd.out("unlimited\n" if not cmd.argv or "-n" not in cmd.argv else "1024\n")
    return 0


async def umask(cmd: Cmd) -> int:
    if not cmd.argv:
        cmd.out("0022\n")
    return 0


async def shift(cmd: Cmd) -> int:
    n = int(cmd.argv[0]) if cmd.argv and cmd.argv[0].isdigit() else 1
    cmd.shell.positional = cmd.shell.positional[n:]
    return 0


async def let(cmd: Cmd) -> int:
    from phantomnet.deception.shell.expand import ArithError, arith

    status = 1
    for expr in cmd.argv:
        name, eq, rhs = expr.partition("=")
        try:
            if eq and name.isidentifier():
                value = arith(rhs, cmd.shell.get_var)
                cmd.shell.env[name] = str(value)
            else:
                value = arith(expr, cmd.shell.get_var)
        except ArithError:
            return 1
        status = 0 if value else 1
    return status


async def noop(cmd: Cmd) -> int:
    return 0


BUILTINS: dict[str, CommandFn] = {
    "cd": cd,
    "pwd": pwd,
    "echo": echo,
    "printf": printf,
    "export": export,
    "unset": unset,
    "exit": exit_,
    "logout": exit_,
    "source": source,
    ".": source,
    "eval": eval_,
    "exec": exec_,
    "read": read,
    "true": true,
    "false": false,
    "history": history,
    "type": type_,
    "command": command,
    "ulimit": ulimit,
    "umask": umask,
    "shift": shift,
    "let": let,
    ":": noop,
    "set": noop,
    "alias": noop,
    "unalias": noop,
    "wait": noop,
    "jobs": noop,
    "hash": noop,
    "local": export,
    "declare": export,
    "typeset": export,
    "return": noop,
}
