"""A fake MariaDB behind the web decoys, evaluated in a sandboxed in-memory SQLite.

The product page builds ``SELECT … FROM products WHERE id = <input>`` exactly as a vulnerable
PHP page would, so every injected payload (boolean, UNION, error-based, time-based, ORDER BY
probes) gets answers consistent with one fake schema: what sqlmap needs to call the parameter
injectable, fingerprint MariaDB and dump ``users`` (whose credentials are honeytokens).

Nothing reaches a real database and nothing is executed outside SQLite's VM:
* an authorizer allows only reads of the fake schemas and calls of MariaDB's functions
  (SQLite-only functions and tables do not exist, ``mysql.*`` is denied like to a web user);
* a progress handler aborts any statement after a bounded number of VM steps;
* length limits cap every value; ``SLEEP``/``BENCHMARK`` only *record* a delay that the HTTP
  handler then waits out (capped), like the real server would.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field

from phantomnet.sensors.http import mysqlfuncs
from phantomnet.sensors.http.mysqlfuncs import Clock, text
from phantomnet.sensors.http.mysqlsyntax import FakeDbError, mysql_error, syntax_message, to_sqlite

MAX_VM_STEPS = 2_000_000
MAX_ROWS = 50
VERSION = "10.11.14-MariaDB-0+deb12u2"
READABLE = frozenset({"main", "shop", "information_schema"})
MYSQL_TABLES = frozenset({"user", "db"})

__all__ = ["VERSION", "FakeDatabase", "FakeDbError", "Outcome"]


@dataclass
class Outcome:
    rows: list[tuple[object, ...]] = field(default_factory=list)
    error: FakeDbError | None = None
    delay_s: float = 0.0


class FakeDatabase:
    """The shop database of the fake host (one per process; queries are serialised)."""

    def __init__(self, *, users: list[tuple[str, str, str]], hostname: str, seed: int) -> None:
        self.hostname = hostname
        self.rng = random.Random(seed)
        self.connection_id = self.rng.randint(30, 5000)
        self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.clock = Clock()
        self.raised: FakeDbError | None = None
        self._steps = 0
        create_schema(self.conn, users, self.rng)
        self.variables = {
            "version": VERSION, "version_comment": "Debian 12", "hostname": hostname,
            "datadir": "/var/lib/mysql/", "basedir": "/usr", "port": "3306",
            "version_compile_os": "debian-linux-gnu", "version_compile_machine": "x86_64",
            "tmpdir": "/tmp", "character_set_server": "utf8mb4", "sql_mode":
            "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
            "NO_ENGINE_SUBSTITUTION", "table_open_cache": "2000", "max_allowed_packet": "16777216",
            "secure_file_priv": "", "plugin_dir": "/usr/lib/mysql/plugin/",
            "character_set_filesystem": "binary", "div_precision_increment": "4",
            "automatic_sp_privileges": "1", "lower_case_table_names": "0",
        }  # fmt: skip
        self.functions = mysqlfuncs.register(
            self.conn, self.clock, version=VERSION, database="shop", rand=self.rng.random,
            connection_id=lambda: self.connection_id,
        )  # fmt: skip
        self.conn.create_function("extractvalue", 2, self._xpath_error)
        self.conn.create_function("updatexml", 3, lambda a, b, c: self._xpath_error(a, b))
        self.functions |= {"extractvalue", "updatexml"}
        self.conn.set_authorizer(self._authorize)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 200)
        self.conn.setlimit(sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 50)
        self.conn.set_progress_handler(self._progress, 1000)

    def _xpath_error(self, _doc: object, path: object) -> None:
        # SQLite masks exceptions from functions: keep the real message on the side.
        self.raised = FakeDbError(1105, f"XPATH syntax error: '{text(path)[:32]}'")
        raise ValueError("xpath")

    def _deny(self, error: FakeDbError) -> int:
        if self.raised is None:
            self.raised = error
        return sqlite3.SQLITE_DENY

    def _authorize(
        self, action: int, a: str | None, b: str | None, db: str | None, _t: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and b is not None:
            if b.lower() in self.functions or b.lower() in mysqlfuncs.SAFE_BUILTINS:
                return sqlite3.SQLITE_OK
            return self._deny(FakeDbError(1305, f"FUNCTION shop.{b} does not exist"))
        if action == sqlite3.SQLITE_READ and a is not None:
            if db == "mysql" or (db is None and a.lower() in MYSQL_TABLES):
                denied = f"SELECT command denied to user 'shop'@'localhost' for table `mysql`.`{a}`"
                return self._deny(FakeDbError(1142, denied))
            if (db is None or db in READABLE) and not a.lower().startswith(("sqlite_", "pragma_")):
                return sqlite3.SQLITE_OK
            return self._deny(FakeDbError(1146, f"Table 'shop.{a}' doesn't exist"))
        return self._deny(FakeDbError(1064, ""))

    def _progress(self) -> int:
        self._steps += 1000
        return 1 if self._steps > MAX_VM_STEPS else 0

    # -- queries ----------------------------------------------------------------------------
    def product(self, raw_id: str) -> Outcome:
        """Run the vulnerable page's query with the attacker's ``id`` spliced in."""
        query = f"SELECT id, name, price, description FROM products WHERE id = {raw_id}"
        return self.run(query, shown=raw_id)

    def run(self, mysql: str, shown: str) -> Outcome:
        """Evaluate one MySQL statement; a new "connection" per call, as PHP does."""
        self.clock.delay_s, self._steps, self.raised = 0.0, 0, None
        self.connection_id += 1
        try:
            rows = self.conn.execute(to_sqlite(mysql, self.variables)).fetchmany(MAX_ROWS)
        except sqlite3.ProgrammingError:  # a second statement after ';' (mysqli_query)
            rest = shown.split(";", 1)[-1].strip()
            near = FakeDbError(1064, syntax_message("", rest))
            return Outcome(error=near, delay_s=self.clock.delay_s)
        except (sqlite3.Error, OverflowError, ValueError, MemoryError) as exc:
            error = self.raised or mysql_error(str(exc), shown)
            if not error.message:
                error = FakeDbError(1064, syntax_message(str(exc), shown))
            return Outcome(error=error, delay_s=self.clock.delay_s)
        return Outcome(rows=[tuple(r) for r in rows], delay_s=self.clock.delay_s)


def create_schema(c: sqlite3.Connection, users: list[tuple[str, str, str]],
                  rng: random.Random) -> None:  # fmt: skip
    """The fake server's catalogue: ``shop`` (products, users), information_schema, mysql."""
    for schema in ("shop", "information_schema", "mysql"):
        c.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
    c.execute("CREATE TABLE main.dual (dummy TEXT)")
    c.execute("INSERT INTO main.dual VALUES ('X')")
    c.execute("CREATE TABLE shop.products (id INTEGER PRIMARY KEY, name TEXT, price TEXT,"
              " description TEXT)")  # fmt: skip
    c.executemany("INSERT INTO shop.products VALUES (?,?,?,?)", PRODUCTS)
    c.execute("CREATE TABLE shop.users (id INTEGER PRIMARY KEY, username TEXT, email TEXT,"
              " password TEXT)")  # fmt: skip
    c.executemany("INSERT INTO shop.users (username, email, password) VALUES (?,?,?)", users)
    c.execute("CREATE TABLE mysql.user (Host TEXT, User TEXT, Password TEXT, "
              "authentication_string TEXT, Super_priv TEXT)")  # fmt: skip
    c.execute("INSERT INTO mysql.user VALUES ('localhost','shop',?,?,'N')",
              (f"*{rng.getrandbits(160):040X}",) * 2)  # fmt: skip
    c.execute("CREATE TABLE mysql.db (Host TEXT, Db TEXT, User TEXT)")
    for table, ddl in INFORMATION_SCHEMA.items():
        c.execute(f"CREATE TABLE information_schema.{table} ({ddl})")
    c.executemany("INSERT INTO information_schema.schemata VALUES ('def',?,'utf8mb4')",
                  [("information_schema",), ("shop",)])  # fmt: skip
    c.executemany("INSERT INTO information_schema.user_privileges VALUES "
                  "(\"'shop'@'localhost'\",'def',?,'NO')", [("USAGE",)])  # fmt: skip
    c.execute("INSERT INTO information_schema.processlist VALUES (?, 'shop', 'localhost', "
              "'shop', 'Query', 0, 'Sending data', NULL)", (rng.randint(30, 90),))  # fmt: skip
    for table in INFORMATION_SCHEMA:
        c.execute(
            "INSERT INTO information_schema.tables VALUES "
            "('def','information_schema',?,'SYSTEM VIEW','Aria',NULL,'')",
            (table.upper(),),
        )
    for table, cols in SCHEMA.items():
        rows = c.execute(f"SELECT count(*) FROM shop.{table}").fetchone()[0]
        c.execute("INSERT INTO information_schema.tables VALUES "
                  "('def','shop',?,'BASE TABLE','InnoDB',?,'')", (table, rows))  # fmt: skip
        for pos, (col, ctype) in enumerate(cols, 1):
            c.execute(
                "INSERT INTO information_schema.columns VALUES ('def','shop',?,?,?,?,?,?,'')",
                (table, col, pos, ctype, ctype.split("(")[0], "PRI" if pos == 1 else ""),
            )


