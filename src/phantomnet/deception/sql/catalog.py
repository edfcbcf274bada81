"""What the session's databases hold (tables, columns, declared types), and type naming.

Tables are SQLite tables declared with MySQL column types (``"varchar(64)"``); this module
turns a declared type into what each dialect calls it and converts stored values back into
the Python types the doors expect (``Decimal``, ``datetime``, ``date``, ``bool``).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from phantomnet.deception.sql.model import Dialect

_BASE = re.compile(r"^\s*([a-zA-Z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(unsigned)?\s*$")

MYSQL_NAMES = {
    "int": "INT",
    "integer": "INT",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "mediumint": "MEDIUMINT",
    "bigint": "BIGINT",
    "varchar": "VARCHAR",
    "char": "CHAR",
    "decimal": "DECIMAL",
    "numeric": "DECIMAL",
    "datetime": "DATETIME",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
    "text": "TEXT",
    "longtext": "TEXT",
    "mediumtext": "TEXT",
    "tinytext": "TEXT",
    "blob": "BLOB",
    "longblob": "BLOB",
    "double": "DOUBLE",
    "float": "FLOAT",
    "real": "DOUBLE",
    "boolean": "TINYINT",
    "bool": "TINYINT",
    "json": "TEXT",
    "character varying": "VARCHAR",
    "double precision": "DOUBLE",
    "bytea": "BLOB",
    "varbinary": "VARBINARY",
    "binary": "BINARY",
    "year": "YEAR",
    "enum": "ENUM",
}

PG_NAMES = {
    "int": "int4",
    "integer": "int4",
    "tinyint": "int2",
    "smallint": "int2",
    "mediumint": "int4",
    "bigint": "int8",
    "varchar": "varchar",
    "char": "bpchar",
    "character varying": "varchar",
    "character": "bpchar",
    "decimal": "numeric",
    "numeric": "numeric",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "date": "date",
    "time": "time",
    "text": "text",
    "longtext": "text",
    "blob": "bytea",
    "bytea": "bytea",
    "double": "float8",
    "double precision": "float8",
    "float": "float4",
    "real": "float4",
    "boolean": "bool",
    "bool": "bool",
    "json": "json",
    "jsonb": "jsonb",
    "uuid": "uuid",
}

PG_FORMAT = {
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "varchar": "character varying",
    "bpchar": "character",
    "numeric": "numeric",
    "timestamp": "timestamp without time zone",
    "date": "date",
    "text": "text",
    "bytea": "bytea",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "json": "json",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "time": "time without time zone",
}


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    decl: str  # MySQL-style declared type, e.g. "varchar(64)"
    notnull: bool
    default: str | None
    pk: bool


def parse_decl(decl: str) -> tuple[str, int | None, int | None]:
    m = _BASE.match(decl or "")
    if not m:
        return (decl or "text").lower().split("(")[0].strip() or "text", None, None
    base = m.group(1).lower()
    return base, int(m.group(2)) if m.group(2) else None, int(m.group(3)) if m.group(3) else None


def mysql_decl(info: ColumnInfo) -> str:
    """The column type MySQL shows (``int(11)``, ``varchar(64)``...)."""
    base, n, s = parse_decl(info.decl)
    if info.pk and base == "integer":
        return "int(11)"
    name = MYSQL_NAMES.get(base, base.upper()).lower()
    if name == "int" and n is None:
        return "int(11)"
    if n is None:
        return name
    return f"{name}({n},{s})" if s is not None else f"{name}({n})"


def mysql_type(decl: str) -> str:
    base, _n, _s = parse_decl(decl)
    return MYSQL_NAMES.get(base, "VARCHAR")


def pg_type(decl: str) -> str:
    base, n, _s = parse_decl(decl)
    if base == "tinyint" and n == 1:
        return "bool"
    return PG_NAMES.get(base, "text")


def pg_format(decl: str) -> str:
    """``format_type`` of a column: ``character varying(64)``, ``numeric(10,2)``..."""
    _base, n, s = parse_decl(decl)
    t = pg_type(decl)
    name = PG_FORMAT.get(t, t)
    if t in ("varchar", "bpchar") and n is not None:
        return f"{name}({n})"
    if t == "numeric" and n is not None:
        return f"numeric({n},{s or 0})"
    return name


def type_name(decl: str, dialect: Dialect) -> str:
    return mysql_type(decl) if dialect == "mysql" else pg_type(decl)


def convert(value: object, decl: str, dialect: Dialect) -> object:
    """A stored value as the real server would return it for that column type."""
    if value is None or not decl:
        return value
    base, n, s = parse_decl(decl)
    try:
        if base in ("decimal", "numeric") and isinstance(value, int | float | str):
            d = Decimal(str(value))
            return d.quantize(Decimal(1).scaleb(-s)) if s is not None else d
        if base in ("datetime", "timestamp") and isinstance(value, str):
            return datetime.fromisoformat(value)
        if base == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        boolean = (base == "tinyint" and n == 1) or base in ("boolean", "bool")
        if dialect == "postgres" and isinstance(value, int) and boolean:
            return bool(value)
    except (ValueError, InvalidOperation, OverflowError):
        return value
    return value


def read_catalog(
    conn: sqlite3.Connection, databases: list[str]
) -> dict[str, dict[str, list[ColumnInfo]]]:
    """Every table of ``databases`` with its columns (the caller runs this trusted)."""
    out: dict[str, dict[str, list[ColumnInfo]]] = {}
    for db in databases:
        tables: dict[str, list[ColumnInfo]] = {}
        names = conn.execute(
            f"SELECT name FROM \"{db}\".sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        for (name,) in names:
            cols = conn.execute(f'PRAGMA "{db}".table_info("{name}")').fetchall()
            tables[str(name)] = [
                ColumnInfo(str(c[1]), str(c[2] or ""), bool(c[3]), c[4], bool(c[5])) for c in cols
            ]
        out[db] = tables
    return out
