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
``SLEEP``/``BENCHMARK`` only record ``delay_s``; the door waits it out, capped. Everything
else (built-ins, XPATH errors, hex literals, refused SQLite-only functions) is the engine's
MariaDB mode, the same as the MySQL door's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlglot
from sqlglot.errors import SqlglotError, TokenError

from phantomnet.deception.sql import errors, translate
from phantomnet.deception.sql.model import SqlError, SqlResult
from phantomnet.deception.sql.session import SqlSession

if TYPE_CHECKING:
    from phantomnet.deception.sql.engine import SqlEngine


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
    return session


def query(session: SqlSession, sql: str) -> WebAnswer:
    """``mysqli_query``: one statement; stacked statements are a syntax error."""
    try:
        stacked = _second_statement(sql)
    except SqlError as exc:  # past the engine's size limit
        return WebAnswer(error=exc)
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
