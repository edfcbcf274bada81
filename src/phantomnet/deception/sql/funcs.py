"""MariaDB / PostgreSQL built-ins SQLite lacks, as SQLite user functions (total, capped).

Functions never raise: bad input gives NULL like the real servers. Delays (``SLEEP``,
``BENCHMARK``, ``pg_sleep``) are only *recorded* on :class:`Clock`; the door waits them out.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import regex
from sqlglot import exp

MAX_TEXT = 1_000_000
MAX_DELAY_S = 30.0


class Clock:
    def __init__(self) -> None:
        self.delay_s = 0.0

    def add(self, seconds: float) -> int:
        """Record a delay; returns 0 (what SLEEP()/BENCHMARK() return)."""
        if seconds > 0:
            self.delay_s = min(MAX_DELAY_S, self.delay_s + seconds)
        return 0


def text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(text(value) or "")
    except ValueError:
        return 0.0


#: SQLite built-ins neither MariaDB nor PostgreSQL has: answering one would give SQLite away
SQLITE_ONLY = frozenset({"last_insert_rowid", "changes", "total_changes", "printf", "julianday",
                         "strftime", "unixepoch", "total", "sqlite_source_id", "sqlite_offset",
                         "sqlite_version", "sqlite_compileoption_used", "sqlite_compileoption_get",
                         "randomblob", "zeroblob", "likelihood", "likely", "unlikely",
                         "load_extension"})  # fmt: skip


def sqlite_only(node: exp.Expr) -> str | None:
    """The name (as typed) of a SQLite-only built-in ``node`` calls, else None."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in SQLITE_ONLY:
        return node.name
    if isinstance(node, exp.Typeof | exp.Unicode):  # sqlglot keeps no spelling of these
        return node.key
    return None


def _cap(s: str | None) -> str | None:
    return None if s is None else s[:MAX_TEXT]


def _regexp(pattern: object, value: object) -> int | None:
    p, v = text(pattern), text(value)
    if p is None or v is None:
        return None
    try:
        return int(regex.search(p, v, regex.IGNORECASE, timeout=0.2) is not None)
    except (regex.error, TimeoutError, ValueError):
        return 0


def _regexp_cs(pattern: object, value: object) -> int | None:
    p, v = text(pattern), text(value)
    if p is None or v is None:
        return None
    try:
        return int(regex.search(p, v, timeout=0.2) is not None)
    except (regex.error, TimeoutError, ValueError):
        return 0


def _hashf(name: str) -> Callable[[object], str | None]:
    def fn(value: object) -> str | None:
        t = text(value)
        return None if t is None else hashlib.new(name, t.encode()).hexdigest()

    return fn


def _sha2(value: object, bits: object) -> str | None:
    t = text(value)
    n = int(number(bits) or 0)
    name = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}.get(n)
    return None if t is None or name is None else hashlib.new(name, t.encode()).hexdigest()


def _mid(value: object, pos: object, length: object = None) -> str | None:
    t, p = text(value), number(pos)
    if t is None or p is None:
        return None
    start = int(p) - 1 if p > 0 else len(t) + int(p) if p < 0 else len(t)
    if start < 0:
        return ""
    if length is None:
        return t[start:]
    n = number(length)
    return None if n is None else t[start : start + max(0, int(n))]


def _ord(value: object) -> int | None:
    t = text(value)
    if t is None:
        return None
    if not t:
        return 0
    raw = t[0].encode()
    out = 0
    for b in raw:
        out = out * 256 + b
    return out


def _if(cond: object, a: object, b: object) -> object:
    n = number(cond)
    return a if n else b


def _elt(n: object, *items: object) -> Any:
    i = number(n)
    if i is None or not 1 <= int(i) <= len(items):
        return None
    return items[int(i) - 1]


def _field(value: object, *items: object) -> int:
    for i, item in enumerate(items, 1):
        if value is not None and text(item) == text(value):
            return i
    return 0


def _locate(sub: object, s: object, pos: object = 1) -> int | None:
    a, b, p = text(sub), text(s), number(pos)
    if a is None or b is None or p is None:
        return None
    return b.find(a, max(0, int(p) - 1)) + 1


