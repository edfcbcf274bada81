"""A fake MariaDB behind the web decoys, evaluated in a sandboxed in-memory SQLite.

The product page builds ``SELECT … FROM products WHERE id = <input>`` exactly as a vulnerable
PHP page would, so every injected payload (boolean, UNION, error-based, time-based, stacked
ORDER BY probes) gets answers that are consistent with one fake schema: what sqlmap needs to
call the parameter injectable and to dump ``users`` (whose credentials are honeytokens).

Nothing reaches a real database and nothing is executed outside SQLite's VM:
* an authorizer allows only reads of the fake tables and the registered functions;
* a progress handler aborts any statement after a bounded number of VM steps;
* length limits cap every value; ``SLEEP``/``BENCHMARK`` only *record* a delay that the HTTP
  handler then waits out (capped), like the real server would.

MySQL syntax is mapped to SQLite at the token level (``#`` comments, ``/*!…*/`` version
comments, ``0x…`` strings, ``@@variables``), and SQLite's errors are rewritten into MariaDB's.
"""

from __future__ import annotations

import contextlib
import random
import re
import sqlite3
from dataclasses import dataclass, field

MAX_VM_STEPS = 2_000_000
MAX_ROWS = 50
MAX_SLEEP_S = 10.0
VERSION = "10.11.14-MariaDB-0+deb12u2"

_TOKEN = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?)"""
    r"""|(?P<vcomment>/\*!\d*)|(?P<cend>\*/)|(?P<comment>/\*.*?(?:\*/|$))"""
    r"""|(?P<hash>\#.*$)|(?P<dash>--(?:\s.*)?$)"""
    r"""|(?P<hex>\b0x[0-9a-fA-F]+\b)|(?P<var>@@(?:session\.|global\.)?\w+)"""
    r"""|(?P<other>[^'"/#@0-]+|.)""",
    re.S | re.M,
)


ESCAPES = {"n": "\n", "t": "\t", "0": "\0"}


