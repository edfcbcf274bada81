"""Word expansion as bash does it: tilde, parameters, ``$(...)``/backticks, ``$((...))``,
quote removal, field splitting of unquoted expansions, and pathname globbing on the fake FS.

Arithmetic is evaluated by a whitelist over Python's ``ast`` (integers only, bounded
exponents); nothing from the attacker is ever ``eval``'d.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: (text, quoted, from_expansion)
Seg = tuple[str, bool, bool]

_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*!-]")
_GLOB_CHARS = set("*?[")


@dataclass
class ExpandEnv:
    """What expansion needs from the interpreter."""

    get: Callable[[str], str | None]
    command_sub: Callable[[str], Awaitable[str]]
    glob: Callable[[str], list[str]]
    home: str
    #: raises :class:`~phantomnet.deception.shell.budget.OutOfMemory` past the string budget
    check_size: Callable[[int], None] = lambda _size: None


class ArithError(ValueError):
    pass


_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_CMP = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def arith(expr: str, get: Callable[[str], str | None]) -> int:
    """Evaluate a bash arithmetic expression (64-bit wrap, ``/`` truncates)."""
    text = expr.replace("&&", " and ").replace("||", " or ").replace("/", "//")
    text = re.sub(r"!(?!=)", " not ", text)
    text = text.replace("$", "")
    try:
        tree = ast.parse(text.strip() or "0", mode="eval")
    except SyntaxError as exc:
        raise ArithError(expr) from exc
    value = _eval(tree.body, get)
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _eval(node: ast.AST, get: Callable[[str], str | None]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    if isinstance(node, ast.Name):
        raw = (get(node.id) or "0").strip()
        return int(raw) if re.fullmatch(r"-?\d+", raw) else 0
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, get)
        ops = {ast.USub: -v, ast.UAdd: v, ast.Not: int(not v), ast.Invert: ~v}
        return ops.get(type(node.op), 0)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, get), _eval(node.right, get)
        if isinstance(node.op, ast.Pow):
            if b < 0 or b > 64 or abs(a) > 1 << 32:
                raise ArithError("exponent")
            return int(a**b)
        if isinstance(node.op, ast.FloorDiv | ast.Mod) and b == 0:
            raise ArithError("division by 0")
        fn = _BIN.get(type(node.op))
        if fn is None:
            raise ArithError("operator")
        if isinstance(node.op, ast.FloorDiv):
            return int(a / b)
        if isinstance(node.op, ast.LShift) and b > 64:
            raise ArithError("shift")
        return int(fn(a, b))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        cmp = _CMP.get(type(node.ops[0]))
        if cmp is None:
            raise ArithError("compare")
        return int(cmp(_eval(node.left, get), _eval(node.comparators[0], get)))
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, get) for v in node.values]
        return int(all(vals) if isinstance(node.op, ast.And) else any(vals))
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, get) else node.orelse, get)
    raise ArithError("syntax")


def _param(body: str, env: ExpandEnv) -> str:
    """``${...}`` forms: name, ``#name``, ``name:-x``, ``name:=x``, ``name:+x``, ``name-x``."""
    if body.startswith("#") and len(body) > 1:
        return str(len(env.get(body[1:]) or ""))
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9?$#@*!-])(:?[-=+?])?(.*)", body, re.S)
    if not m:
        return ""
    name, op, arg = m.group(1), m.group(2), m.group(3)
    value = env.get(name)
    if op is None:
        return value or ""
    empty = value is None or (op.startswith(":") and value == "")
    if op.endswith(("-", "=")):
        return arg if empty else value or ""
    if op.endswith("+"):
        return "" if empty else arg
    return value or ""


