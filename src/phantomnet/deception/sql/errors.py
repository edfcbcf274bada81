"""Errors worded exactly like MariaDB 10.11 and PostgreSQL 15 word them."""

from __future__ import annotations

import re
from collections.abc import Callable

from phantomnet.deception.sql.model import Dialect, SqlError

MYSQL_SYNTAX = (
    "You have an error in your SQL syntax; check the manual that corresponds to your "
    "MariaDB server version for the right syntax to use near '{near}' at line {line}"
)


def syntax(dialect: Dialect, sql: str, offset: int | None) -> SqlError:
    """A syntax error at ``offset`` of ``sql`` (None: at the start)."""
    pos = max(0, min(len(sql), offset or 0))
    if dialect == "mysql":
        line = sql.count("\n", 0, pos) + 1
        near = sql[pos:][:80]
        return SqlError(1064, "42000", MYSQL_SYNTAX.format(near=near, line=line))
    rest = sql[pos:].lstrip()
    if not rest:
        return SqlError(0, "42601", "syntax error at end of input")
    m = re.match(r"""'[^']*'?|"[^"]*"?|\w+|\S""", rest)
    token = m.group(0) if m else rest[:1]
    return SqlError(0, "42601", f'syntax error at or near "{token}"')


def no_table(dialect: Dialect, db: str, table: str) -> SqlError:
    if dialect == "mysql":
        return SqlError(1146, "42S02", f"Table '{db}.{table}' doesn't exist")
    return SqlError(0, "42P01", f'relation "{table}" does not exist')


def no_column(dialect: Dialect, column: str, clause: str = "SELECT") -> SqlError:
    if dialect == "mysql":
        return SqlError(1054, "42S22", f"Unknown column '{column}' in '{clause}'")
    return SqlError(0, "42703", f'column "{column}" does not exist')


def no_database(dialect: Dialect, name: str) -> SqlError:
    if dialect == "mysql":
        return SqlError(1049, "42000", f"Unknown database '{name}'")
    return SqlError(0, "3D000", f'database "{name}" does not exist')


def no_function(dialect: Dialect, database: str | None, name: str, args: str = "") -> SqlError:
    """A function the server does not have (``args``: PostgreSQL's argument types)."""
    if dialect == "mysql":
        where = f"{database}.{name}" if database else name
        return SqlError(1305, "42000", f"FUNCTION {where} does not exist")
    return SqlError(0, "42883", f"function {name.lower()}({args}) does not exist")


def no_database_selected() -> SqlError:
    return SqlError(1046, "3D000", "No database selected")


def file_denied() -> SqlError:
    return need_privilege("FILE")


def access_denied(user: str, host: str) -> SqlError:
    return SqlError(
        1045, "28000", f"Access denied for user '{user}'@'{host}' (using password: YES)"
    )


def db_access_denied(user: str, db: str) -> SqlError:
    """1044: the account (``user@%``) may not use ``db`` (also what an unknown one gets)."""
    return SqlError(1044, "42000", f"Access denied for user '{user}'@'%' to database '{db}'")


def unknown_database_for(user: str, db: str) -> SqlError:
    """``USE``/connect to a database the account has no grant on: 1049 for root, else 1044."""
    return no_database("mysql", db) if user == "root" else db_access_denied(user, db)


def table_denied(command: str, user: str, host: str, db: str, table: str) -> SqlError:
    return SqlError(
        1142,
        "42000",
        f"{command} command denied to user '{user}'@'{host}' for table `{db}`.`{table}`",
    )


def need_privilege(privilege: str) -> SqlError:
    return SqlError(
        1227,
        "42000",
        "Access denied; you need (at least one of) the "
        f"{privilege} privilege(s) for this operation",
    )


def pg_denied(message: str) -> SqlError:
    return SqlError(0, "42501", message)


def interrupted(dialect: Dialect) -> SqlError:
    if dialect == "mysql":
        return SqlError(
            1969, "70100", "Query execution was interrupted (max_statement_time exceeded)"
        )
    return SqlError(0, "57014", "canceling statement due to statement timeout")


