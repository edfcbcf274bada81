"""Attacker SQL -> statements -> sqlglot trees -> SQLite SQL (never raising but SqlError)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.tokenizer_core import TokenType

from phantomnet.deception.sql import errors
from phantomnet.deception.sql.model import Dialect, SqlError

MAX_NESTING = 64
#: Longest statement text the engine parses. Parsing and rewriting cost ~8 us a character on
#: the event loop, so this bounds what one statement can take from every other client
#: (~0.1 s); sqlmap's and scanners' statements are a few KiB.
MAX_STATEMENT_CHARS = 16_384


@dataclass(frozen=True)
class Piece:
    text: str
    offset: int


def _read(dialect: Dialect) -> str:
    return "mysql" if dialect == "mysql" else "postgres"


def program_limit(dialect: Dialect) -> SqlError:
    """What the server answers a statement past the engine's nesting or size limit."""
    if dialect == "mysql":
        return SqlError(1436, "HY000", "Thread stack overrun")
    return SqlError(0, "54001", "stack depth limit exceeded")


def split(sql: str, dialect: Dialect) -> list[Piece]:
    """Statements of a multi-statement string, split on top-level ``;``."""
    if len(sql) > MAX_STATEMENT_CHARS:
        raise program_limit(dialect)
    if ";" not in sql:
        return [Piece(sql, 0)] if sql.strip() else []
    try:
        tokens = sqlglot.tokenize(sql, read=_read(dialect))
    except (TokenError, SqlglotError, ValueError, RecursionError, IndexError):
        return [Piece(sql, 0)] if sql.strip() else []
    pieces: list[Piece] = []
    start = 0
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            end = tok.start
            if sql[start:end].strip():
                pieces.append(Piece(sql[start:end], start))
            start = tok.end + 1
    if sql[start:].strip():
        pieces.append(Piece(sql[start:], start))
    return pieces


def _depth(sql: str) -> int:
    depth = best = 0
    for ch in sql:
        if ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
    return best


def parse(sql: str, dialect: Dialect) -> exp.Expr:
    """One statement's tree, or the real server's syntax error."""
    if len(sql) > MAX_STATEMENT_CHARS or _depth(sql) > MAX_NESTING:
        raise program_limit(dialect)
    try:
        trees = sqlglot.parse(sql, read=_read(dialect))
    except ParseError as exc:
        raise _syntax(sql, dialect, exc) from None
    except (
        TokenError,
        SqlglotError,
        ValueError,
        RecursionError,
        IndexError,
        TypeError,
        AttributeError,
        KeyError,
    ) as exc:
        at = _open_quote(sql) if isinstance(exc, TokenError) and dialect == "mysql" else None
        raise errors.syntax(dialect, sql, _first_offset(sql) if at is None else at) from None
    found = [t for t in trees if t is not None]
    if len(found) != 1:
        raise errors.syntax(dialect, sql, _first_offset(sql))
    tree = found[0]
    if isinstance(tree, exp.Command):
        raise errors.syntax(dialect, sql, _first_offset(sql))
    return tree