class FakeDbError(Exception):
    """A MariaDB-worded error (``code`` and ``message``) for the page to print."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Outcome:
    rows: list[tuple[object, ...]] = field(default_factory=list)
    error: FakeDbError | None = None
    delay_s: float = 0.0


def _hex_string(token: str) -> str:
    try:
        text = bytes.fromhex(token[2:] if len(token) % 2 == 0 else "0" + token[2:])
    except ValueError:
        return token
    return "'" + text.decode("latin-1").replace("'", "''") + "'"


def to_sqlite(sql: str, variables: dict[str, str]) -> str:
    """Rewrite MySQL-only syntax into SQLite (outside string literals only)."""
    out: list[str] = []
    for m in _TOKEN.finditer(sql):
        kind, text = m.lastgroup, m.group()
        if kind == "str":
            out.append(_mysql_string(text))
        elif kind in ("vcomment", "cend") or kind in ("comment", "hash", "dash"):
            out.append(" ")
        elif kind == "hex":
            out.append(_hex_string(text))
        elif kind == "var":
            name = text[2:].split(".")[-1].lower()
            out.append("'" + variables.get(name, "").replace("'", "''") + "'")
        else:
            out.append(text)
    return "".join(out)


def _mysql_string(text: str) -> str:
    """MySQL quoted strings (backslash escapes, double quotes) → SQLite single-quoted."""
    quote = text[0]
    body = text[1:-1] if len(text) > 1 and text.endswith(quote) else text[1:]
    body = re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), body
    )
    if quote == '"':
        body = body.replace('""', '"')
    return (
        "'"
        + body.replace("''", "'").replace("'", "''")
        + ("'" if text.endswith(quote) and len(text) > 1 else "")
    )


class FakeDatabase:
    """The shop database of the fake host (one per process; queries are serialised)."""

    def __init__(self, *, users: list[tuple[str, str, str]], hostname: str, seed: int) -> None:
        self.hostname = hostname
        self.rng = random.Random(seed)
        self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.delay_s = 0.0
        self._schema(users)
        self.variables = {
            "version": VERSION, "version_comment": "Debian 12", "hostname": hostname,
            "datadir": "/var/lib/mysql/", "basedir": "/usr", "port": "3306",
            "version_compile_os": "debian-linux-gnu", "tmpdir": "/tmp",
        }  # fmt: skip
        self._functions()
        self.conn.set_authorizer(self._authorize)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
        self._steps = 0
        self.raised: FakeDbError | None = None
        self.conn.set_progress_handler(self._progress, 1000)

    # -- setup ----------------------------------------------------------------------------
    def _schema(self, users: list[tuple[str, str, str]]) -> None:
        c = self.conn
        for schema in ("shop", "information_schema", "mysql"):
            c.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
        c.execute(
            "CREATE TABLE shop.products (id INTEGER PRIMARY KEY, name TEXT, price TEXT,"
            " description TEXT)"
        )
        c.executemany("INSERT INTO shop.products VALUES (?,?,?,?)", PRODUCTS)
        c.execute(
            "CREATE TABLE shop.users (id INTEGER PRIMARY KEY, username TEXT, email TEXT,"
            " password TEXT)"
        )
        c.executemany("INSERT INTO shop.users (username, email, password) VALUES (?,?,?)", users)
        c.execute("CREATE TABLE mysql.user (Host TEXT, User TEXT, Password TEXT)")
        c.executemany(
            "INSERT INTO mysql.user VALUES (?,?,?)",
            [
                ("localhost", "root", ""),
                ("localhost", "shop", f"*{self.rng.getrandbits(160):040X}"),
            ],
        )
        self._information_schema()

    def _information_schema(self) -> None:
        c = self.conn
        c.execute(
            "CREATE TABLE information_schema.schemata (SCHEMA_NAME TEXT,"
            " DEFAULT_CHARACTER_SET_NAME TEXT)"
        )
        c.executemany(
            "INSERT INTO information_schema.schemata VALUES (?,'utf8mb4')",
            [("information_schema",), ("shop",)],
        )
        c.execute(
            "CREATE TABLE information_schema.tables (TABLE_SCHEMA TEXT, TABLE_NAME TEXT,"
            " TABLE_TYPE TEXT, TABLE_ROWS INTEGER)"
        )
        c.execute(
            "CREATE TABLE information_schema.columns (TABLE_SCHEMA TEXT, TABLE_NAME TEXT,"
            " COLUMN_NAME TEXT, COLUMN_TYPE TEXT, DATA_TYPE TEXT, ORDINAL_POSITION INTEGER)"
        )
        for table, cols in SCHEMA.items():
            rows = c.execute(f"SELECT count(*) FROM shop.{table}").fetchone()[0]
            c.execute(
                "INSERT INTO information_schema.tables VALUES ('shop',?,'BASE TABLE',?)",
                (table, rows),
            )
            for pos, (col, ctype) in enumerate(cols, 1):
                c.execute(
                    "INSERT INTO information_schema.columns VALUES ('shop',?,?,?,?,?)",
                    (table, col, ctype, ctype.split("(")[0], pos),
                )

    def _functions(self) -> None:
        f = self.conn.create_function
        f("CONCAT", -1, _concat, deterministic=True)
        f(
            "CONCAT_WS",
            -1,
            lambda sep, *a: (
                None if sep is None else str(sep).join(_text(x) for x in a if x is not None)
            ),
            deterministic=True,
        )
        f("IF", 3, lambda c, a, b: a if _truthy(c) else b, deterministic=True)
        f("ELT", -1, lambda n, *a: a[int(n) - 1] if n and 0 < int(n) <= len(a) else None)
        f(
            "MID",
            3,
            lambda s, p, n: None if s is None else _text(s)[int(p) - 1 : int(p) - 1 + int(n)],
        )
        f("ORD", 1, lambda s: ord(_text(s)[0]) if s not in (None, "") else 0, deterministic=True)
        f("ASCII", 1, lambda s: ord(_text(s)[0]) if s not in (None, "") else 0, deterministic=True)
        f("LCASE", 1, lambda s: None if s is None else _text(s).lower(), deterministic=True)
        f("UCASE", 1, lambda s: None if s is None else _text(s).upper(), deterministic=True)
        f("CHAR_LENGTH", 1, lambda s: None if s is None else len(_text(s)), deterministic=True)
        f("RAND", -1, lambda *a: self.rng.random())
        f("SLEEP", 1, self._sleep)
        f("BENCHMARK", 2, lambda n, e: self._sleep(min(float(n or 0) / 2_000_000, MAX_SLEEP_S)))
        for name, value in (
            ("VERSION", VERSION),
            ("DATABASE", "shop"),
            ("SCHEMA", "shop"),
            ("USER", "shop@localhost"),
            ("CURRENT_USER", "shop@localhost"),
            ("SESSION_USER", "shop@localhost"),
            ("SYSTEM_USER", "shop@localhost"),
        ):
            f(name, 0, lambda v=value: v, deterministic=True)
        f("CONNECTION_ID", 0, lambda: self.rng.randint(30, 90))
        f("EXTRACTVALUE", 2, self._xpath_error)
        f("UPDATEXML", 3, lambda a, b, c: self._xpath_error(a, b))

    def _sleep(self, seconds: object) -> int:
        with contextlib.suppress(TypeError, ValueError):
            wanted = max(0.0, float(seconds or 0))  # type: ignore[arg-type]
            self.delay_s = min(MAX_SLEEP_S, self.delay_s + wanted)
        return 0

    def _xpath_error(self, _doc: object, path: object) -> None:
        # SQLite masks exceptions from functions: keep the real message on the side.
        self.raised = FakeDbError(1105, f"XPATH syntax error: '{_text(path)[:32]}'")
        raise ValueError("xpath")

    def _authorize(
        self, action: int, a: str | None, b: str | None, db: str | None, _t: str | None
    ) -> int:
        if action in ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def _progress(self) -> int:
        self._steps += 1000
        return 1 if self._steps > MAX_VM_STEPS else 0

    # -- queries ----------------------------------------------------------------------------
    def product(self, raw_id: str) -> Outcome:
        """Run the vulnerable page's query with the attacker's ``id`` spliced in."""
        query = f"SELECT id, name, price, description FROM products WHERE id = {raw_id}"
        return self.run(query, shown=raw_id)

    def run(self, mysql: str, shown: str) -> Outcome:
        self.delay_s, self._steps, self.raised = 0.0, 0, None
        try:
            sql = to_sqlite(mysql, self.variables)
            rows = self.conn.execute(sql).fetchmany(MAX_ROWS)
        except FakeDbError as exc:
            return Outcome(error=exc, delay_s=self.delay_s)
        except (sqlite3.Error, OverflowError, ValueError) as exc:
            error = self.raised or mysql_error(str(exc), shown)
            return Outcome(error=error, delay_s=self.delay_s)
        return Outcome(rows=[tuple(r) for r in rows], delay_s=self.delay_s)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _concat(*args: object) -> str | None:
    if any(a is None for a in args):
        return None
    return "".join(_text(a) for a in args)


def _truthy(value: object) -> bool:
    try:
        return bool(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def mysql_error(sqlite_message: str, shown: str) -> FakeDbError:
    """SQLite's error text → the MariaDB error the PHP page would print."""
    msg = sqlite_message
    if msg.startswith("no such column:"):
        col = msg.split(":", 1)[1].strip()
        return FakeDbError(1054, f"Unknown column '{col}' in 'where clause'")
    if "ORDER BY term out of range" in msg:
        n = re.findall(r"ORDER\s+BY\s+(\d+)", shown, flags=re.I)
        return FakeDbError(1054, f"Unknown column '{n[-1] if n else '?'}' in 'order clause'")
    if "do not have the same number of result columns" in msg:
        return FakeDbError(1222, "The used SELECT statements have a different number of columns")
    if msg.startswith("no such table:"):
        table = msg.split(":", 1)[1].strip().split(".")[-1]
        return FakeDbError(1146, f"Table 'shop.{table}' doesn't exist")
    if msg.startswith("no such function:"):
        fn = msg.split(":", 1)[1].strip()
        return FakeDbError(1305, f"FUNCTION shop.{fn} does not exist")
    if "interrupted" in msg:
        return FakeDbError(2013, "Lost connection to server during query")
    if "not authorized" in msg or "prohibited" in msg:
        return FakeDbError(1142, "SELECT command denied to user 'shop'@'localhost'")
    return FakeDbError(1064, _syntax(msg, shown))


def _syntax(msg: str, shown: str) -> str:
    near = re.search(r'near "(.*?)": syntax error', msg)
    rest = shown
    if near and near.group(1) in shown:
        rest = shown[shown.index(near.group(1)) :]
    rest = rest[:80]
    return (
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"MariaDB server version for the right syntax to use near '{rest}' at line 1"
    )


ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION})

SCHEMA = {
    "products": [
        ("id", "int(11)"),
        ("name", "varchar(120)"),
        ("price", "decimal(10,2)"),
        ("description", "text"),
    ],
    "users": [
        ("id", "int(11)"),
        ("username", "varchar(64)"),
        ("email", "varchar(190)"),
        ("password", "varchar(255)"),
    ],
}

PRODUCTS = [
    (1, "Industrial Router IR-200", "349.00", "Dual-WAN router with VPN and 4G failover."),
    (2, "Managed Switch MS-24", "589.00", "24-port gigabit managed switch, VLAN, SNMP."),
    (3, "Rack PDU 8-Way", "129.50", "Switched power distribution unit, 1U."),
    (4, "UPS 1500VA", "412.00", "Line-interactive UPS with network card."),
    (5, "Patch Panel Cat6", "39.90", "24-port Cat6 patch panel with cable management."),
]
