"""What PHP's mysqli gives a web page, on the engine: the HTTP door's SQL injection.

The decoy shop's pages open a connection per request (as PHP does), as the web application's
database account, from ``localhost``, to the attacker source's own copy of the company data:
a row the web writes is what the MySQL door reads for that source, and the reverse::

    db = web.connect(host.sql, ip, user="wpuser", database="shop")
    try:
        answer = web.query(db, f"SELECT ... WHERE id = {raw}")
    finally:
        db.close()

:func:`query` is ``mysqli_query``: exactly one statement (a stacked ``; INSERT ...`` is
MariaDB's 1064 "near 'INSERT ...'", because PHP never sets CLIENT_MULTI_STATEMENTS there).
``SLEEP``/``BENCHMARK`` only record ``delay_s``; the door waits it out, capped.

A few MariaDB built-ins injection tools probe (``QUARTER``, ``TIMESTAMPADD``, ``SESSION_USER``,
``EXTRACTVALUE``/``UPDATEXML`` with their XPATH errors, hex literals as strings) are added here
when the engine's own function table lacks them, so the engine's versions win once it has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError, TokenError

from phantomnet.deception.sql import errors, translate
from phantomnet.deception.sql.funcs import number, text
from phantomnet.deception.sql.model import SqlError, SqlResult
from phantomnet.deception.sql.session import SqlSession

if TYPE_CHECKING:
    from phantomnet.deception.sql.engine import SqlEngine

XPATH_SHOWN = 32  # MariaDB prints the first 32 characters of the bad XPath
_UNITS = {"MICROSECOND": 1e-6, "SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400,
          "WEEK": 604800}  # fmt: skip


#: SQLite built-ins with no MariaDB namesake, as the attacker's query names them
SQLITE_ONLY = frozenset({"last_insert_rowid", "changes", "total_changes", "printf", "julianday",
                         "strftime", "unixepoch", "total", "sqlite_source_id", "sqlite_offset",
                         "sqlite_version", "randomblob", "zeroblob", "likelihood", "likely",
                         "unlikely", "typeof", "unicode"})  # fmt: skip


@dataclass(frozen=True)
class WebAnswer:
    """What the page gets back from ``mysqli_query`` (and ``mysqli_error``)."""

    rows: tuple[tuple[object, ...], ...] = ()
    error: SqlError | None = None
    delay_s: float = 0.0
    affected: int = 0
    last_insert_id: int = 0


def connect(engine: SqlEngine, source: str, *, user: str, database: str) -> SqlSession:
    """``mysqli_connect('localhost', user, ..., database)`` for a page served to ``source``."""
    session = engine.session(source, "mysql", user=user, database=database)
    session.host = "localhost"
    _complete(session)
    return session


def query(session: SqlSession, sql: str) -> WebAnswer:
    """``mysqli_query``: one statement; stacked statements are a syntax error."""
    stacked = _second_statement(sql)
    if stacked is not None:
        return WebAnswer(error=errors.syntax("mysql", stacked, 0))
    outcomes = session.execute(sql)
    if not outcomes:
        return WebAnswer(error=SqlError(1065, "42000", "Query was empty"))
    first = outcomes[0]
    if isinstance(first, SqlError):
        return WebAnswer(error=first, delay_s=session.clock.delay_s)
    return _answer(first)


def _answer(result: SqlResult) -> WebAnswer:
    return WebAnswer(rows=result.rows, delay_s=result.delay_s, affected=result.affected,
                     last_insert_id=result.last_insert_id)  # fmt: skip


def _second_statement(sql: str) -> str | None:
    """The text of a second statement after ``;`` (comments alone do not count)."""
    pieces = translate.split(sql, "mysql")
    for piece in pieces[1:]:
        try:
            tokens = sqlglot.tokenize(piece.text, read="mysql")
        except (TokenError, SqlglotError, ValueError, RecursionError, IndexError):
            return piece.text.lstrip()
        if tokens:
            return piece.text.lstrip()
    return None


# -- what the engine may lack ------------------------------------------------------------------
class _XpathError(ValueError):
    pass


def _xpath(session: SqlSession) -> Callable[..., Any]:
    def check(_doc: object, path: object, *_new: object) -> object:
        """``EXTRACTVALUE(doc, xpath)``/``UPDATEXML(doc, xpath, new)``: a path that is not
        XPath (what error-based injection sends: ``0x7e`` + data) is error 1105."""
        value = text(path)
        if value is None:
            return None
        if value[:1].isalnum() or value[:1] in "/.@*(":
            return None  # a plausible XPath: no match in a document that is not XML
        shown = value[:XPATH_SHOWN]
        session.sandbox.raised = SqlError(1105, "HY000", f"XPATH syntax error: '{shown}'")
        raise _XpathError("xpath")

    return check


def _quarter(value: object) -> int | None:
    t = text(value)
    if t is None:
        return None
    try:
        month = int(t[5:7])
    except ValueError:
        return None
    return (month - 1) // 3 + 1 if 1 <= month <= 12 else None


def _timestamp_add(when: object, n: object, unit: object) -> str | None:
    t, count = text(when), number(n)
    if t is None or count is None:
        return None
    try:
        base = datetime.fromisoformat(t)
        step = _UNITS.get((text(unit) or "").upper(), 86400)
        return (base + timedelta(seconds=step * count)).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError):
        return None


def _extras(session: SqlSession) -> dict[str, tuple[int, Callable[..., Any]]]:
    xpath = _xpath(session)
    return {
        "quarter": (1, _quarter),
        "timestamp_add": (3, _timestamp_add),
        "extractvalue": (2, xpath),
        "updatexml": (3, xpath),
        "session_user": (0, lambda: f"{session.user}@{session.host}"),
    }


def _complete(session: SqlSession) -> None:
    with session.sandbox.trusted() as conn:  # what the engine registered on this session
        known = {str(row[0]).lower() for row in conn.execute("PRAGMA function_list")}
    for name, (nargs, fn) in _extras(session).items():
        if name not in known:
            session.sandbox.conn.create_function(name, nargs, fn)
    mode_replace = session.mode.replace

    def replace(node: exp.Expr) -> exp.Expr | None:
        done = mode_replace(node)
        if done is not None:
            return done
        name = _sqlite_only(node)
        if name is not None:
            raise SqlError(1305, "42000", f"FUNCTION {session.database}.{name} does not exist")
        if isinstance(node, exp.SessionUser):
            return exp.Anonymous(this="session_user", expressions=[])
        if isinstance(node, exp.HexString):
            return _hex_string(node)
        if isinstance(node, exp.TimestampAdd):
            unit = exp.Literal.string(node.text("unit").upper() or "DAY")
            args = [node.this, node.expression, unit]
            return exp.Anonymous(this="timestamp_add", expressions=args)
        return None

    session.mode.replace = replace  # type: ignore[method-assign]


def _sqlite_only(node: exp.Expr) -> str | None:
    """The name of a SQLite built-in MariaDB does not have (a fingerprint if it answered)."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in SQLITE_ONLY:
        return node.name.lower()
    if isinstance(node, exp.Typeof | exp.Unicode):
        return node.key
    return None


def _hex_string(node: exp.HexString) -> exp.Expr:
    """``0x7573657273`` is the string 'users' to MariaDB wherever a string is compared."""
    digits = node.name if len(node.name) % 2 == 0 else "0" + node.name
    try:
        return exp.Literal.string(bytes.fromhex(digits).decode("latin-1"))
    except ValueError:
        return node
