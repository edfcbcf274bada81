"""MariaDB date and string built-ins SQLite lacks (``QUARTER``, ``TO_SECONDS``, ``TIMESTAMPADD``,
``STRCMP``...), checked against the real MariaDB 10.11: same answer for the same input,
NULL for a NULL or unreadable argument. Registered by :func:`funcs.register` (total, no I/O).

``EXTRACTVALUE``/``UPDATEXML`` (error-based injection's favourites) only check their XPath:
one that is not (``0x7e`` + data) is MariaDB's error 1105, raised through the session's
sandbox (:func:`xml_functions`). Hex literals are strings where a string is compared and
numbers in arithmetic, as on MariaDB (:func:`hex_literal`).
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlglot import exp

from phantomnet.deception.sql.funcs import number, text
from phantomnet.deception.sql.model import SqlError

_DATE = re.compile(
    r"\s*(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?)?\s*"
)
#: TO_DAYS('0001-01-01') is 366: MariaDB counts a year 0 of 365 days
_DAY_OFFSET = 365


@dataclass(frozen=True)
class Stamp:
    """A MariaDB DATE/DATETIME value; month and day may be 0 ('2024-00-00')."""

    year: int
    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    micro: int = 0
    has_time: bool = False

    def real(self) -> datetime | None:
        """The value as a Python datetime; None for a zero month/day or year 0."""
        try:
            return datetime(self.year, self.month, self.day, self.hour, self.minute,
                            self.second, self.micro)  # fmt: skip
        except ValueError:
            return None


def _year(y: str) -> int:
    n = int(y)
    if len(y) <= 2:
        return n + (2000 if n < 70 else 1900)
    return n


def _from_digits(digits: str) -> Stamp | None:
    if int(digits) == 0:
        return Stamp(0, 0, 0)
    if len(digits) <= 6:
        digits = digits.zfill(6)
        parts = (digits[:2], digits[2:4], digits[4:6], "0", "0", "0")
    elif len(digits) <= 8:
        digits = digits.zfill(8)
        parts = (digits[:4], digits[4:6], digits[6:8], "0", "0", "0")
    elif len(digits) == 12:
        parts = (digits[:2], digits[2:4], digits[4:6], digits[6:8], digits[8:10], digits[10:])
    elif len(digits) == 14:
        parts = (digits[:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:])
    else:
        return None
    return _checked(parts, len(digits) > 8)


def _checked(parts: tuple[str, ...], has_time: bool, micro: str | None = None) -> Stamp | None:
    y, mo, d = _year(parts[0]), int(parts[1]), int(parts[2])
    h, mi, s = int(parts[3]), int(parts[4]), int(parts[5])
    if mo > 12 or d > 31 or h > 23 or mi > 59 or s > 59:
        return None
    if mo and d and d > calendar.monthrange(max(y, 1), mo)[1]:
        return None
    return Stamp(y, mo, d, h, mi, s, int((micro or "0").ljust(6, "0")), has_time)


def stamp(value: object) -> Stamp | None:
    """Read a DATE/DATETIME argument the way MariaDB does (string or number); None if bad."""
    if value is None:
        return None
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            return None
        return _from_digits(str(int(value)))
    t = text(value) or ""
    if t.strip().isdigit():
        return _from_digits(t.strip())
    m = _DATE.fullmatch(t)
    if m is None:
        return None
    g = m.groups()
    return _checked((g[0], g[1], g[2], g[3] or "0", g[4] or "0", g[5] or "0"), g[3] is not None,
                    g[6])  # fmt: skip


def _fmt(dt: datetime, as_date: bool) -> str:
    if as_date:
        return dt.strftime("%Y-%m-%d")
    out = dt.strftime("%Y-%m-%d %H:%M:%S")
    return out + f".{dt.microsecond:06d}" if dt.microsecond else out


def quarter(value: object) -> int | None:
    st = stamp(value)
    return None if st is None else (st.month + 2) // 3


def to_days(value: object) -> int | None:
    st = stamp(value)
    dt = st.real() if st is not None else None
    return None if dt is None else dt.toordinal() + _DAY_OFFSET


def to_seconds(value: object) -> int | None:
    st = stamp(value)
    dt = st.real() if st is not None else None
    if dt is None:
        return None
    return (dt.toordinal() + _DAY_OFFSET) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second


_FIXED = {
    "MICROSECOND": timedelta(microseconds=1),
    "SECOND": timedelta(seconds=1),
    "MINUTE": timedelta(minutes=1),
    "HOUR": timedelta(hours=1),
    "DAY": timedelta(days=1),
    "WEEK": timedelta(weeks=1),
}
_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}


def _add_months(dt: datetime, months: int) -> datetime | None:
    total = dt.year * 12 + dt.month - 1 + months
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        return None
    return dt.replace(year=y, month=m + 1, day=min(dt.day, calendar.monthrange(y, m + 1)[1]))


def timestampadd(unit: object, amount: object, value: object) -> str | None:
    u, n, st = (text(unit) or "").upper(), number(amount), stamp(value)
    dt = st.real() if st is not None else None
    if dt is None or st is None or n is None or (u not in _FIXED and u not in _MONTHS):
        return None
    try:
        months = _MONTHS.get(u)
        out = _add_months(dt, int(n) * months) if months else dt + _FIXED[u] * int(n)
    except (OverflowError, ValueError):  # an amount of 1e999 or NaN
        return None
    if out is None:
        return None
    return _fmt(out, not st.has_time and u in ("DAY", "WEEK", *_MONTHS))


def timestampdiff(unit: object, start: object, end: object) -> int | None:
    u = (text(unit) or "").upper()
    a, b = stamp(start), stamp(end)
    da, db = (a.real() if a else None), (b.real() if b else None)
    if da is None or db is None:
        return None
    if u in _FIXED:
        return int((db - da) / _FIXED[u])
    if u not in _MONTHS:
        return None
    months = (db.year * 12 + db.month) - (da.year * 12 + da.month)
    tail_a = (da.day, da.time())
    tail_b = (db.day, db.time())
    if months > 0 and tail_b < tail_a:
        months -= 1
    elif months < 0 and tail_b > tail_a:
        months += 1
    return int(months / _MONTHS[u])


def strcmp(a: object, b: object) -> int | None:
    x, y = text(a), text(b)
    if x is None or y is None:
        return None
    x, y = x.casefold(), y.casefold()  # utf8mb4_general_ci
    return (x > y) - (x < y)


def json_quote(value: object) -> str | None:
    """MariaDB's JSON_QUOTE: a JSON string for a string, NULL for anything else."""
    if not isinstance(value, str):
        return None
    return json.dumps(value, ensure_ascii=False)


