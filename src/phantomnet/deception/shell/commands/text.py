"""Text tools: head, tail, wc, sort, uniq, grep, cut, tr, base64, hashes, od, seq, tee, test,
basename, dirname, xargs, awk/sed (the common one-liners only).

Every loop over input calls ``cmd.tick()`` (per line, or per :data:`CHUNK` bytes), so one
heavy builtin over 1 MiB of input is time-sliced and CPU-budgeted like a shell loop.
"""

from __future__ import annotations

import base64 as b64
import binascii
import hashlib
import heapq
import re

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.shell import rx as safe_rx
from phantomnet.deception.shell.context import CHUNK, Cmd, CommandFn
from phantomnet.deception.shell.getopt import opt_value, split_opts
from phantomnet.deception.shell.simple import dispatch


def _inputs(cmd: Cmd, paths: list[str], tool: str, verb: str = "") -> list[tuple[str, bytes]]:
    out = []
    for path in paths or ["-"]:
        data = cmd.stdin if path == "-" else None
        if data is None:
            try:
                data = cmd.fs.read(path, cmd.cwd, limit=1024 * 1024)
            except FsError as exc:
                where = f"cannot open '{path}' for reading" if verb == "open" else path
                cmd.err(f"{tool}: {where}: {exc.strerror}\n")
                cmd.shell.status = 1
                continue
        out.append((path, data))
    return out


def _count(flags: set[str], default: int = 10) -> int:
    raw = opt_value(flags, "n") or opt_value(flags, "--lines") or str(default)
    try:
        return int(raw.lstrip("+-"))
    except ValueError:
        return default


_SUFFIX = {"": 1, "b": 512, "K": 1024, "KiB": 1024, "kB": 1000, "KB": 1000, "M": 1 << 20,
           "MiB": 1 << 20, "MB": 1000**2, "G": 1 << 30, "GiB": 1 << 30, "GB": 1000**3}  # fmt: skip


def _byte_count(raw: str) -> int | None:
    """coreutils sizes for ``-c``: ``1K`` is 1024, ``1kB`` 1000, ``2M``...; None if invalid."""
    m = re.fullmatch(r"[-+]?(\d+)([A-Za-z]*)", raw.strip())
    if not m or m.group(2) not in _SUFFIX:
        return None
    return int(m.group(1)) * _SUFFIX[m.group(2)]


def _num_flag(argv: list[str]) -> list[str]:
    """``head -5`` means ``head -n 5``."""
    return [f"-n{a[1:]}" if re.fullmatch(r"-\d+", a) else a for a in argv]


async def head(cmd: Cmd) -> int:
    flags, paths = split_opts(_num_flag(cmd.argv), takes_value="nc")
    n = _count(flags)
    for path, data in _inputs(cmd, paths, "head", "open"):
        if len(paths) > 1:
            cmd.out(f"==> {path} <==\n")
        if "c" in flags:
            raw = opt_value(flags, "c", "0") or "0"
            count = _byte_count(raw)
            if count is None:
                return cmd.fail(f"invalid number of bytes: \u2018{raw}\u2019")
            cmd.out(data[:count])
        else:
            cmd.out(b"".join(data.splitlines(keepends=True)[:n]))
    return 0


async def tail(cmd: Cmd) -> int:
    flags, paths = split_opts(_num_flag(cmd.argv), takes_value="nc")
    n = _count(flags)
    for _path, data in _inputs(cmd, paths, "tail", "open"):
        lines = data.splitlines(keepends=True)
        cmd.out(b"".join(lines[-n:] if n else []))
    return 0


