"""Scratch copies of the engine's seeded databases on the REAL MariaDB and PostgreSQL.

Both servers get the same tables (created from the engine's own ``SHOW CREATE TABLE`` / column
types) and the same rows, and an unprivileged user like the one the engine emulates, so a
statement can be run on both and the answers compared field by field. Names are unique per
test run (``pnsq<pid>_shop``) and dropped afterwards; messages are normalised back to ``shop``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from phantomnet.deception.sql import SqlEngine, SqlError, SqlResult

TAG = f"pnsq{os.getpid()}"
DBS = ("shop", "crm")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Outcome:
    """What one side answered, normalised for comparison."""

    columns: list[str] | None = None
    rows: list[tuple[object, ...]] | None = None
    error: tuple[int, str, str] | None = None


def normalise(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, datetime | date | Decimal | int | str) or value is None:
        return value
    if isinstance(value, list):  # a PostgreSQL array, as its text form
        return "{" + ",".join(str(v) for v in value) + "}"
    return str(value)


def engine_outcome(outcomes: Sequence[SqlResult | SqlError]) -> Outcome:
    last = outcomes[-1]
    if isinstance(last, SqlError):
        return Outcome(error=(last.code, last.sqlstate, last.message))
    return Outcome(
        columns=[c.name for c in last.columns],
        rows=[tuple(normalise(v) for v in r) for r in last.rows],
    )


def unscratch(text: str) -> str:
    return text.replace(f"{TAG}_", "")


def seed_rows(engine: SqlEngine, db: str) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    s = engine.session("localhost", "mysql", user="seed", database=db)
    out: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    tables = s.execute("SHOW TABLES")[0]
    assert isinstance(tables, SqlResult)
    for (table,) in tables.rows:
        r = s.execute(f"SELECT * FROM `{table}`")[0]
        assert isinstance(r, SqlResult)
        out[str(table)] = ([c.name for c in r.columns], list(r.rows))
    s.close()
    return out


class RealMariaDB:
    """pymysql for results, the ``mariadb`` client for errors (it prints the SQLSTATE)."""

    user = TAG
    password = "pn-Scratch-1"

    def __init__(self) -> None:
        import pymysql

        self.pymysql = pymysql
        self.root = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)

    def setup(self, engine: SqlEngine) -> None:
        cur = self.root.cursor()
        cur.execute(f"CREATE USER IF NOT EXISTS '{self.user}'@'%' IDENTIFIED BY '{self.password}'")
        for db in DBS:
            name = f"{TAG}_{db}"
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            )
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.user}'@'%'")
            s = engine.session("localhost", "mysql", user="seed", database=db)
            for table, (cols, rows) in seed_rows(engine, db).items():
                ddl = s.execute(f"SHOW CREATE TABLE `{table}`")[0]
                assert isinstance(ddl, SqlResult)
                text = str(ddl.rows[0][1])
                text = re.sub(r" AUTO_INCREMENT=\d+", "", text)
                cur.execute(f"USE `{name}`")
                cur.execute(text)
                if rows:
                    marks = ", ".join(["%s"] * len(cols))
                    cur.executemany(f"INSERT INTO `{table}` VALUES ({marks})", rows)
            s.close()

    def teardown(self) -> None:
        cur = self.root.cursor()
        for db in DBS:
            cur.execute(f"DROP DATABASE IF EXISTS `{TAG}_{db}`")
        cur.execute(f"DROP USER IF EXISTS '{self.user}'@'%'")
        self.root.close()

    def run(self, sql: str, database: str | None = "shop") -> Outcome:
        db = f"{TAG}_{database}" if database else None
        conn = self.pymysql.connect(host="127.0.0.1", port=3306, user=self.user,
                                    password=self.password, database=db, autocommit=True)  # fmt: skip
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql)
            except self.pymysql.MySQLError:
                return Outcome(error=self._error(sql, db))
            while cur.nextset():
                pass
            names = [unscratch(d[0]) for d in cur.description or []]
            rows = [tuple(normalise(unscratch(v) if isinstance(v, str) else v) for v in r)
                    for r in cur.fetchall()] if cur.description else []  # fmt: skip
            return Outcome(columns=names, rows=rows)
        finally:
            conn.close()

    def _error(self, sql: str, db: str | None) -> tuple[int, str, str]:
        cmd = ["mariadb", "-h127.0.0.1", "-P3306", f"-u{self.user}", f"-p{self.password}", "-B"]
        cmd += [db] if db else []
        p = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=30, check=False)
        m = re.search(r"ERROR (\d+) \((\w+)\)(?: at line \d+)?: (.*)", p.stderr, re.S)
        assert m, p.stderr
        return int(m.group(1)), m.group(2), unscratch(m.group(3).rstrip("\n"))


class RealPostgres:
    """asyncpg against a scratch database owned by an unprivileged role."""

    user = TAG
    password = "pn-Scratch-1"

    async def setup(self, engine: SqlEngine) -> None:
        import asyncpg

        admin = await asyncpg.connect(
            host="127.0.0.1", port=5432, user="postgres", database="postgres"
        )
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TAG}_shop")
            await admin.execute(f"DROP ROLE IF EXISTS {TAG}")
            await admin.execute(f"CREATE ROLE {TAG} LOGIN PASSWORD '{self.password}'")
            await admin.execute(f"CREATE DATABASE {TAG}_shop OWNER {TAG}")
        finally:
            await admin.close()
        conn = await asyncpg.connect(host="127.0.0.1", port=5432, user=TAG, database=f"{TAG}_shop",
                                     password=self.password)  # fmt: skip
        s = engine.session("localhost", "postgres", user="seed", database="shop")
        try:
            for table, (cols, rows) in seed_rows(engine, "shop").items():
                info = s.execute(
                    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
                    "a.attnotnull FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c "
                    f"ON c.oid = a.attrelid WHERE c.relname = '{table}' AND a.attnum > 0 "
                    "ORDER BY a.attnum"
                )[0]
                assert isinstance(info, SqlResult), info
                parts = []
                for name, typ, _notnull in info.rows:
                    parts.append(f"{name} serial PRIMARY KEY" if name == "id" else f"{name} {typ}")
                await conn.execute(f"CREATE TABLE {table} ({', '.join(parts)})")
                if rows:
                    pg_rows = [
                        tuple(_pg_value(v, str(info.rows[i][1])) for i, v in enumerate(r))
                        for r in rows
                    ]
                    await conn.copy_records_to_table(table, records=pg_rows, columns=cols)
                await conn.execute(
                    f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
                )
        finally:
            s.close()
            await conn.close()

    async def teardown(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(
            host="127.0.0.1", port=5432, user="postgres", database="postgres"
        )
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TAG}_shop WITH (FORCE)")
            await admin.execute(f"DROP ROLE IF EXISTS {TAG}")
        finally:
            await admin.close()

    async def run(self, sql: str) -> Outcome:
        import asyncpg

        conn = await asyncpg.connect(host="127.0.0.1", port=5432, user=TAG, database=f"{TAG}_shop",
                                     password=self.password)  # fmt: skip
        try:
            try:
                records = await conn.fetch(sql)
                stmt = await conn.prepare(sql) if records == [] else None
            except asyncpg.PostgresError as exc:
                return Outcome(
                    error=(0, str(exc.sqlstate), unscratch(str(exc.args[0]) if exc.args else ""))
                )
            if records:
                names = list(records[0].keys())
            elif stmt is not None:
                names = [a.name for a in stmt.get_attributes()]
            else:
                names = []
            rows = [tuple(normalise(unscratch(v) if isinstance(v, str) else v) for v in r.values())
                    for r in records]  # fmt: skip
            return Outcome(columns=names, rows=rows)
        finally:
            await conn.close()


def _pg_value(value: object, typ: str) -> object:
    if typ == "boolean" and isinstance(value, int):
        return bool(value)
    if typ.startswith("numeric") and isinstance(value, int | float):
        return Decimal(str(value))
    if typ == "smallint" and isinstance(value, int):
        return value
    return value


def mariadb_session(db: RealMariaDB, statements: Sequence[str], database: str) -> list[Outcome]:
    """Run ``statements`` in order on one real connection (state such as SET carries over)."""
    conn = db.pymysql.connect(host="127.0.0.1", port=3306, user=db.user, password=db.password,
                              database=f"{TAG}_{database}", autocommit=True)  # fmt: skip
    out: list[Outcome] = []
    try:
        cur = conn.cursor()
        for sql in statements:
            try:
                cur.execute(sql.replace("`shop`", f"`{TAG}_shop`"))
            except db.pymysql.MySQLError as exc:
                code = int(exc.args[0]) if exc.args else 0
                out.append(
                    Outcome(
                        error=(code, "", unscratch(str(exc.args[1]) if len(exc.args) > 1 else ""))
                    )
                )
                continue
            names = [unscratch(d[0]) for d in cur.description or []]
            rows = [tuple(normalise(unscratch(v) if isinstance(v, str) else v) for v in r)
                    for r in cur.fetchall()] if cur.description else []  # fmt: skip
            out.append(Outcome(columns=names, rows=rows))
    finally:
        conn.close()
    return out
