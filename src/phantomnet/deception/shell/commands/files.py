"""coreutils file commands over the fake FS: ls, cat, mkdir, rm, cp, mv, touch, chmod...

Error wording is coreutils 9.1's (quoting differs per tool: ``ls``/``rm``/``touch`` always
quote with ``'``, ``mkdir`` uses locale quotes ``\u2018\u2019``, ``cat`` does not quote).
"""

from __future__ import annotations

import errno
import posixpath
import time

from phantomnet.deception.fakefs import FsError, Node, mode_string, vname, vnorm
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.getopt import split_opts


def _owner(cmd: Cmd, uid: int) -> str:
    if uid == 0:
        return "root"
    for line in _passwd(cmd):
        if line[2:3] == [str(uid)]:
            return line[0]
    return str(uid)


def _passwd(cmd: Cmd) -> list[list[str]]:
    try:
        text = cmd.fs.read_text("/etc/passwd")
    except FsError:
        return []
    return [row.split(":") for row in text.splitlines() if row.count(":") >= 6]


def _group(cmd: Cmd, gid: int) -> str:
    return {0: "root", 33: "www-data", 4: "adm", 42: "shadow"}.get(gid) or _owner(cmd, gid)


def _when(mtime: float) -> str:
    t = time.localtime(mtime)
    if time.time() - mtime > 180 * 86400:
        return time.strftime("%b %e  %Y", t)
    return time.strftime("%b %e %H:%M", t)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            if unit == "":
                return str(int(value))
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
        value /= 1024
    return str(size)


def _long_fields(cmd: Cmd, name: str, node: Node, human: bool) -> list[str]:
    size = 4096 if node.is_dir else node.size
    shown = _human(size) if human else str(size)
    if node.kind == "link":
        name = f"{name} -> {node.target}"
    if node.kind == "chr":
        shown = "1, 3"
    links = "2" if node.is_dir else "1"
    user, group = _owner(cmd, node.uid), _group(cmd, node.gid)
    return [mode_string(node), links, user, group, shown, _when(node.mtime), name]