async def wc(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv)
    sel = [f for f in "lwc" if f in flags] or ["l", "w", "c"]
    rows = []
    for path, data in _inputs(cmd, paths, "wc"):
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        rows.append(([counts[f] for f in sel], path if paths else ""))
    if len(rows) > 1:
        rows.append(([sum(r[0][i] for r in rows) for i in range(len(sel))], "total"))
    width = max(
        [len(str(v)) for r in rows for v in r[0]] + [1 if len(sel) == 1 and not paths else 7]
    )
    if not paths and len(sel) == 1:
        width = 1
    for values, name in rows:
        cmd.out(" ".join(str(v).rjust(width) for v in values) + (f" {name}" if name else "") + "\n")
    return cmd.shell.status if paths else 0


#: lines sorted between two budget checks; the sorted runs are then merged
SORT_RUN = 4096


def _sort_key(flags: set[str]):  # type: ignore[no-untyped-def]
    if "n" in flags:

        def key(b: bytes) -> float:
            m = re.match(rb"\s*(-?\d+(\.\d+)?)", b)
            return float(m.group(1)) if m else 0.0

        return key
    return (lambda b: b.lower()) if "f" in flags else (lambda b: b)


async def sort(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv, takes_value="kt")
    lines: list[bytes] = []
    for _p, data in _inputs(cmd, paths, "sort"):
        lines.extend(data.splitlines())
    key, reverse = _sort_key(flags), "r" in flags
    # sorted runs of SORT_RUN lines, then a k-way merge, with a budget check in between:
    # the same order as one stable sort (ties keep their input order: the index)
    runs = []
    for start in range(0, len(lines), SORT_RUN):
        await cmd.tick()
        run = [(key(b), i, b) for i, b in enumerate(lines[start : start + SORT_RUN], start)]
        run.sort(key=lambda t: t[0], reverse=reverse)
        runs.append(run)
    merged = heapq.merge(*runs, key=lambda t: t[0], reverse=reverse)
    out: list[bytes] = []
    for n, (_k, _i, line) in enumerate(merged):
        if not n % SORT_RUN:
            await cmd.tick()
        out.append(line)
    if "u" in flags:
        out = list(dict.fromkeys(out))
    await _out_lines(cmd, out)
    return 0


async def _out_lines(cmd: Cmd, lines: list[bytes]) -> None:
    """Write ``lines`` (newline-terminated), a budget check every SORT_RUN lines."""
    for start in range(0, len(lines), SORT_RUN):
        await cmd.tick()
        cmd.out(b"".join(line + b"\n" for line in lines[start : start + SORT_RUN]))


async def uniq(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv)
    out: list[tuple[int, bytes]] = []
    for _p, data in _inputs(cmd, paths[:1], "uniq"):
        async for line in cmd.each(data.splitlines()):
            if out and out[-1][1] == line:
                out[-1] = (out[-1][0] + 1, line)
            else:
                out.append((1, line))
    async for n, line in cmd.each(out):
        if "d" in flags and n < 2:
            continue
        cmd.out((f"{n:>7} ".encode() if "c" in flags else b"") + line + b"\n")
    return 0


async def grep(cmd: Cmd) -> int:
    flags, rest = split_opts(cmd.argv, takes_value="emABC")
    pattern = opt_value(flags, "e")
    if pattern is None:
        if not rest:
            cmd.err(
                "Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                "Try 'grep --help' for more information.\n"
            )
            return 2
        pattern, rest = rest[0], rest[1:]
    fixed = "F" in flags or cmd.name == "fgrep"
    regex = (
        re.escape(pattern) if fixed else _bre_to_py(pattern, "E" in flags or cmd.name == "egrep")
    )
    try:
        rx = safe_rx.compile(regex.encode(), safe_rx.IGNORECASE if "i" in flags else 0)
    except safe_rx.error:
        cmd.err("grep: Unmatched [, [^, [:, [., or [=\n")
        return 2
    found = False
    for path, data in _inputs(cmd, rest, "grep"):
        count = 0
        for line in data.splitlines():
            await cmd.tick()  # each regex call is capped (rx.TIMEOUT_S), the line's CPU too
            hit = (
                safe_rx.fullmatch(rx, line) if "x" in flags else safe_rx.search(rx, line)
            ) is not None
            if hit != ("v" in flags):
                count += 1
                found = True
                if "q" in flags:
                    return 0
                if "c" not in flags and "l" not in flags:
                    prefix = f"{path}:".encode() if len(rest) > 1 else b""
                    cmd.out(
                        prefix
                        + (safe_rx.search(rx, line).group(0) if "o" in flags and hit else line)  # type: ignore[union-attr]
                        + b"\n"
                    )
        if "c" in flags:
            cmd.out((f"{path}:" if len(rest) > 1 else "") + f"{count}\n")
        if "l" in flags and count:
            cmd.out(f"{path}\n")
    return 0 if found else 1