_NO_TABLE = re.compile(r"no such table: (?:([^.\s]+)\.)?(\S+)")
_NO_COLUMN = re.compile(r"no such column: (\S+)")
_AMBIGUOUS = re.compile(r"ambiguous column name: (\S+)")
_HAS_NO_COLUMN = re.compile(r"table (\S+) has no column named (\S+)")
_EXISTS = re.compile(r"table (?:\"?([^\s\"]+)\"?) already exists")
_NEAR = re.compile(r'near "((?:[^"]|"")*)": syntax error')
_FUNC = re.compile(r"no such function: (\S+)")
_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+)")


def from_sqlite(
    dialect: Dialect,
    message: str,
    sql: str,
    database: str | None,
    clause_of: Callable[[str], str] | None = None,
) -> SqlError:
    """Translate a SQLite error message into the real server's error."""
    db = database or ""
    m = _NO_TABLE.search(message)
    if m:
        if m.group(1) in (None, "main", "temp") and not db:
            return no_database_selected()
        return no_table(dialect, m.group(1) or db, m.group(2))
    m = _NO_COLUMN.search(message)
    if m:
        col = m.group(1)
        name = col.split(".")[-1]
        clause = clause_of(name) if clause_of is not None else "SELECT"
        return no_column(dialect, name if dialect == "postgres" else col, clause)
    m = _AMBIGUOUS.search(message)
    if m:
        name = m.group(1).split(".")[-1]
        if dialect == "mysql":
            clause = clause_of(name) if clause_of is not None else "SELECT"
            return SqlError(1052, "23000", f"Column '{name}' in {clause} is ambiguous")
        return SqlError(0, "42702", f'column reference "{name}" is ambiguous')
    m = _HAS_NO_COLUMN.search(message)
    if m:
        if dialect == "mysql":
            return no_column(dialect, m.group(2), "INSERT INTO")
        return SqlError(
            0,
            "42703",
            f'column "{m.group(2)}" of relation "{m.group(1).split(".")[-1]}" does not exist',
        )
    m = _EXISTS.search(message)
    if m:
        name = m.group(1).split(".")[-1]
        if dialect == "mysql":
            return SqlError(1050, "42S01", f"Table '{name}' already exists")
        return SqlError(0, "42P07", f'relation "{name}" already exists')
    m = _FUNC.search(message)
    if m:
        fn = m.group(1)
        if dialect == "mysql":
            typed = re.search(rf"(?i)\b({re.escape(fn)})\s*\(", sql)  # MariaDB keeps the spelling
            return no_function(dialect, database, typed.group(1) if typed else fn.lower())
        return no_function(dialect, database, fn)
    m = _UNIQUE.search(message)
    if m:
        column = m.group(1).split(".")[-1]
        if dialect == "mysql":
            return SqlError(1062, "23000", f"Duplicate entry for key '{column}'")
        table = m.group(1).split(".")[-2] if m.group(1).count(".") >= 1 else "t"
        return SqlError(
            0, "23505", f'duplicate key value violates unique constraint "{table}_pkey"'
        )
    if "database or disk is full" in message:
        if dialect == "mysql":
            return SqlError(1114, "HY000", "The table is full")
        return SqlError(0, "53100", "could not extend file: No space left on device")
    if "too big" in message or "too many" in message or "too long" in message:
        if dialect == "mysql":
            return SqlError(
                1301,
                "HY000",
                "Result of a string function was larger than max_allowed_packet (16777216)"
                " - truncated",
            )
        return SqlError(0, "54000", "out of memory")
    if "interrupted" in message:
        return interrupted(dialect)
    if "NOT NULL constraint failed" in message:
        column = message.rsplit(".", 1)[-1]
        if dialect == "mysql":
            return SqlError(1048, "23000", f"Column '{column}' cannot be null")
        return SqlError(0, "23502", f'null value in column "{column}" violates not-null constraint')
    if "values for" in message and "columns" in message:
        if dialect == "mysql":
            return SqlError(1136, "21S01", "Column count doesn't match value count at row 1")
        return SqlError(0, "42601", "INSERT has more expressions than target columns")
    if "SELECTs to the left and right of UNION do not have the same number" in message:
        if dialect == "mysql":
            return SqlError(
                1222, "21000", "The used SELECT statements have a different number of columns"
            )
        return SqlError(0, "42601", "each UNION query must have the same number of columns")
    m = _NEAR.search(message)
    if m:
        token = m.group(1).replace('""', '"')
        at = sql.find(token)
        return syntax(dialect, sql, at if at >= 0 else 0)
    return syntax(dialect, sql, 0)