def functions() -> dict[str, tuple[int, Callable[..., Any]]]:
    return {
        "quarter": (1, quarter),
        "to_days": (1, to_days),
        "to_seconds": (1, to_seconds),
        "timestampadd": (3, timestampadd),
        "timestampdiff": (3, timestampdiff),
        "strcmp": (2, strcmp),
        "json_quote": (1, json_quote),
    }


#: MariaDB shows a bad XPath whole up to 32 characters, else its first 29 and "..."
XPATH_SHOWN = 32


def xpath_error(path: str) -> SqlError:
    shown = path if len(path) <= XPATH_SHOWN else path[: XPATH_SHOWN - 3] + "..."
    return SqlError(1105, "HY000", f"XPATH syntax error: '{shown}'")


def _xpath_ok(path: str) -> bool:
    """A plausible XPath (it matches nothing in a document that is not XML)."""
    return path[:1].isalnum() or path[:1] in ("/", ".", "@", "*", "(", "_", "$")


def xml_functions(
    fail: Callable[[SqlError], NoReturn],
) -> dict[str, tuple[int, Callable[..., Any]]]:
    """``EXTRACTVALUE``/``UPDATEXML``; ``fail`` aborts the statement with MariaDB's error."""

    def check(path: object) -> str | None:
        value = text(path)
        if value is not None and not _xpath_ok(value):
            fail(xpath_error(value))
        return value

    def extractvalue(doc: object, path: object) -> str | None:
        if check(path) is None or doc is None:
            return None
        return ""

    def updatexml(doc: object, path: object, new: object) -> str | None:
        if check(path) is None or doc is None or new is None:
            return None
        return text(doc)

    return {"extractvalue": (2, extractvalue), "updatexml": (3, updatexml)}


#: operators that read a hex literal as a number (0x6 + 0 is 6)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg, exp.BitwiseAnd,
               exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot)  # fmt: skip


def hex_literal(node: exp.HexString) -> exp.Expr | None:
    """``0x7573657273`` is the string 'users' where a string is compared (SQLite's X'..' blob
    never equals text), a number in arithmetic; an odd digit count gets its leading 0."""
    digits = node.name
    if isinstance(node.parent, _ARITHMETIC):
        return exp.Literal.number(int(digits, 16)) if 0 < len(digits) <= 16 else None
    if len(digits) % 2:
        return exp.HexString(this="0" + digits)
    if isinstance(node.parent, exp.Predicate):
        try:
            return exp.Literal.string(bytes.fromhex(digits).decode("utf-8"))
        except ValueError:  # not UTF-8: MariaDB compares the bytes, which equal no text either
            return None
    return None


