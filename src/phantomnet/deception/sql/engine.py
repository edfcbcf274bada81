"""``SqlEngine``: the fake company's databases behind every database door (``host.sql``).

Layout under ``<data_dir>/deception/sql/``::

    seed/<db>.sqlite           drawn once per install from the persona seed (read-only)
    src/<digest>/<db>.sqlite   one source's copy, made before its first write (copy-on-write)

Sessions of a source that never wrote read the seed files read-only; the first write (or
``BEGIN``) copies them. At most ``limits.max_sources`` copies are kept (the least recently
used is evicted) and each file is capped by ``max_page_count``; the bytes are reserved in the
fake host's :class:`~phantomnet.deception.disk.DiskBudget` when one is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import random
import shutil
import sqlite3
import time
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from phantomnet.deception.disk import DiskBudget
from phantomnet.deception.honeytokens import HoneytokenRegistry
from phantomnet.deception.persona import Persona
from phantomnet.deception.sql import catalog, errors, seed, variables
from phantomnet.deception.sql.model import Dialect, SqlError
from phantomnet.deception.sql.sandbox import SqlLimits
from phantomnet.deception.sql.session import SqlSession

SEEDED = ("crm", "shop", "postgres")
PG_TEMPLATES = ("template0", "template1")


@cache
def _data_lines(name: str) -> tuple[tuple[str, ...], ...]:
    raw = (resources.files("phantomnet.deception.sql") / "data" / name).read_text("utf-8")
    return tuple(tuple(line.split("\t")) for line in raw.splitlines() if line)


class SqlEngine:
    """One per fake host. Not thread-safe (the doors call it from the event loop)."""

    def __init__(
        self,
        root: Path,
        persona: Persona,
        tokens: HoneytokenRegistry,
        limits: SqlLimits | None = None,
        disk: DiskBudget | None = None,
    ) -> None:
        self.root = Path(root)
        self.persona = persona
        self.tokens = tokens
        self.limits = limits or SqlLimits()
        self.disk = disk
        self.db_names: tuple[str, ...] = SEEDED
        # sqlglot warns (with the attacker's statement) on every unsupported syntax: that is
        # the honeypot's normal input, not a problem worth a log line
        logging.getLogger("sqlglot").setLevel(logging.ERROR)
        rng = random.Random(persona.identity.seed ^ 0x51)
        self._ids = itertools.count(rng.randint(40, 400))
        self._seeded = False
        self._materialized: set[str] = set()

    # -- contract ----------------------------------------------------------------------------
    def session(
        self, source: str, dialect: Dialect, *, user: str, database: str | None
    ) -> SqlSession:
        if dialect not in ("mysql", "postgres"):
            raise SqlError(0, "08P01", f"unsupported dialect {dialect!r}")
        if dialect == "postgres":
            database = database or user
            if database in PG_TEMPLATES:
                if database == "template0":
                    raise SqlError(
                        0, "55000", 'database "template0" is not currently accepting connections'
                    )
                database = "postgres"
            if database not in self.user_databases("postgres"):
                raise errors.no_database("postgres", database)
        elif (
            database is not None
            and database.lower() != "information_schema"
            and database not in self.user_databases("mysql")
        ):
            raise errors.unknown_database_for(user, database)
        self.ensure_seed()
        s = SqlSession(
            self, source, dialect, user=user, database=database, connection_id=next(self._ids)
        )
        if dialect == "mysql":
            s.sandbox.attach_memory("information_schema")
        else:
            s.sandbox.attach_memory("pg_catalog")
            s.sandbox.attach_memory("information_schema")
        return s

    def databases(self, dialect: Dialect) -> list[str]:
        if dialect == "mysql":
            return ["crm", "information_schema", "shop"]
        return sorted(["crm", "postgres", "shop", *PG_TEMPLATES])

    def user_databases(self, dialect: Dialect) -> list[str]:
        """Databases holding tables (information_schema and templates aside)."""
        return ["crm", "shop"] if dialect == "mysql" else ["crm", "postgres", "shop"]

    def server_version(self, dialect: Dialect) -> str:
        sw = self.persona.spec.software
        if dialect == "mysql":
            return sw.get("mysql", "10.11.14-MariaDB-0+deb12u2")
        return sw.get("postgresql", "15.14 (Debian 15.14-0+deb12u1)")

    # -- storage ---------------------------------------------------------------------------
    @property
    def seed_dir(self) -> Path:
        return self.root / "seed"

    def ensure_seed(self) -> None:
        if self._seeded:
            return
        if not all((self.seed_dir / f"{db}.sqlite").exists() for db in self.db_names):
            seed.build_seed(self.seed_dir, self.persona.identity.seed, self.tokens)
        self._seeded = True

    def source_dir(self, source: str) -> Path:
        digest = hashlib.sha256(f"sql:{source}".encode()).hexdigest()[:32]
        return self.root / "src" / digest

    def is_materialized(self, source: str) -> bool:
        if source in self._materialized:
            return True
        if (self.source_dir(source) / "done").exists():
            self._materialized.add(source)
            return True
        return False

    def paths(self, source: str) -> tuple[dict[str, Path], bool]:
        """Files to attach for ``source`` and whether they are its own (writable) copy."""
        self.ensure_seed()
        if self.is_materialized(source):
            folder = self.source_dir(source)
            os.utime(folder / "done")
            return {db: folder / f"{db}.sqlite" for db in self.db_names}, True
        return {db: self.seed_dir / f"{db}.sqlite" for db in self.db_names}, False

    def materialize(self, source: str) -> None:
        """Copy the seed for ``source`` (evicting the least recently used copies)."""
        if self.is_materialized(source):
            return
        self.ensure_seed()
        size = sum((self.seed_dir / f"{db}.sqlite").stat().st_size for db in self.db_names)
        self._evict(keep=self.limits.max_sources - 1)
        if self.disk is not None and not self.disk.reserve(size):
            raise self._full()
        folder = self.source_dir(source)
        folder.mkdir(parents=True, exist_ok=True)
        for db in self.db_names:
            shutil.copyfile(self.seed_dir / f"{db}.sqlite", folder / f"{db}.sqlite")
        (folder / "done").write_text(source[:64])
        self._materialized.add(source)

    def used_bytes(self, source: str) -> int:
        folder = self.source_dir(source)
        total = 0
        for db in self.db_names:
            with contextlib.suppress(OSError):
                total += (folder / f"{db}.sqlite").stat().st_size
        return total

    def check_room(self, dialect: Dialect) -> None:
        """Refuse writes once the shared disk budget is spent (what a full disk answers)."""
        if self.disk is not None and self.disk.room() <= 0:
            if dialect == "mysql":
                raise SqlError(1114, "HY000", "The table is full")
            raise SqlError(0, "53100", "could not extend file: No space left on device")

    def account(self, source: str, before: int) -> None:
        """Charge the growth of ``source``'s files to the disk budget."""
        if self.disk is None:
            return
        grown = self.used_bytes(source) - before
        if grown > 0 and not self.disk.reserve(grown):
            self.disk.used = self.disk.limit  # over budget: the next write is refused
        elif grown < 0:
            self.disk.give_back(-grown)

    def _full(self) -> SqlError:
        return SqlError(1114, "HY000", "The table is full")

    def _evict(self, keep: int) -> None:
        base = self.root / "src"
        if not base.is_dir():
            return
        copies = []
        for entry in base.iterdir():
            done = entry / "done"
            try:
                copies.append((done.stat().st_mtime, entry))
            except OSError:
                shutil.rmtree(entry, ignore_errors=True)
        copies.sort()
        while len(copies) > max(0, keep):
            _t, entry = copies.pop(0)
            size = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
            shutil.rmtree(entry, ignore_errors=True)
            if self.disk is not None:
                self.disk.give_back(size)
            self._materialized = {s for s in self._materialized if self.source_dir(s) != entry}

    # -- what the dialect modes ask ------------------------------------------------------
    def mysql_variables(self) -> dict[str, str]:
        return variables.mysql_variables(self.server_version("mysql"), self.persona.hostname)

    def pg_settings(self) -> dict[str, tuple[str, str]]:
        return variables.pg_settings(self.server_version("postgres"))

    def created_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.persona.identity.installed_at) + 86400 * 2)

    def mysql_status(self) -> list[tuple[object, ...]]:
        up = int(self.persona.uptime_s())
        return [
            ("Aborted_clients", "0"),
            ("Aborted_connects", "3"),
            ("Bytes_received", str(up * 37)),
            ("Bytes_sent", str(up * 211)),
            ("Connections", str(up // 40 + 17)),
            ("Max_used_connections", "7"),
            ("Open_tables", "64"),
            ("Queries", str(up // 3 + 101)),
            ("Questions", str(up // 3 + 77)),
            ("Slow_queries", "0"),
            ("Threads_cached", "2"),
            ("Threads_connected", "2"),
            ("Threads_created", "9"),
            ("Threads_running", "1"),
            ("Uptime", str(up)),
            ("Uptime_since_flush_status", str(up)),
        ]

    def mysql_password_hash(self, user: str) -> str:
        digest = hashlib.sha1(
            hashlib.sha1(f"{self.persona.identity.seed}:{user}".encode()).digest()
        ).hexdigest()
        return "*" + digest.upper()

    def information_schema_tables(self) -> list[str]:
        return [row[0] for row in _data_lines("mariadb_information_schema_tables.txt")]

    def information_schema_columns(self) -> tuple[tuple[str, ...], ...]:
        """MariaDB 10.11's own information_schema.COLUMNS rows (read from the real server)."""
        return _data_lines("mariadb_information_schema_columns.tsv")

    def row_count(self, s: SqlSession, db: str, table: str) -> int:
        with s.sandbox.trusted() as conn:
            try:
                return int(conn.execute(f'SELECT count(*) FROM "{db}"."{table}"').fetchone()[0])
            except sqlite3.Error:
                return 0

    def next_id(self, s: SqlSession, db: str, table: str) -> int:
        cols = s.catalog().get(db, {}).get(table, [])
        if not any(c.pk and c.decl.lower() == "integer" for c in cols):
            return 0
        with s.sandbox.trusted() as conn:
            try:
                row = conn.execute(f'SELECT max(rowid) FROM "{db}"."{table}"').fetchone()
            except sqlite3.Error:
                return 0
        return int(row[0] or 0) + 1

    # -- catalogues --------------------------------------------------------------------------
    def refresh_information_schema(self, s: SqlSession) -> None:
        """Fill the session's in-memory ``information_schema`` from its databases."""
        from phantomnet.deception.sql import infoschema

        infoschema.refresh_mysql(self, s, _data_lines("mariadb_information_schema.tsv"))

    def refresh_pg_catalog(self, s: SqlSession) -> None:
        from phantomnet.deception.sql import pgcatalog

        pgcatalog.refresh(self, s, _data_lines("pg_catalog.tsv"))

    def table_stats(self) -> dict[str, object]:
        """Counts for status pages and the bench."""
        base = self.root / "src"
        copies = list(base.iterdir()) if base.is_dir() else []
        return {"sources": len(copies), "seeded": self._seeded, "at": time.time()}


def mysql_type_of(decl: str) -> str:
    return catalog.mysql_type(decl)
