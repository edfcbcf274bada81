"""find, dd, file, test/[, tar, gzip, unzip, yes, timeout, nohup."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import time

from phantomnet.deception.fakefs import FsError, vnorm
from phantomnet.deception.shell.context import MAX_OUTPUT, Cmd, CommandFn
from phantomnet.deception.shell.getopt import split_opts
from phantomnet.deception.shell.simple import dispatch

MAX_FIND = 5000


def _find_pred(args: list[str]) -> tuple[list[str], dict[str, str]]:
    paths: list[str] = []
    preds: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a not in ("-",):
            value = args[i + 1] if i + 1 < len(args) else ""
            if a in ("-print", "-ls", "-delete", "-xdev"):
                preds[a] = ""
                i += 1
                continue
            preds[a] = value
            i += 2
            continue
        if not preds:
            paths.append(a)
        i += 1
    return paths or ["."], preds


def _find_match(cmd: Cmd, path: str, preds: dict[str, str]) -> bool:
    name = posixpath.basename(path) or path
    if "-name" in preds and not fnmatch.fnmatchcase(name, preds["-name"]):
        return False
    if "-iname" in preds and not fnmatch.fnmatch(name.lower(), preds["-iname"].lower()):
        return False
    try:
        node = cmd.fs.lstat(path)
    except FsError:
        return False
    if (
        "-type" in preds
        and {"f": "file", "d": "dir", "l": "link", "c": "chr"}.get(preds["-type"]) != node.kind
    ):
        return False
    if "-perm" in preds:
        want = preds["-perm"]
        bits = (
            0o4000
            if want in ("-4000", "-u=s", "/4000", "-u+s")
            else 0o2000
            if want in ("-2000", "-g=s")
            else None
        )
        if bits is not None and not node.mode & bits:
            return False
        if want in ("-o+w", "-002", "-0002") and not node.mode & 0o002:
            return False
    return True


async def find(cmd: Cmd) -> int:
    roots, preds = _find_pred(cmd.argv)
    depth_cap = int(preds["-maxdepth"]) if preds.get("-maxdepth", "").isdigit() else 64
    seen = 0
    status = 0
    for root in roots:
        real = vnorm(root, cmd.cwd)
        if not cmd.fs.exists(real):
            cmd.err(f"find: \u2018{root}\u2019: No such file or directory\n")
            status = 1
            continue
        stack = [(real, root, 0)]
        while stack and seen < MAX_FIND:
            path, shown, depth = stack.pop()
            seen += 1
            if _find_match(cmd, path, preds):
                cmd.out(shown + "\n")
            if (
                depth >= depth_cap
                or path.startswith(("/proc/", "/sys/"))
                or not cmd.fs.is_dir(path)
            ):
                continue
            try:
                kids = cmd.fs.listdir(path) if cmd.fs.lstat(path).kind == "dir" else []
            except FsError as exc:
                cmd.err(f"find: \u2018{shown}\u2019: {exc.strerror}\n")
                status = 1
                continue
            for kid in reversed(kids):
                stack.append((posixpath.join(path, kid), posixpath.join(shown, kid), depth + 1))
    return status


async def dd(cmd: Cmd) -> int:
    opts = dict(a.split("=", 1) for a in cmd.argv if "=" in a)

    def size(v: str | None, default: int) -> int:
        m = re.fullmatch(r"(\d+)([kKMG]?)", v or "")
        if not m:
            return default
        return (
            int(m.group(1)) * {"": 1, "k": 1024, "K": 1024, "M": 1 << 20, "G": 1 << 30}[m.group(2)]
        )

    bs = min(size(opts.get("bs"), 512), 1 << 20)
    count = size(opts.get("count"), -1)
    skip = size(opts.get("skip"), 0)
    limit = None if count < 0 else bs * count
    try:
        src = opts.get("if")
        data = (
            cmd.fs.read(src, cmd.cwd, limit=(skip * bs + limit) if limit is not None else 1 << 20)
            if src
            else cmd.stdin
        )
    except FsError as exc:
        return cmd.fail(f"failed to open '{opts.get('if')}': {exc.strerror}")
    data = data[skip * bs :]
    if limit is not None:
        data = data[:limit]
    if "of" in opts:
        try:
            cmd.fs.write(opts["of"], data, cmd.cwd)
        except FsError as exc:
            return cmd.fail(f"failed to open '{opts['of']}': {exc.strerror}")
    else:
        cmd.out(data)
    blocks = -(-len(data) // bs) if bs else 0
    cmd.err(
        f"{blocks}+0 records in\n{blocks}+0 records out\n{len(data)} bytes copied, "
        f"0.000{len(data) % 900 + 100} s, {len(data) / 1000 + 1:.1f} kB/s\n"
    )
    return 0


async def file(cmd: Cmd) -> int:
    for path in (a for a in cmd.argv if not a.startswith("-")):
        try:
            node = cmd.fs.stat(path, cmd.cwd)
            head = b"" if node.is_dir else cmd.fs.read(path, cmd.cwd, limit=64)
        except FsError:
            cmd.out(f"{path}: cannot open `{path}' (No such file or directory)\n")
            continue
        if node.is_dir:
            kind = "directory"
        elif not head:
            kind = "empty"
        elif head.startswith(b"\x7fELF"):
            arch = {
                0x3E: "x86-64",
                0x28: "ARM",
                0xB7: "ARM aarch64",
                0x08: "MIPS",
                0x03: "Intel 80386",
            }
            machine = int.from_bytes(head[18:20], "little")
            bits = "64" if head[4:5] == b"\x02" else "32"
            kind = (
                f"ELF {bits}-bit LSB pie executable, {arch.get(machine, 'x86-64')}, "
                "version 1 (SYSV),"
                " dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2, stripped"
            )
        elif head.startswith(b"#!"):
            interp = head[2:].split()[0].decode("latin-1").rsplit("/", 1)[-1]
            kind = f"{interp} script, ASCII text executable"
        elif head.startswith(b"\x1f\x8b"):
            kind = "gzip compressed data"
        else:
            kind = "ASCII text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "data"
        cmd.out(f"{path}: {kind}\n")
    return 0


def _test(cmd: Cmd, args: list[str]) -> bool | None:
    if not args:
        return False
    if args[0] == "!":
        r = _test(cmd, args[1:])
        return None if r is None else not r
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, arg = args
        fs = cmd.fs
        checks = {
            "-e": lambda: fs.exists(arg, cmd.cwd),
            "-f": lambda: fs.exists(arg, cmd.cwd) and not fs.is_dir(arg, cmd.cwd),
            "-d": lambda: fs.is_dir(arg, cmd.cwd),
            "-s": lambda: fs.exists(arg, cmd.cwd) and fs.stat(arg, cmd.cwd).size > 0,
            "-r": lambda: fs.exists(arg, cmd.cwd),
            "-w": lambda: fs.exists(arg, cmd.cwd),
            "-x": lambda: fs.exists(arg, cmd.cwd) and bool(fs.stat(arg, cmd.cwd).mode & 0o111),
            "-L": lambda: fs.lexists(arg, cmd.cwd) and fs.lstat(arg, cmd.cwd).kind == "link",
            "-h": lambda: fs.lexists(arg, cmd.cwd) and fs.lstat(arg, cmd.cwd).kind == "link",
            "-z": lambda: arg == "",
            "-n": lambda: arg != "",
        }
        return checks[op]() if op in checks else None
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        nums = {
            "-eq": int.__eq__,
            "-ne": int.__ne__,
            "-lt": int.__lt__,
            "-le": int.__le__,
            "-gt": int.__gt__,
            "-ge": int.__ge__,
        }
        if op in nums:
            if not (re.fullmatch(r"-?\d+", a) and re.fullmatch(r"-?\d+", b)):
                bad = a if not re.fullmatch(r"-?\d+", a) else b
                cmd.err(f"-bash: {cmd.name}: {bad}: integer expression expected\n")
                return None
            return bool(nums[op](int(a), int(b)))
    for joiner in ("-a", "-o"):
        if joiner in args:
            k = args.index(joiner)
            left, right = _test(cmd, args[:k]), _test(cmd, args[k + 1 :])
            return bool(left and right) if joiner == "-a" else bool(left or right)
    return None


async def test(cmd: Cmd) -> int:
    args = list(cmd.argv)
    if cmd.name == "[":
        if not args or args[-1] != "]":
            cmd.err("-bash: [: missing `]'\n")
            return 2
        args = args[:-1]
    result = _test(cmd, args)
    return 2 if result is None else 0 if result else 1


async def tar(cmd: Cmd) -> int:
    args = cmd.argv
    mode = args[0].lstrip("-") if args else ""
    files = args[1:]
    archive = files[0] if "f" in mode and files else None
    if not mode or not set(mode) & set("cxtru"):
        cmd.err(
            "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n"
            "Try 'tar --help' or 'tar --usage' for more information.\n"
        )
        return 2
    if archive and ("x" in mode or "t" in mode) and not cmd.fs.exists(archive, cmd.cwd):
        cmd.err(
            f"tar: {archive}: Cannot open: No such file or directory\n"
            "tar: Error is not recoverable: exiting now\n"
        )
        return 2
    if archive and "c" in mode:
        body = (
            b"\x1f\x8b\x08\x00"
            + int(time.time()).to_bytes(4, "little")
            + b"\x00\x03"
            + b"\x00" * 120
        )
        cmd.fs.write(archive, body, cmd.cwd)
    return 0


async def gzip(cmd: Cmd) -> int:
    for path in (a for a in cmd.argv if not a.startswith("-")):
        if not cmd.fs.exists(path, cmd.cwd):
            cmd.err(f"{cmd.name}: {path}: No such file or directory\n")
            return 1
    return 0


async def yes(cmd: Cmd) -> int:
    line = (" ".join(cmd.argv) or "y") + "\n"
    # what a pipe reader takes before it stops; never more than the output cap
    cmd.out(line * min(2000, MAX_OUTPUT // len(line) + 1))
    return 0


async def run_rest(cmd: Cmd) -> int:
    """``timeout 10 cmd``, ``nohup cmd``, ``nice cmd``: run the wrapped command."""
    args = cmd.argv
    if cmd.name == "timeout":
        args = [a for a in args if not a.startswith("-")][1:]
    elif cmd.name == "nohup" and cmd.tty:
        cmd.err("nohup: ignoring input and appending output to 'nohup.out'\n")
    if not args:
        return cmd.fail("missing operand")
    cmd.args = args
    return await dispatch(cmd.shell, cmd)


async def unzip(cmd: Cmd) -> int:
    _f, rest = split_opts(cmd.argv, takes_value="d")
    if not rest or not cmd.fs.exists(rest[0], cmd.cwd):
        name = rest[0] if rest else ""
        cmd.out(f"unzip:  cannot find or open {name}, {name}.zip or {name}.ZIP.\n")
        return 9
    cmd.out(f"Archive:  {rest[0]}\n  End-of-central-directory signature not found.\n")
    return 9


COMMANDS: dict[str, CommandFn] = {
    "find": find,
    "dd": dd,
    "file": file,
    "test": test,
    "[": test,
    "tar": tar,
    "gzip": gzip,
    "gunzip": gzip,
    "zcat": gzip,
    "yes": yes,
    "timeout": run_rest,
    "nohup": run_rest,
    "nice": run_rest,
    "unzip": unzip,
}