INFORMATION_SCHEMA = {
    "schemata": "CATALOG_NAME TEXT, SCHEMA_NAME TEXT, DEFAULT_CHARACTER_SET_NAME TEXT",
    "tables": "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, TABLE_TYPE TEXT, "
              "ENGINE TEXT, TABLE_ROWS INTEGER, TABLE_COMMENT TEXT",
    "columns": "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, "
               "ORDINAL_POSITION INTEGER, COLUMN_TYPE TEXT, DATA_TYPE TEXT, COLUMN_KEY TEXT, "
               "COLUMN_COMMENT TEXT",
    "user_privileges": "GRANTEE TEXT, TABLE_CATALOG TEXT, PRIVILEGE_TYPE TEXT, IS_GRANTABLE TEXT",
    "processlist": "ID INTEGER, USER TEXT, HOST TEXT, DB TEXT, COMMAND TEXT, TIME INTEGER, "
                   "STATE TEXT, INFO TEXT",
}  # fmt: skip

SCHEMA = {
    "products": [("id", "int(11)"), ("name", "varchar(120)"), ("price", "decimal(10,2)"),
                 ("description", "text")],
    "users": [("id", "int(11)"), ("username", "varchar(64)"), ("email", "varchar(190)"),
              ("password", "varchar(255)")],
}  # fmt: skip

PRODUCTS = [
    (1, "Industrial Router IR-200", "349.00", "Dual-WAN router with VPN and 4G failover."),
    (2, "Managed Switch MS-24", "589.00", "24-port gigabit managed switch, VLAN, SNMP."),
    (3, "Rack PDU 8-Way", "129.50", "Switched power distribution unit, 1U."),
    (4, "UPS 1500VA", "412.00", "Line-interactive UPS with network card."),
    (5, "Patch Panel Cat6", "39.90", "24-port Cat6 patch panel with cable management."),
]