def _bre_to_py(pattern: str, extended: bool) -> str:
    if extended:
        return pattern
    out = pattern.replace(r"\|", "\x00").replace("|", r"\|").replace("\x00", "|")
    out = out.replace(r"\(", "\x01").replace("(", r"\(").replace("\x01", "(")
    out = out.replace(r"\)", "\x02").replace(")", r"\)").replace("\x02", ")")
    return out.replace(r"\+", "+").replace(r"\?", "?")


async def cut(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv, takes_value="dfc")
    delim = (opt_value(flags, "d", "\t") or "\t").encode()[:1] or b"\t"
    spec = opt_value(flags, "f") or opt_value(flags, "c")
    if spec is None:
        return cmd.fail(
            "you must specify a list of bytes, characters, or fields\n"
            "Try 'cut --help' for more information."
        )
    wanted = _ranges(spec)
    for _p, data in _inputs(cmd, paths, "cut"):
        async for line in cmd.each(data.splitlines()):
            if "f" in flags:
                fields = line.split(delim)
                if len(fields) == 1:
                    cmd.out(line + b"\n")
                    continue
                cmd.out(delim.join(f for a, b in wanted for f in fields[a - 1 : b]) + b"\n")
            else:
                cmd.out(b"".join(line[a - 1 : b] for a, b in wanted) + b"\n")
    return 0


def _ranges(spec: str) -> list[tuple[int, int]]:
    """``1,3-5,7-`` as merged, ordered 1-based inclusive ranges (coreutils prints each
    selected byte/field once, in input order)."""
    parts = []
    for item in spec.split(","):
        lo, dash, hi = item.partition("-")
        a = max(1, int(lo)) if lo.isdigit() else 1
        b = int(hi) if hi.isdigit() else (10**9 if dash else a)
        if a <= b:
            parts.append((a, b))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(parts):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _tr_set(spec: str) -> str:
    classes = {
        "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
        "[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "[:digit:]": "0123456789",
        "[:space:]": " \t\n\r\f\v",
    }
    for k, v in classes.items():
        spec = spec.replace(k, v)
    spec = spec.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
    return re.sub(
        r"(.)-(.)",
        lambda m: "".join(chr(c) for c in range(ord(m.group(1)), ord(m.group(2)) + 1)),
        spec,
    )


async def tr(cmd: Cmd) -> int:
    flags, sets = split_opts(cmd.argv)
    data = cmd.stdin.decode("latin-1")
    if not sets:
        return cmd.fail("missing operand\nTry 'tr --help' for more information.")
    a = _tr_set(sets[0])
    table: dict[int, int | None] = {}
    if "d" in flags:  # the input is latin-1: 256 possible characters
        table = {i: None for i in range(256) if (chr(i) in a) != ("c" in flags)}
    elif len(sets) > 1:
        b = _tr_set(sets[1])
        b = b + b[-1:] * (len(a) - len(b))
        table = dict(str.maketrans(a, b[: len(a)]))
    pieces = []
    for start in range(0, len(data), CHUNK):
        await cmd.tick()
        pieces.append(data[start : start + CHUNK].translate(table))
    out = "".join(pieces)
    if "s" in flags:
        out = re.sub("([" + re.escape(_tr_set(sets[-1])) + "])\\1+", r"\1", out)
    cmd.out(out.encode("latin-1"))
    return 0


