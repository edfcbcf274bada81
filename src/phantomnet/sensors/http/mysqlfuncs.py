"""MariaDB built-in functions for the fake database, as SQLite user functions.

Only what injection tools and curious humans call (string, control-flow, information and
fingerprint functions). Every function is total: bad input gives NULL like MariaDB, never an
exception; results are length-capped. ``SLEEP``/``BENCHMARK`` only *record* a delay on the
:class:`Clock` that the HTTP handler waits out later.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

MAX_TEXT = 1_000_000
MAX_SLEEP_S = 10.0
USER = "shop@localhost"

# SQLite built-ins that MariaDB also has with the same meaning; anything else is denied by
# the authorizer so SQLite-only functions (sqlite_version(), randomblob()...) do not exist.
SAFE_BUILTINS = frozenset({
    "abs", "avg", "ceil", "ceiling", "coalesce", "count", "floor", "group_concat", "ifnull",
    "instr", "length", "like", "lower", "ltrim", "max", "min", "nullif", "replace", "round",
    "rtrim", "substr", "substring", "sum", "trim", "upper", "char", "sign", "exp", "ln", "log",
    "mod", "pi", "pow", "power", "sqrt",
})  # fmt: skip


class Clock:
    """Delay asked for by the current query (SLEEP/BENCHMARK), capped."""

    def __init__(self) -> None:
        self.delay_s = 0.0

    def sleep(self, seconds: object) -> int:
        value = _number(seconds)
        if value is not None and value > 0:
            self.delay_s = min(MAX_SLEEP_S, self.delay_s + value)
        return 0

    def benchmark(self, count: object, _expr: object) -> int:
        value = _number(count) or 0
        self.delay_s = min(MAX_SLEEP_S, self.delay_s + max(0.0, value) / 5_000_000)
        return 0


def text(value: object) -> str:
    """MySQL's string conversion of a value."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _int(value: object) -> int:
    number = _number(value)
    return int(number) if number is not None else 0


def _cap(value: str) -> str | None:
    return value if len(value) <= MAX_TEXT else None


def _nullsafe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in → NULL out, like most MySQL string functions."""

    def wrapped(*args: object) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args)

    return wrapped


def _concat(*args: object) -> str | None:
    if any(a is None for a in args):
        return None
    return _cap("".join(text(a) for a in args))


def _concat_ws(sep: object, *args: object) -> str | None:
    if sep is None:
        return None
    return _cap(text(sep).join(text(a) for a in args if a is not None))


def _mid(s: object, pos: object, n: object = MAX_TEXT) -> str:
    value, start, count = text(s), _int(pos), _int(n)
    if start == 0 or count <= 0:
        return ""
    first = start - 1 if start > 0 else len(value) + start
    return value[max(first, 0) : max(first, 0) + count] if first >= 0 else ""


def _ord(s: object) -> int:
    value = text(s)
    return ord(value[0]) if value else 0


def _hex(value: object) -> str:
    if isinstance(value, int):
        return format(value, "X")
    data = value if isinstance(value, bytes) else text(value).encode("utf-8")
    return data.hex().upper()


def _unhex(value: object) -> str | None:
    try:
        return bytes.fromhex(text(value)).decode("latin-1")
    except ValueError:
        return None


def _quarter(value: object) -> int | None:
    try:
        month = int(text(value)[5:7])
    except ValueError:
        return None
    return (month - 1) // 3 + 1 if 1 <= month <= 12 else None


def _timestampadd(unit: object, n: object, when: object) -> str | None:
    if when is None or n is None:
        return None
    try:
        base = datetime.fromisoformat(text(when))
    except ValueError:
        return None
    step = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}
    seconds = step.get(text(unit).upper(), 86400) * _int(n)
    try:
        return (base + timedelta(seconds=seconds)).isoformat(sep=" ")
    except OverflowError:
        return None


def _repeat(s: object, n: object) -> str | None:
    count = _int(n)
    return _cap(text(s) * count) if 0 < count * max(len(text(s)), 1) <= MAX_TEXT else ""


def _locate(sub: object, s: object, pos: object = 1) -> int:
    start = max(_int(pos), 1) - 1
    return text(s).find(text(sub), start) + 1


def _if(cond: object, a: object, b: object) -> object:
    return a if _number(cond) else b


def _elt(n: object, *args: object) -> object:
    i = _int(n)
    return args[i - 1] if 0 < i <= len(args) else None


def _strcmp(a: object, b: object) -> int:
    x, y = text(a), text(b)
    return (x > y) - (x < y)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "concat": (-1, _concat), "concat_ws": (-1, _concat_ws), "if": (3, _if), "elt": (-1, _elt),
    "mid": (-1, _nullsafe(_mid)), "ord": (1, _nullsafe(_ord)), "ascii": (1, _nullsafe(_ord)),
    "lcase": (1, _nullsafe(lambda s: text(s).lower())),
    "ucase": (1, _nullsafe(lambda s: text(s).upper())),
    "char_length": (1, _nullsafe(lambda s: len(text(s)))),
    "character_length": (1, _nullsafe(lambda s: len(text(s)))),
    "bit_length": (1, _nullsafe(lambda s: 8 * len(text(s).encode()))),
    "hex": (1, _nullsafe(_hex)), "unhex": (1, _nullsafe(_unhex)),
    "quarter": (1, _nullsafe(_quarter)), "timestampadd": (3, _timestampadd),
    "mysql_isnull": (1, lambda v: int(v is None)), "strcmp": (2, _nullsafe(_strcmp)),
    "mysql_left": (2, _nullsafe(lambda s, n: text(s)[: max(_int(n), 0)])),
    "mysql_right": (2, _nullsafe(lambda s, n: text(s)[-_int(n) :] if _int(n) > 0 else "")),
    "reverse": (1, _nullsafe(lambda s: text(s)[::-1])), "repeat": (2, _nullsafe(_repeat)),
    "space": (1, _nullsafe(lambda n: _repeat(" ", n))), "locate": (-1, _nullsafe(_locate)),
    "position": (2, _nullsafe(_locate)), "greatest": (-1, _nullsafe(max)),
    "least": (-1, _nullsafe(min)), "charset": (1, lambda _v: "utf8mb4"),
    "collation": (1, lambda _v: "utf8mb4_general_ci"), "coercibility": (1, lambda _v: 3),
    "now": (0, _now), "sysdate": (0, _now), "curdate": (0, lambda: time.strftime("%Y-%m-%d")),
    "uuid": (0, lambda: str(uuid.uuid1())), "last_insert_id": (0, lambda: 0),
    "found_rows": (0, lambda: 1), "row_count": (0, lambda: -1),
}  # fmt: skip


def register(
    conn: sqlite3.Connection,
    clock: Clock,
    *,
    version: str,
    database: str,
    rand: Callable[[], float],
    connection_id: Callable[[], int],
) -> frozenset[str]:
    """Register MariaDB's functions on ``conn``; return every callable function name."""
    f = conn.create_function
    for name, (nargs, fn) in FUNCTIONS.items():
        f(name, nargs, fn)
    constants = {"version": version, "database": database, "schema": database, "user": USER,
                 "current_user": USER, "session_user": USER, "system_user": USER}  # fmt: skip
    for name, value in constants.items():
        f(name, 0, lambda v=value: v, deterministic=True)
    f("connection_id", 0, connection_id)
    f("rand", -1, lambda *_seed: rand())
    f("sleep", 1, clock.sleep)
    f("benchmark", 2, clock.benchmark)
    return frozenset({*FUNCTIONS, *constants, "connection_id", "rand", "sleep", "benchmark"})
