"""MySQL/MariaDB dialect on top of SQLite: token-level rewriting and MariaDB error wording.

Pure functions over strings, never raising: the fake database (:mod:`fakedb`) rewrites the
attacker's query with :func:`to_sqlite` before SQLite sees it and rewrites SQLite's error
text into what MariaDB 10.11 would have printed (:func:`mysql_error`).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?)"""
    r"""|(?P<vcomment>/\*!\d*)|(?P<cend>\*/)|(?P<comment>/\*.*?(?:\*/|$))"""
    r"""|(?P<hash>\#.*$)|(?P<dash>--(?:\s.*)?$)"""
    r"""|(?P<hex>\b0x[0-9a-fA-F]+\b)|(?P<var>@@(?i:session\.|global\.)?\w+)"""
    r"""|(?P<other>[^'"/#@0*-]+|.)""",
    re.S | re.M,
)
_UNITS = "MICROSECOND|SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|QUARTER|YEAR"
_OPERATORS = (
    (re.compile(r"\|\|"), " OR "),
    (re.compile(r"&&"), " AND "),
    (re.compile(r"<=>"), " IS "),
    (re.compile(rf"\b(TIMESTAMP(?:ADD|DIFF))\s*\(\s*({_UNITS})\b", re.I), r"\1('\2'"),
    (re.compile(r"\bDIV\b", re.I), "/"),
    # MySQL functions whose names are SQLite keywords
    (re.compile(r"\b(ISNULL|LEFT|RIGHT)\s*\(", re.I), r"MYSQL_\1("),
)
SERVER_VERSION_ID = 101114  # /*!NNNNN … */ runs when NNNNN <= this (MariaDB 10.11.14)
_ESCAPES = {"n": "\n", "t": "\t", "0": "\0", "r": "\r", "Z": "\x1a"}


class FakeDbError(Exception):
    """A MariaDB-worded error (``code`` and ``message``) for the page to print."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def to_sqlite(sql: str, variables: dict[str, str]) -> str:
    """Rewrite MySQL-only syntax into SQLite, outside string literals only.

    Comments (``#``, ``-- ``, ``/* */``) vanish, version comments ``/*!50000 … */`` keep
    their content (MariaDB runs it), ``0x…`` literals become strings, ``@@variables`` their
    values, ``||``/``&&`` the boolean operators they are in MySQL.
    """
    out: list[str] = []
    skipping = False
    for m in _TOKEN.finditer(sql):
        kind, text = m.lastgroup, m.group()
        if skipping:
            skipping = kind != "cend"
            continue
        if kind == "vcomment":
            version = text[3:]
            skipping = bool(version) and int(version[:6]) > SERVER_VERSION_ID
            out.append(" ")
        elif kind == "str":
            out.append(_mysql_string(text))
        elif kind in ("cend", "comment", "hash", "dash"):
            out.append(" ")
        elif kind == "hex":
            out.append(_hex_string(text))
        elif kind == "var":
            name = text[2:].split(".")[-1].lower()
            out.append("'" + variables.get(name, "").replace("'", "''") + "'")
        else:
            out.append(text)
    return _operators("".join(out))


def _operators(sql: str) -> str:
    # literals were re-quoted with '' escapes, so split on them to leave their content alone
    parts = re.split(r"('(?:[^']|'')*')", sql)
    for i in range(0, len(parts), 2):
        for pattern, repl in _OPERATORS:
            parts[i] = pattern.sub(repl, parts[i])
    return "".join(parts)


def _hex_string(token: str) -> str:
    digits = token[2:] if len(token) % 2 == 0 else "0" + token[2:]
    try:
        text = bytes.fromhex(digits)
    except ValueError:
        return token
    return "'" + text.decode("latin-1").replace("'", "''") + "'"


def _mysql_string(text: str) -> str:
    """A MySQL quoted string (backslash escapes, either quote) → a SQLite literal."""
    quote = text[0]
    closed = len(text) > 1 and text.endswith(quote)
    body = text[1:-1] if closed else text[1:]
    body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.S)
    body = body.replace(quote * 2, quote)
    return "'" + body.replace("'", "''") + ("'" if closed else "")


def mysql_error(sqlite_message: str, shown: str) -> FakeDbError:
    """SQLite's error text → the MariaDB error the PHP page would print."""
    msg = sqlite_message
    for prefix, build in _ERRORS:
        if prefix in msg:
            return build(msg, shown)
    return FakeDbError(1064, syntax_message(msg, shown))


def _unknown_column(msg: str, _shown: str) -> FakeDbError:
    col = msg.split(":", 1)[1].strip()
    return FakeDbError(1054, f"Unknown column '{col}' in 'where clause'")


def _order_range(_msg: str, shown: str) -> FakeDbError:
    n = re.findall(r"ORDER\s+BY\s+(\d+)", shown, flags=re.I)
    return FakeDbError(1054, f"Unknown column '{n[-1] if n else '?'}' in 'order clause'")


def _no_table(msg: str, _shown: str) -> FakeDbError:
    table = msg.split(":", 1)[1].strip().split(".")[-1]
    return FakeDbError(1146, f"Table 'shop.{table}' doesn't exist")


def _no_function(msg: str, _shown: str) -> FakeDbError:
    fn = msg.split(":", 1)[1].strip()
    return FakeDbError(1305, f"FUNCTION shop.{fn} does not exist")


def _arguments(msg: str, _shown: str) -> FakeDbError:
    fn = re.search(r"function (\w+)\(\)", msg)
    name = fn.group(1).upper().removeprefix("MYSQL_") if fn else "?"
    return FakeDbError(1582, f"Incorrect parameter count in the call to native function '{name}'")


_ERRORS = (
    ("no such column:", _unknown_column),
    ("ORDER BY term out of range", _order_range),
    ("do not have the same number of result columns",
     lambda m, s: FakeDbError(1222, "The used SELECT statements have a different number of "
                                    "columns")),
    ("no such table:", _no_table),
    ("no such function:", _no_function),
    ("wrong number of arguments", _arguments),
    ("interrupted", lambda m, s: FakeDbError(2013, "Lost connection to server during query")),
    ("ambiguous column name",
     lambda m, s: FakeDbError(1052, f"Column '{m.split(':', 1)[1].strip()}' in field list is "
                                    "ambiguous")),
)  # fmt: skip


def syntax_message(msg: str, shown: str) -> str:
    """MariaDB's 1064 wording, quoting the input from the token SQLite choked on."""
    near = re.search(r'near "(.*?)": syntax error', msg)
    rest = shown
    if near and near.group(1) in shown:
        rest = shown[shown.index(near.group(1)) :]
    elif "incomplete input" in msg or "unrecognized token" in msg:
        quote = max(shown.rfind("'"), shown.rfind('"'))
        rest = shown[quote:] if quote >= 0 else ""
    return (
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"MariaDB server version for the right syntax to use near '{rest[:80]}' at line 1"
    )