def _long_lines(cmd: Cmd, entries: list[tuple[str, Node]], human: bool) -> str:
    """``ls -l`` rows with coreutils' per-column widths (numbers right, names left)."""
    rows = [_long_fields(cmd, n, node, human) for n, node in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out = []
    for r in rows:
        out.append(
            f"{r[0]} {r[1]:>{widths[1]}} {r[2]:<{widths[2]}} {r[3]:<{widths[3]}} "
            f"{r[4]:>{widths[4]}} {r[5]} {r[6]}\n"
        )
    return "".join(out)


def _columns(names: list[str], width: int = 80) -> str:
    if not names:
        return ""
    for rows in range(1, len(names) + 1):
        cols = -(-len(names) // rows)
        widths = [max(len(n) for n in names[c * rows : (c + 1) * rows]) + 2 for c in range(cols)]
        if sum(widths) - 2 <= width or rows == len(names):
            lines = []
            for r in range(rows):
                cells = [names[c * rows + r] for c in range(cols) if c * rows + r < len(names)]
                lines.append(
                    "".join(n.ljust(widths[c]) for c, n in enumerate(cells[:-1])) + cells[-1]
                )
            return "\n".join(lines) + "\n"
    return "\n".join(names) + "\n"


async def ls(cmd: Cmd) -> int:
    opts, paths = split_opts(cmd.argv)
    show_all, long_, human = "a" in opts or "A" in opts, "l" in opts, "h" in opts
    one, dir_only = "1" in opts or not cmd.tty, "d" in opts
    status = 0
    files: list[tuple[str, Node]] = []
    dirs: list[tuple[str, str]] = []
    for path in paths or ["."]:
        try:
            node = cmd.fs.stat(path, cmd.cwd) if not long_ else cmd.fs.lstat(path, cmd.cwd)
            if node.kind == "link" and not dir_only:
                target = cmd.fs.stat(path, cmd.cwd)
                node = target if target.is_dir else node
        except FsError as exc:
            cmd.err(f"ls: cannot access '{path}': {exc.strerror}\n")
            status = 2
            continue
        (
            dirs.append((path, vnorm(path, cmd.cwd)))
            if node.is_dir and not dir_only
            else files.append((path, node))
        )
    _ls_block(cmd, files, long_, human, one)
    for i, (shown, real) in enumerate(dirs):
        if len(paths) > 1:
            cmd.out(("\n" if files or i else "") + f"{shown}:\n")
        try:
            names = cmd.fs.listdir(real)
        except FsError as exc:
            cmd.err(f"ls: cannot open directory '{shown}': {exc.strerror}\n")
            status = 2
            continue
        if not show_all:
            names = [n for n in names if not n.startswith(".")]
        elif "a" in opts:
            names = [".", "..", *names]
        entries = []
        for name in names:
            try:
                entries.append((name, cmd.fs.lstat(posixpath.join(real, name))))
            except FsError:
                continue
        if long_:
            total = sum(max(4, -(-n.size // 1024)) if n.kind == "file" else 4 for _, n in entries)
            cmd.out(f"total {total}\n")
        _ls_block(cmd, entries, long_, human, one)
    return status


def _ls_block(
    cmd: Cmd, entries: list[tuple[str, Node]], long_: bool, human: bool, one: bool
) -> None:
    if not entries:
        return
    if long_:
        cmd.out(_long_lines(cmd, entries, human))
    elif one:
        cmd.out("".join(n + "\n" for n, _ in entries))
    else:
        cmd.out(_columns([n for n, _ in entries]))


async def cat(cmd: Cmd) -> int:
    _opts, paths = split_opts(cmd.argv)
    status = 0
    for path in paths or ["-"]:
        if path == "-":
            cmd.out(cmd.stdin)
            continue
        try:
            cmd.out(cmd.fs.read(path, cmd.cwd, limit=1024 * 1024))
        except FsError as exc:
            cmd.err(f"cat: {path}: {exc.strerror}\n")
            status = 1
    return status


async def mkdir(cmd: Cmd) -> int:
    opts, paths = split_opts(cmd.argv, takes_value="m")
    if not paths:
        return cmd.fail("missing operand\nTry 'mkdir --help' for more information.")
    status = 0
    for path in paths:
        try:
            cmd.fs.mkdir(
                path, cmd.cwd, parents="p" in opts, uid=cmd.shell.user.uid, gid=cmd.shell.user.gid
            )
        except FsError as exc:
            cmd.err(f"mkdir: cannot create directory \u2018{path}\u2019: {exc.strerror}\n")
            status = 1
    return status


async def rm(cmd: Cmd) -> int:
    opts, paths = split_opts(cmd.argv)
    recursive, force = bool({"r", "R"} & opts), "f" in opts
    if not paths and not force:
        return cmd.fail("missing operand\nTry 'rm --help' for more information.")
    status = 0
    for path in paths:
        if vnorm(path, cmd.cwd) == "/" and recursive:
            cmd.err(
                "rm: it is dangerous to operate recursively on '/'\n"
                "rm: use --no-preserve-root to override this failsafe\n"
            )
            status = 1
            continue
        try:
            cmd.fs.remove(path, cmd.cwd, recursive=recursive, dirs="d" in opts)
        except FsError as exc:
            if force and exc.code == 2:
                continue
            cmd.err(f"rm: cannot remove '{path}': {exc.strerror}\n")
            status = 1
    return status


async def rmdir(cmd: Cmd) -> int:
    _opts, paths = split_opts(cmd.argv)
    status = 0
    for path in paths:
        try:
            if not cmd.fs.stat(path, cmd.cwd).is_dir:
                raise FsError(20, path)
            cmd.fs.remove(path, cmd.cwd, dirs=True)
        except FsError as exc:
            cmd.err(f"rmdir: failed to remove '{path}': {exc.strerror}\n")
            status = 1
    return status


async def touch(cmd: Cmd) -> int:
    _opts, paths = split_opts(cmd.argv, takes_value="dtr")
    if not paths:
        return cmd.fail("missing file operand\nTry 'touch --help' for more information.")
    status = 0
    for path in paths:
        try:
            cmd.fs.touch(path, cmd.cwd)
        except FsError as exc:
            cmd.err(f"touch: cannot touch '{path}': {exc.strerror}\n")
            status = 1
    return status


async def _copy_or_move(cmd: Cmd, move: bool) -> int:
    opts, paths = split_opts(cmd.argv, takes_value="tS")
    name = "mv" if move else "cp"
    if len(paths) < 2:
        what = (
            "missing file operand"
            if not paths
            else f"missing destination file operand after '{paths[0]}'"
        )
        return cmd.fail(f"{what}\nTry '{name} --help' for more information.")
    *sources, dest = paths
    status = 0
    for src in sources:
        try:
            node = cmd.fs.stat(src, cmd.cwd)
        except FsError as exc:
            cmd.err(f"{name}: cannot stat '{src}': {exc.strerror}\n")
            status = 1
            continue
        if node.is_dir and not move and not ({"r", "R", "a"} & opts):
            cmd.err(f"cp: -r not specified; omitting directory '{src}'\n")
            status = 1
            continue
        target = vnorm(dest, cmd.cwd)
        if cmd.fs.is_dir(target):
            target = posixpath.join(target, vname(vnorm(src, cmd.cwd)))
        try:
            if move:
                cmd.fs.rename(src, target, cmd.cwd)
            else:
                cmd.fs.copy(vnorm(src, cmd.cwd), target)
        except FsError as exc:
            cmd.err(f"{name}: cannot create regular file '{dest}': {exc.strerror}\n")
            status = 1
    return status


async def cp(cmd: Cmd) -> int:
    return await _copy_or_move(cmd, move=False)


async def mv(cmd: Cmd) -> int:
    return await _copy_or_move(cmd, move=True)


async def ln(cmd: Cmd) -> int:
    opts, paths = split_opts(cmd.argv)
    if len(paths) < 2:
        return cmd.fail("missing file operand\nTry 'ln --help' for more information.")
    target, link = paths[0], paths[1]
    if cmd.fs.is_dir(link, cmd.cwd):
        link = posixpath.join(link, vname(target))
    try:
        if "f" in opts and cmd.fs.lexists(link, cmd.cwd):
            cmd.fs.remove(link, cmd.cwd)
        if "s" in opts:
            cmd.fs.symlink(target, link, cmd.cwd)
        else:
            cmd.fs.copy(vnorm(target, cmd.cwd), vnorm(link, cmd.cwd))
    except FsError as exc:
        return cmd.fail(f"failed to create symbolic link '{link}': {exc.strerror}")
    return 0


def _parse_mode(spec: str, current: int) -> int | None:
    if spec.isdigit():
        return int(spec, 8)
    mode = current
    for clause in spec.split(","):
        who = "".join(c for c in clause if c in "ugoa") or "a"
        rest = clause.lstrip("ugoa")
        if not rest or rest[0] not in "+-=":
            return None
        op, perms = rest[0], rest[1:]
        bits = 0
        for w in who.replace("a", "ugo"):
            shift = {"u": 6, "g": 3, "o": 0}[w]
            for p in perms:
                bits |= {"r": 4, "w": 2, "x": 1, "X": 1}.get(p, 0) << shift
        mode = mode | bits if op == "+" else mode & ~bits if op == "-" else bits
    return mode


async def chmod(cmd: Cmd) -> int:
    args = [a for a in cmd.argv if a not in ("-R", "-v", "-f", "--recursive")]
    if len(args) < 2:
        return cmd.fail("missing operand\nTry 'chmod --help' for more information.")
    status = 0
    for path in args[1:]:
        try:
            node = cmd.fs.stat(path, cmd.cwd)
            mode = _parse_mode(args[0], node.mode)
            if mode is None:
                return cmd.fail(f"invalid mode: '{args[0]}'")
            cmd.fs.chmod(path, mode, cmd.cwd)
        except FsError as exc:
            verb = "changing permissions of" if exc.code == errno.EPERM else "cannot access"
            cmd.err(f"chmod: {verb} '{path}': {exc.strerror}\n")
            status = 1
    return status


async def chown(cmd: Cmd) -> int:
    args = [a for a in cmd.argv if not a.startswith("-")]
    if len(args) < 2:
        return cmd.fail("missing operand\nTry 'chown --help' for more information.")
    user, _, group = args[0].partition(":")
    ids = {row[0]: int(row[2]) for row in _passwd(cmd) if row[2].isdigit()}
    if user and user not in ids and not user.isdigit():
        return cmd.fail(f"invalid user: '{args[0]}'")
    uid = ids.get(user, int(user) if user.isdigit() else None) if user else None
    gid = ids.get(group) if group else None
    status = 0
    for path in args[1:]:
        try:
            cmd.fs.chown(path, uid, gid, cmd.cwd)
        except FsError as exc:
            cmd.err(f"chown: cannot access '{path}': {exc.strerror}\n")
            status = 1
    return status


async def stat(cmd: Cmd) -> int:
    _opts, paths = split_opts(cmd.argv, takes_value="cf")
    if not paths:
        return cmd.fail("missing operand\nTry 'stat --help' for more information.")
    status = 0
    for path in paths:
        try:
            node = cmd.fs.lstat(path, cmd.cwd)
        except FsError as exc:
            cmd.err(f"stat: cannot statx '{path}': {exc.strerror}\n")
            status = 1
            continue
        kind = {
            "dir": "directory",
            "file": "regular file",
            "link": "symbolic link",
            "chr": "character special file",
        }[node.kind]
        if node.kind == "file" and node.size == 0:
            kind = "regular empty file"
        when = time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000", time.gmtime(node.mtime))
        size = 4096 if node.is_dir else node.size
        cmd.out(
            f"  File: {path}\n  Size: {size:<15} Blocks: {-(-size // 512) * 1:<10} IO Block: 4096"
            f"   {kind}\nDevice: 801h/2049d\tInode: {abs(hash(path)) % 900000 + 1000:<11} "
            f"Links: 1\nAccess: ({node.mode & 0o7777:04o}/{mode_string(node)})  Uid: "
            f"({node.uid:>5}/"
            f"{_owner(cmd, node.uid):>8})   Gid: ({node.gid:>5}/{_group(cmd, node.gid):>8})\n"
            f"Access: {when}\nModify: {when}\nChange: {when}\n Birth: {when}\n"
        )
    return status


async def readlink(cmd: Cmd) -> int:
    opts, paths = split_opts(cmd.argv)
    status = 0
    for path in paths:
        try:
            if "f" in opts or "e" in opts:
                cmd.out(cmd.fs.resolve(path, cmd.cwd)[0] + "\n")
            else:
                node = cmd.fs.lstat(path, cmd.cwd)
                if node.kind != "link":
                    status = 1
                    continue
                cmd.out(f"{node.target}\n")
        except FsError:
            status = 1
    return status


COMMANDS: dict[str, CommandFn] = {
    "ls": ls,
    "dir": ls,
    "cat": cat,
    "mkdir": mkdir,
    "rm": rm,
    "rmdir": rmdir,
    "touch": touch,
    "cp": cp,
    "mv": mv,
    "ln": ln,
    "chmod": chmod,
    "chown": chown,
    "chgrp": chown,
    "stat": stat,
    "readlink": readlink,
}