async def base64(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv, takes_value="w")
    for _p, data in _inputs(cmd, paths[:1], "base64"):
        if "d" in flags or "--decode" in flags:
            try:
                cmd.out(b64.b64decode(b"".join(data.split()), validate=False))
            except (binascii.Error, ValueError):
                return cmd.fail("invalid input")
        else:
            # 57 input bytes make one 76-column line: chunks of whole lines
            step = CHUNK // 57 * 57
            for start in range(0, len(data), step):
                await cmd.tick()
                cmd.out(b64.encodebytes(data[start : start + step]))
            if not data:
                cmd.out(b"\n")
    return 0


def _hasher(algo: str) -> CommandFn:
    async def run(cmd: Cmd) -> int:
        _f, paths = split_opts(cmd.argv)
        for path, data in _inputs(cmd, paths, f"{algo}sum"):
            cmd.out(f"{hashlib.new(algo, data).hexdigest()}  {path}\n")
        return cmd.shell.status if paths else 0

    return run


async def od(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv, takes_value="tAjN")
    data = b"".join(d for _p, d in _inputs(cmd, paths, "od"))
    no_addr = opt_value(flags, "A") == "n"
    async for off in cmd.each(range(0, len(data), 16)):
        chunk = data[off : off + 16]
        body = " " + " ".join(f"{b:02x}" for b in chunk)
        cmd.out(("" if no_addr else f"{off:07o}") + body + "\n")
    if not no_addr:
        cmd.out(f"{len(data):07o}\n")
    return 0


async def seq(cmd: Cmd) -> int:
    nums = [int(a) for a in cmd.argv if re.fullmatch(r"-?\d+", a)]
    if not nums:
        return cmd.fail("missing operand\nTry 'seq --help' for more information.")
    first, step, last = (
        (1, 1, nums[0])
        if len(nums) == 1
        else ((nums[0], 1, nums[1]) if len(nums) == 2 else (nums[0], nums[1] or 1, nums[2]))
    )
    values = range(first, last + (1 if step > 0 else -1), step)[:100_000]
    for start in range(0, len(values), SORT_RUN):
        await cmd.tick()
        cmd.out("".join(f"{v}\n" for v in values[start : start + SORT_RUN]))
    return 0


async def tee(cmd: Cmd) -> int:
    flags, paths = split_opts(cmd.argv)
    data = cmd.stdin
    for path in paths:
        try:
            cmd.fs.write(path, data, cmd.cwd, append="a" in flags)
        except FsError as exc:
            cmd.err(f"tee: {path}: {exc.strerror}\n")
    cmd.out(data)
    return 0


async def basename(cmd: Cmd) -> int:
    if not cmd.argv:
        return cmd.fail("missing operand\nTry 'basename --help' for more information.")
    name = cmd.argv[0].rstrip("/").rsplit("/", 1)[-1] or "/"
    if len(cmd.argv) > 1 and name.endswith(cmd.argv[1]) and name != cmd.argv[1]:
        name = name[: -len(cmd.argv[1])]
    cmd.out(name + "\n")
    return 0


async def dirname(cmd: Cmd) -> int:
    for arg in cmd.argv or ["."]:
        head_, _, _ = arg.rstrip("/").rpartition("/")
        cmd.out((head_ or ("/" if arg.startswith("/") else ".")) + "\n")
    return 0


async def xargs(cmd: Cmd) -> int:
    _flags, rest = split_opts(cmd.argv, takes_value="nIP")
    items = cmd.stdin.decode("utf-8", "replace").split()
    cmd.args = (rest or ["echo"]) + items[:1000]
    return await dispatch(cmd.shell, cmd)