async def _dollar(word: str, i: int, env: ExpandEnv) -> tuple[str, int]:
    """Expand the ``$`` construct at ``word[i]``; returns (text, index after it)."""
    from phantomnet.deception.shell.lexer import _scan_group

    if word.startswith("$((", i):
        j = _scan_group(word, i + 3, "((", "))")
        inner = await expand_string(word[i + 3 : j - 2], env)
        try:
            return str(arith(inner, env.get)), j
        except (ArithError, RecursionError):
            return "0", j
    if word.startswith("$(", i):
        j = _scan_group(word, i + 2, "(", ")")
        return (await env.command_sub(word[i + 2 : j - 1])).rstrip("\n"), j
    if word.startswith("${", i):
        j = _scan_group(word, i + 2, "{", "}")
        return _param(word[i + 2 : j - 1], env), j
    m = _PARAM.match(word, i + 1)
    if m is None:
        return "$", i + 1
    return env.get(m.group(0)) or "", m.end()


async def _segments(word: str, env: ExpandEnv) -> list[Seg]:
    from phantomnet.deception.shell.lexer import _scan_dquote, _scan_group

    segs: list[Seg] = []
    size = 0
    i, n = 0, len(word)
    if word.startswith("~") and (n == 1 or word[1] == "/"):
        segs.append((env.home, True, False))
        i = 1
    while i < n:
        c = word[i]
        if c == "\\":
            segs.append((word[i + 1 : i + 2], True, False))
            i += 2
        elif c == "'":
            j = word.index("'", i + 1)
            segs.append((word[i + 1 : j], True, False))
            i = j + 1
        elif c == '"':
            j = _scan_dquote(word, i + 1)
            segs.append((await _dquote(word[i + 1 : j - 1], env), True, False))
            size += len(segs[-1][0])
            env.check_size(size)
            i = j
        elif c == "$":
            text, i = await _dollar(word, i, env)
            segs.append((text, False, True))
            size += len(text)
            env.check_size(size)
        elif c == "`":
            j = _scan_group(word, i + 1, "`", "`")
            segs.append(((await env.command_sub(word[i + 1 : j - 1])).rstrip("\n"), False, True))
            i = j
        else:
            j = i
            while j < n and word[j] not in "\\'\"$`":
                j += 1
            segs.append((word[i:j], False, False))
            i = j
    return segs


async def _dquote(body: str, env: ExpandEnv) -> str:
    out: list[str] = []
    size = 0
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "\\" and i + 1 < n and body[i + 1] in '$`"\\\n':
            out.append(body[i + 1])
            i += 2
        elif c == "$":
            text, i = await _dollar(body, i, env)
            out.append(text)
            size += len(text)
            env.check_size(size)
        elif c == "`":
            from phantomnet.deception.shell.lexer import _scan_group

            j = _scan_group(body, i + 1, "`", "`")
            out.append((await env.command_sub(body[i + 1 : j - 1])).rstrip("\n"))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


async def expand_string(text: str, env: ExpandEnv) -> str:
    """Expand without splitting or globbing (here-strings, assignments, case words)."""
    segs = await _segments(text, env)
    env.check_size(sum(len(s) for s, _, _ in segs))
    return "".join(s for s, _, _ in segs)


async def expand_word(word: str, env: ExpandEnv) -> list[str]:
    """Expand one word into zero or more fields."""
    segs = await _segments(word, env)
    env.check_size(sum(len(s) for s, _, _ in segs))
    fields: list[list[tuple[str, bool]]] = [[]]
    started = False
    for text, quoted, expanded in segs:
        if expanded and not quoted:
            parts = re.split(r"[ \t\n]+", text)
            for k, part in enumerate(parts):
                if k > 0 and (fields[-1] or started):
                    fields.append([])
                    started = False
                if part:
                    fields[-1].append((part, True))
                    started = True
        else:
            fields[-1].append((text, not quoted))
            started = True
    out: list[str] = []
    for f in fields:
        if not f and not started:
            continue
        out.extend(_glob_field(f, env))
    if not out and any(q for _, q, _ in segs):
        return [""]
    return [x for x in out if x or any(q for _, q, _ in segs)]


def _glob_field(pieces: list[tuple[str, bool]], env: ExpandEnv) -> list[str]:
    plain = "".join(t for t, _ in pieces)
    if not any(g and _GLOB_CHARS & set(t) for t, g in pieces):
        return [plain]
    pattern = "".join(t if g else re.sub(r"([*?\[])", r"[\1]", t) for t, g in pieces)
    matches = env.glob(pattern)
    return matches or [plain]