#: functions MariaDB answers in utf8mb3 (system names), whatever the connection's charset
_SYSTEM_STRINGS = frozenset(
    {"user", "current_user", "session_user", "system_user", "database", "schema", "version"}
)
_SYSTEM_NODES = (exp.CurrentUser, exp.SessionUser, exp.CurrentSchema, exp.CurrentDatabase,
                 exp.CurrentVersion)  # fmt: skip


def _kind(node: exp.Expr) -> str:
    """What MariaDB's COERCIBILITY/CHARSET look at: the argument's derivation, not its value."""
    if isinstance(node, exp.Paren):
        return _kind(node.this)
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.Literal):
        return "string" if node.is_string else "number"
    if isinstance(node, exp.Column):
        return "column"
    if isinstance(node, _SYSTEM_NODES) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in _SYSTEM_STRINGS
    ):
        return "system"
    if isinstance(node, exp.Binary | exp.Neg):
        return "number"
    return "string"


_COERCIBILITY = {"null": 6, "number": 5, "string": 4, "system": 3, "column": 2}
_CHARSET = {"null": "binary", "number": "binary", "string": "utf8mb4", "system": "utf8mb3",
            "column": "utf8mb4"}  # fmt: skip


def _to_days_arg(node: exp.Expr) -> exp.Expr | None:
    """sqlglot reads TO_DAYS(x) as DATEDIFF(x, '0000-01-01') + 1, one day off in SQLite."""
    if not isinstance(node, exp.Add) or not isinstance(node.this, exp.DateDiff):
        return None
    diff = node.this
    base = diff.expression
    if (
        isinstance(base, exp.TsOrDsToDate)
        and isinstance(base.this, exp.Literal)
        and base.this.this == "0000-01-01"
        and isinstance(diff.this, exp.TsOrDsToDate)
        and isinstance(diff.this.this, exp.Expr)
    ):
        arg: exp.Expr = diff.this.this
        return arg
    return None


def rewrite(node: exp.Expr) -> exp.Expr | None:
    """MariaDB built-ins sqlglot parses into shapes SQLite cannot run, as calls of the
    functions above (or, for the derivation functions, as the constant MariaDB answers)."""
    if isinstance(node, exp.SessionUser):
        return exp.Anonymous(this="user", expressions=[])
    if isinstance(node, exp.HexString):
        return hex_literal(node)
    to_days_arg = _to_days_arg(node)
    if to_days_arg is not None:
        return exp.Anonymous(this="to_days", expressions=[to_days_arg])
    if isinstance(node, exp.TimestampAdd | exp.TimestampDiff):
        unit = exp.Literal.string(node.text("unit") or "DAY")
        name = "timestampadd" if isinstance(node, exp.TimestampAdd) else "timestampdiff"
        first, second = (node.expression, node.this)
        return exp.Anonymous(this=name, expressions=[unit, first, second])
    arg: exp.Expr | None = None
    fn = ""
    if isinstance(node, exp.Collation):
        fn, arg = "collation", node.this
    elif isinstance(node, exp.Anonymous) and len(node.expressions) == 1:
        fn, arg = node.name.lower(), node.expressions[0]
    if arg is None or fn not in ("collation", "charset", "coercibility"):
        return None
    kind = _kind(arg)
    if fn == "coercibility":
        return exp.Literal.number(_COERCIBILITY[kind])
    charset = _CHARSET[kind]
    if fn == "charset":
        return exp.Literal.string(charset)
    return exp.Literal.string("binary" if charset == "binary" else f"{charset}_general_ci")


def is_dual(table: exp.Table) -> bool:
    """``FROM DUAL``: MariaDB's one-row dummy table (sqlglot keeps it only with a WHERE)."""
    ident = table.this
    return (
        isinstance(ident, exp.Identifier)
        and not ident.quoted
        and ident.name.lower() == "dual"
        and not table.db
    )


def version_id(version: str) -> int:
    """10.11.19-MariaDB... -> 101119, the number ``/*!NNNNNN ... */`` comments compare with."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    return int(m.group(1)) * 10000 + int(m.group(2)) * 100 + int(m.group(3)) if m else 0


def executes(comment_version: str | None, server: int) -> bool:
    """Whether MariaDB runs an executable comment: up to its own version, but never one
    written for MySQL 5.7-9.x (50700-99999), which MariaDB skips on purpose."""
    if not comment_version:
        return True
    v = int(comment_version)
    return v <= server and not 50700 <= v <= 99999