async def awk(cmd: Cmd) -> int:
    """Only ``awk [-F x] '{print $N[, $M]}'`` (what intruders actually type)."""
    flags, rest = split_opts(cmd.argv, takes_value="F")
    if not rest:
        cmd.err("usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n")
        return 2
    m = re.fullmatch(r"\s*(?:/(.*)/\s*)?\{\s*print\s*([$\w, \"]*)\}\s*", rest[0])
    sep = opt_value(flags, "F")
    try:
        where = safe_rx.compile(m.group(1)) if m is not None and m.group(1) else None
    except safe_rx.error:
        cmd.err(f"awk: line 1: regular expression compile failed\n{rest[0]}\n")
        return 2
    for _p, data in _inputs(cmd, rest[1:], "awk"):
        for line in data.decode("utf-8", "replace").splitlines():
            await cmd.tick()
            if m is None or (where is not None and not safe_rx.search(where, line)):
                continue
            fields = line.split(sep) if sep else line.split()
            outs = []
            for item in (m.group(2) or "$0").split(","):
                item = item.strip()
                if item in ("$0", ""):
                    outs.append(line)
                elif item == "NF":
                    outs.append(str(len(fields)))
                elif item.startswith("$") and item[1:].isdigit():
                    k = int(item[1:])
                    outs.append(fields[k - 1] if 0 < k <= len(fields) else "")
                elif item == "$NF":
                    outs.append(fields[-1] if fields else "")
                else:
                    outs.append(item.strip('"'))
            cmd.out(" ".join(outs) + "\n")
    return 0


async def sed(cmd: Cmd) -> int:
    flags, rest = split_opts(cmd.argv, takes_value="e")
    script = opt_value(flags, "e") or (rest.pop(0) if rest else "")
    m = re.fullmatch(r"s(.)(.*?)\1(.*?)\1([gi]*)", script)
    inputs = _inputs(cmd, rest, "sed")
    for path, data in inputs:
        text = data.decode("utf-8", "replace")
        if m is not None:
            # like sed: line by line (``s///`` without ``g`` replaces the first per line)
            count = 0 if "g" in m.group(4) else 1
            repl = re.sub(r"\\(\d)", r"\\\1", m.group(3)).replace("&", r"\g<0>")
            pattern = _bre_to_py(m.group(2), "E" in flags or "r" in flags)
            rx_flags = safe_rx.IGNORECASE if "i" in m.group(4) else 0
            lines = text.split("\n")
            last = len(lines) - 1 if text.endswith("\n") else len(lines)
            try:
                rx = safe_rx.compile(pattern, rx_flags)
                for i in range(last):
                    await cmd.tick()
                    lines[i] = safe_rx.sub_compiled(rx, repl, lines[i], count=count)
            except (re.error, safe_rx.error):
                return cmd.fail(f"-e expression #1, char {len(script)}: unterminated `s' command")
            text = "\n".join(lines)
        if "i" in flags and path != "-":
            cmd.fs.write(path, text.encode(), cmd.cwd)
        else:
            cmd.out(text)
    return 0


async def rev(cmd: Cmd) -> int:
    _f, paths = split_opts(cmd.argv)
    for _p, data in _inputs(cmd, paths, "rev"):
        await _out_lines(cmd, [line[::-1] for line in data.splitlines()])
    return 0


async def tac(cmd: Cmd) -> int:
    _f, paths = split_opts(cmd.argv)
    for _p, data in _inputs(cmd, paths, "tac"):
        await _out_lines(cmd, data.splitlines()[::-1])
    return 0


COMMANDS: dict[str, CommandFn] = {
    "rev": rev,
    "tac": tac,
    "head": head,
    "tail": tail,
    "wc": wc,
    "sort": sort,
    "uniq": uniq,
    "grep": grep,
    "egrep": grep,
    "fgrep": grep,
    "cut": cut,
    "tr": tr,
    "base64": base64,
    "md5sum": _hasher("md5"),
    "sha1sum": _hasher("sha1"),
    "sha256sum": _hasher("sha256"),
    "od": od,
    "seq": seq,
    "tee": tee,
    "basename": basename,
    "dirname": dirname,
    "xargs": xargs,
    "awk": awk,
    "sed": sed,
}