def _pad(left: bool) -> Callable[[object, object, object], str | None]:
    def fn(value: object, length: object, pad: object) -> str | None:
        t, n, p = text(value), number(length), text(pad)
        if t is None or n is None or p is None:
            return None
        n = min(int(n), MAX_TEXT)
        if n < 0:
            return None
        if len(t) >= n or not p:
            return t[:n] if len(t) >= n else None
        fill = (p * (n // len(p) + 1))[: n - len(t)]
        return fill + t if left else t + fill

    return fn


def _repeat(value: object, count: object) -> str | None:
    t, n = text(value), number(count)
    if t is None or n is None:
        return None
    n = int(n)
    if n <= 0:
        return ""
    if len(t) * n > MAX_TEXT:
        return None
    return t * n


def _left(value: object, n: object) -> str | None:
    t, k = text(value), number(n)
    return None if t is None or k is None else t[: max(0, int(k))]


def _right(value: object, n: object) -> str | None:
    t, k = text(value), number(n)
    if t is None or k is None:
        return None
    return t[-int(k) :] if int(k) > 0 else ""


def _unhex(value: object) -> bytes | None:
    t = text(value)
    if t is None:
        return None
    try:
        return bytes.fromhex(t if len(t) % 2 == 0 else "0" + t)
    except ValueError:
        return None


def _conv(value: object, src: object, dst: object) -> str | None:
    t, a, b = text(value), number(src), number(dst)
    if t is None or a is None or b is None or not (2 <= int(a) <= 36 and 2 <= int(abs(b)) <= 36):
        return None
    try:
        n = int(t, int(a))
    except ValueError:
        return "0"
    digits, base, out = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", int(abs(b)), ""
    if n == 0:
        return "0"
    neg, n = n < 0, abs(n)
    while n:
        n, r = divmod(n, base)
        out = digits[r] + out
    return ("-" if neg else "") + out


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def register(
    conn: sqlite3.Connection,
    dialect: str,
    clock: Clock,
    rng: random.Random,
    values: Callable[[str], object],
) -> None:
    """Register the dialect's functions on ``conn``. ``values(name)`` gives session values."""
    fns: dict[str, tuple[int, Callable[..., Any]]] = {
        "regexp": (2, _regexp if dialect == "mysql" else _regexp_cs),
        "md5": (1, _hashf("md5")),
        "sha1": (1, _hashf("sha1")),
        "sha": (1, _hashf("sha1")),
        "sha2": (2, _sha2),
        "now": (0, _now),
        "rand": (0, rng.random),
        "uuid": (0, lambda: str(uuid.UUID(int=rng.getrandbits(128), version=1))),
    }
    if dialect == "mysql":
        fns |= {
            "user": (0, lambda: values("user")),
            "system_user": (0, lambda: values("user")),
            "session_user": (0, lambda: values("user")),
            "connection_id": (0, lambda: values("connection_id")),
            "last_insert_id": (0, lambda: values("last_insert_id")),
            "found_rows": (0, lambda: values("found_rows")),
            "row_count": (0, lambda: values("row_count")),
            "load_file": (1, lambda _p: None),
            "sleep": (1, lambda s: clock.add(number(s) or 0)),
            "benchmark": (2, lambda n, _e: clock.add((number(n) or 0) / 5_000_000)),
            "mid": (3, _mid),
            "ord": (1, _ord),
            "ascii": (
                1,
                lambda v: (
                    None if text(v) is None else (ord((text(v) or "\0")[0]) if text(v) else 0)
                ),
            ),
            "if": (3, _if),
            "locate": (2, _locate),
            "lpad": (3, _pad(True)),
            "rpad": (3, _pad(False)),
            "repeat": (2, _repeat),
            "left": (2, _left),
            "right": (2, _right),
            "unhex": (1, _unhex),
            "conv": (3, _conv),
            "bin": (1, lambda v: _conv(v, 10, 2)),
            "space": (1, lambda n: _repeat(" ", n)),
            "reverse": (1, lambda v: None if text(v) is None else (text(v) or "")[::-1]),
            "char_length": (1, lambda v: None if text(v) is None else len(text(v) or "")),
            "sysdate": (0, _now),
            "curdate": (0, lambda: datetime.now().strftime("%Y-%m-%d")),
            "curtime": (0, lambda: datetime.now().strftime("%H:%M:%S")),
            "database": (0, lambda: values("database")),
            "schema": (0, lambda: values("database")),
            "version": (0, lambda: values("version")),
        }
        from phantomnet.deception.sql.mysqlfuncs import functions as mysql_functions

        fns |= mysql_functions()
        for name, fn in (("mid", _mid), ("substring", _mid)):
            conn.create_function(name, 2, fn, deterministic=True)
        conn.create_function("locate", 3, _locate, deterministic=True)
        conn.create_function("elt", -1, _elt, deterministic=True)
        conn.create_function("field", -1, _field, deterministic=True)
    else:
        fns |= {
            "pg_sleep": (1, lambda s: str(clock.add(number(s) or 0))[:0]),
            "pg_backend_pid": (0, lambda: values("connection_id")),
            "current_setting": (1, lambda n: values("setting:" + (text(n) or ""))),
            "version": (0, lambda: values("version")),
            "current_database": (0, lambda: values("database")),
            "left": (2, _left),
            "right": (2, _right),
            "repeat": (2, _repeat),
            "lpad": (3, _pad(True)),
            "rpad": (3, _pad(False)),
            "reverse": (1, lambda v: None if text(v) is None else (text(v) or "")[::-1]),
            "chr": (1, lambda n: chr(int(number(n) or 0) % 0x110000)),
            "ascii": (
                1,
                lambda v: (
                    None if text(v) is None else (ord((text(v) or "\0")[0]) if text(v) else 0)
                ),
            ),
        }
    if dialect == "postgres":
        fns |= _pg_catalog_functions(values)
    for name, (n, fn) in fns.items():
        conn.create_function(name, n, fn)
    if dialect == "postgres":
        for name in (
            "obj_description",
            "pg_get_expr",
            "pg_get_indexdef",
            "pg_get_viewdef",
            "pg_get_constraintdef",
            "has_table_privilege",
            "has_schema_privilege",
            "has_database_privilege",
            *NULL_PG_FUNCTIONS,
        ):
            for n in (1, 2, 3):
                conn.create_function(name, n, _pg_variadic(name, values))
        conn.create_function("array_to_string", 2, _array_to_string)
        conn.create_function("array_to_string", 3, _array_to_string)
        conn.create_function("format_type", 2, _format_type)
        conn.create_function("array_remove", 2, _array_remove)
        from phantomnet.deception.sql.pgdump import pg_array_json, pg_subscript

        conn.create_function("pg_subscript", 2, pg_subscript)
        conn.create_function("pg_array_json", 1, pg_array_json)


def _format_type(oid: object, mod: object) -> str | None:
    from phantomnet.deception.sql.pgcatalog import format_type

    return format_type(oid, mod)


def _array_to_string(value: object, sep: object, _null: object = None) -> str | None:
    t = text(value)
    if t is None:
        return None
    items = t.strip("{}").split(",") if t.startswith("{") else [t]
    return (text(sep) or "").join(i for i in items if i)


def _array_remove(value: object, item: object) -> str | None:
    """array_remove() on an array's text form ('{a,b}'), as the engine stores arrays."""
    t = text(value)
    if t is None:
        return None
    items = [i for i in t.strip("{}").split(",") if i] if t.startswith("{") else [t]
    return "{" + ",".join(i for i in items if i != text(item)) + "}"


def _pg_variadic(name: str, values: Callable[[str], object]) -> Callable[..., Any]:
    def fn(*args: object) -> object:
        if name.startswith("has_"):
            return 1
        if name == "pg_get_indexdef" and args:
            return values(f"indexdef:{args[0]}")
        if name == "pg_get_constraintdef" and args:
            return values(f"constraintdef:{args[0]}")
        return None

    return fn


def _pg_catalog_functions(
    values: Callable[[str], object],
) -> dict[str, tuple[int, Callable[..., Any]]]:
    def userbyid(oid: object) -> str:
        n = int(number(oid) or 0)
        if n == 10:
            return "postgres"
        if n == 16384:
            return str(values("role"))
        if n == 6171:
            return "pg_database_owner"
        return f"unknown (OID={n})"

    return {
        "pg_get_userbyid": (1, userbyid),
        "pg_table_is_visible": (1, lambda _o: 1),
        "pg_type_is_visible": (1, lambda _o: 1),
        "pg_function_is_visible": (1, lambda _o: 1),
        "pg_encoding_to_char": (1, lambda e: "UTF8" if int(number(e) or 0) == 6 else "SQL_ASCII"),
        "col_description": (2, lambda _o, _n: None),
        "shobj_description": (2, lambda _o, _c: None),
        "pg_relation_size": (1, lambda _o: 8192),
        "pg_total_relation_size": (1, lambda _o: 32768),
        "pg_table_size": (1, lambda _o: 16384),
        "pg_size_pretty": (1, _size_pretty),
        "pg_is_in_recovery": (0, lambda: 0),
        "txid_current": (0, lambda: 743),
        "inet_server_addr": (0, lambda: None),
        "inet_client_addr": (0, lambda: values("client")),
        "pg_postmaster_start_time": (0, lambda: values("started")),
        "quote_ident": (1, lambda v: None if text(v) is None else _quote_ident(text(v) or "")),
        "pg_get_function_identity_arguments": (1, lambda _o: ""),
        "pg_get_function_result": (1, lambda _o: None),
        "quote_literal": (1, _quote_literal),
        "current_schemas": (1, lambda implicit: _current_schemas(values, implicit)),
        "set_config": (3, lambda _n, value, _local: text(value)),
        "acldefault": (2, lambda kind, owner: _acldefault(text(kind), userbyid(owner))),
    }


#: PostgreSQL's built-in default privileges per object kind (acldefault()): (PUBLIC, owner)
_ACL_DEFAULTS = {"r": ("", "arwdDxt"), "s": ("", "rwU"), "n": ("", "UC"), "f": ("X", "X"),
                 "T": ("U", "U"), "l": ("U", "U"), "F": ("", "U"), "S": ("", "U"),
                 "L": ("", "rw"), "d": ("Tc", "CTc"), "t": ("", "C"), "p": ("", "sA")}  # fmt: skip


def _acldefault(kind: str | None, owner: str) -> str | None:
    grants = _ACL_DEFAULTS.get(kind or "")
    if grants is None:
        return None
    public, own = grants
    name = _quote_ident(owner)
    items = ([f"={public}/{name}"] if public else []) + [f"{name}={own}/{name}"]
    return "{" + ",".join(items) + "}"


def _current_schemas(values: Callable[[str], object], implicit: object) -> str:
    """current_schemas(bool): the search_path's schemas that exist ($user has none)."""
    path = text(values("setting:search_path")) or ""
    names = [p.strip().strip('"') for p in path.split(",") if p.strip()]
    found = [n for n in names if n in ("public", "pg_catalog", "information_schema")]
    if number(implicit) and "pg_catalog" not in found:
        found.insert(0, "pg_catalog")
    return "{" + ",".join(found) + "}"


def _quote_literal(value: object) -> str | None:
    t = text(value)
    if t is None:
        return None
    quoted = "'" + t.replace("'", "''").replace("\\", "\\\\") + "'"
    return "E" + quoted if "\\" in t else quoted


def _quote_ident(name: str) -> str:
    if (
        name
        and (name[0].isalpha() or name[0] == "_")
        and name == name.lower()
        and all(c.isalnum() or c == "_" for c in name)
    ):
        return name
    return '"' + name.replace('"', '""') + '"'


def _size_pretty(value: object) -> str | None:
    n = number(value)
    if n is None:
        return None
    size = int(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(size) < 10 * 1024 or unit == "GB":
            return f"{size} {unit}"
        size = (size + 512) // 1024
    return f"{size} TB"


#: catalogue functions psql/pg_dump call whose answer for the fake tables is NULL
NULL_PG_FUNCTIONS = (
    "has_column_privilege", "pg_get_triggerdef", "pg_get_ruledef", "pg_get_partkeydef",
    "pg_get_partition_constraintdef", "pg_get_serial_sequence", "pg_get_function_arguments",
    "pg_get_statisticsobjdef_columns", "pg_get_functiondef", "pg_get_statisticsobjdef",
    "pg_partition_root", "pg_tablespace_location",
)  # fmt: skip