def _open_quote(sql: str) -> int | None:
    """Where a quote (single, double or backtick) opens and never closes: MariaDB's 1064
    quotes the statement from there (a stray quote is near the quote), not from its start."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            start, i = i, i + 1
            while i < n:
                if (sql[i] == "\\" and ch != "`") or sql.startswith(ch * 2, i):
                    i += 2  # an escaped or a doubled quote
                elif sql[i] == ch:
                    break
                else:
                    i += 1
            if i >= n:
                return start
        elif ch == "#" or (sql.startswith("--", i) and sql[i + 2 : i + 3] in ("", " ", "\t", "\n")):
            end = sql.find("\n", i)
            if end < 0:
                return None
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return None
            i = end + 1
        i += 1
    return None


def _first_offset(sql: str) -> int:
    return len(sql) - len(sql.lstrip())


def _syntax(sql: str, dialect: Dialect, exc: ParseError) -> SqlError:
    if not exc.errors:
        return errors.syntax(dialect, sql, _first_offset(sql))
    info = exc.errors[0]
    description = str(info.get("description") or "")
    at_end = not str(info.get("end_context") or "").strip()
    if at_end and (description.startswith("Required keyword") or "SENTINEL" in description):
        return errors.syntax(dialect, sql, len(sql.rstrip()))
    line, col = int(info.get("line") or 1), int(info.get("col") or 1)
    highlight = str(info.get("highlight") or "")
    lines = sql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(0, col - len(highlight))
    return errors.syntax(dialect, sql, offset)


def to_sqlite(tree: exp.Expr) -> str:
    try:
        return tree.sql("sqlite")
    except (SqlglotError, ValueError, RecursionError, TypeError, AttributeError, KeyError):
        raise SqlError(1064, "42000", "unsupported") from None


_END_OF_LIST = {
    TokenType.FROM,
    TokenType.WHERE,
    TokenType.GROUP_BY,
    TokenType.HAVING,
    TokenType.ORDER_BY,
    TokenType.LIMIT,
    TokenType.UNION,
    TokenType.INTERSECT,
    TokenType.EXCEPT,
    TokenType.INTO,
    TokenType.WINDOW,
    TokenType.FOR,
    TokenType.SEMICOLON,
    TokenType.OFFSET,
    TokenType.FETCH,
}
_MODIFIERS = {
    "DISTINCT",
    "ALL",
    "DISTINCTROW",
    "SQL_CALC_FOUND_ROWS",
    "SQL_NO_CACHE",
    "SQL_CACHE",
    "HIGH_PRIORITY",
    "STRAIGHT_JOIN",
    "SQL_SMALL_RESULT",
    "SQL_BIG_RESULT",
    "SQL_BUFFER_RESULT",
}


def select_list_texts(sql: str, dialect: Dialect) -> list[str]:
    """The text of each item of the first top-level SELECT list, as the client typed it."""
    try:
        tokens = sqlglot.tokenize(sql, read=_read(dialect))
    except (TokenError, SqlglotError, ValueError, RecursionError, IndexError):
        return []
    items: list[str] = []
    depth = 0
    start = -1
    last_end = -1
    in_list = False
    for tok in tokens:
        if not in_list:
            if tok.token_type == TokenType.L_PAREN:
                depth += 1
            elif tok.token_type == TokenType.R_PAREN:
                depth -= 1
            elif tok.token_type == TokenType.SELECT and depth == 0:
                in_list = True
            continue
        if start < 0 and depth == 0 and tok.text.upper() in _MODIFIERS:
            continue
        if depth == 0 and (tok.token_type in _END_OF_LIST or tok.token_type == TokenType.COMMA):
            if start >= 0:
                items.append(sql[start : last_end + 1])
            start = -1
            if tok.token_type != TokenType.COMMA:
                return items
            continue
        if tok.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif tok.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if start < 0:
            start = tok.start
        last_end = tok.end
    if in_list and start >= 0:
        items.append(sql[start : last_end + 1])
    return items


def first_select(tree: exp.Expr) -> exp.Select | None:
    node: exp.Expr | None = tree
    while isinstance(node, exp.SetOperation):
        node = node.left
    return node if isinstance(node, exp.Select) else None


_PG_FUNC_NAMES = {
    exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user",
    exp.CurrentDatabase: "current_database",
    exp.CurrentSchema: "current_schema",
    exp.CurrentVersion: "version",
    exp.CurrentTimestamp: "now",
    exp.CurrentDate: "current_date",
}


def pg_name(node: exp.Expr) -> str:
    """The column name PostgreSQL gives an unaliased select item."""
    if isinstance(node, exp.Column):
        ident = node.this
        return (
            node.name if isinstance(ident, exp.Identifier) and ident.quoted else node.name.lower()
        )
    if isinstance(node, exp.Bracket) and isinstance(node.this, exp.Expr):
        return pg_name(node.this)
    if isinstance(node, exp.Cast):
        inner = pg_name(node.this)
        base = node.this
        while isinstance(base, exp.Cast):
            base = base.this
        # PostgreSQL's FigureColname: a column's or function's name wins over a cast's type,
        # an outer cast's type over an inner one's ('pg_class'::regclass::oid is "oid")
        if isinstance(node.this, exp.Cast) and pg_name(base) == "?column?":
            inner = "?column?"
        if inner != "?column?":
            return inner
        to = node.to.sql("postgres").lower().split("(")[0]
        return {
            "int": "int4",
            "integer": "int4",
            "bigint": "int8",
            "smallint": "int2",
            "boolean": "bool",
            "varchar": "varchar",
            "real": "float4",
            "double precision": "float8",
            "decimal": "numeric",
        }.get(to, to)
    for cls, name in _PG_FUNC_NAMES.items():
        if isinstance(node, cls):
            return name
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        return pg_name(node.expression)
    if isinstance(node, exp.Subquery):
        sub = first_select(node.this)
        if sub is not None and len(sub.expressions) == 1:
            item = sub.expressions[0]
            return item.alias if isinstance(item, exp.Alias) else pg_name(item)
        return "?column?"
    if isinstance(node, exp.Case):
        default = node.args.get("default")
        name = pg_name(default) if isinstance(default, exp.Expr) else "?column?"
        return name if name != "?column?" else "case"
    if isinstance(node, exp.Boolean):
        return "?column?"
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return "?column?"


def name_columns(tree: exp.Expr, text: str, dialect: Dialect) -> None:
    """Alias every unaliased item of the top-level select list with the real server's name."""
    select = first_select(tree)
    if select is None:
        return
    projections = list(select.expressions)
    raw = select_list_texts(text, dialect)
    for i, proj in enumerate(projections):
        if isinstance(proj, exp.Alias | exp.Star) or (
            isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
        ):
            continue
        if dialect == "mysql":
            if isinstance(proj, exp.Column):
                name = proj.name
            elif isinstance(proj, exp.Literal) and proj.is_string:
                name = proj.this
            elif len(raw) == len(projections):
                name = raw[i].strip()
            else:
                name = proj.sql("mysql")
        else:
            name = pg_name(proj)
            lead = (
                re.match(r"\s*(?:pg_catalog\.)?([A-Za-z_]\w*)\s*\(", raw[i])
                if len(raw) == len(projections)
                else None
            )
            if lead and isinstance(proj, exp.Func) and not isinstance(proj, exp.Cast):
                name = lead.group(1).lower()
        proj.replace(exp.alias_(proj.copy(), name, quoted=True))


def placeholder_count(sql: str, dialect: Dialect) -> int:
    """``?`` placeholders (MySQL) or the highest ``$n`` (PostgreSQL), outside literals."""
    try:
        tokens = sqlglot.tokenize(sql, read=_read(dialect))
    except (TokenError, SqlglotError, ValueError, RecursionError, IndexError):
        return 0
    if dialect == "mysql":
        return sum(1 for t in tokens if t.token_type == TokenType.PLACEHOLDER)
    best = 0
    for tok, nxt in itertools.pairwise(tokens):
        if tok.token_type == TokenType.PARAMETER and nxt.token_type == TokenType.NUMBER:
            best = max(best, int(nxt.text) if nxt.text.isdigit() and len(nxt.text) < 6 else 0)
    return best
