"""The SQLite connection a session runs on, fenced in.

* ``set_authorizer`` denies ATTACH/DETACH, every PRAGMA, ``load_extension`` and the SQLite-only
  functions that touch memory or files; ``enable_load_extension(False)``;
* a progress handler aborts a statement after ``max_steps`` VM steps or ``max_seconds``;
* ``setlimit`` caps value length, SQL length, expression depth, compound selects and the
  number of attached databases; ``max_page_count`` caps every attached file's growth.

The engine's own bookkeeping queries run with :meth:`Sandbox.trusted` (authorizer off).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from phantomnet.deception.sql.model import SqlError

DENIED_FUNCTIONS = frozenset(
    {
        "load_extension",
        "fts3_tokenizer",
        "readfile",
        "writefile",
        "edit",
        "sqlite_offset",
        "sqlite_compileoption_get",
        "sqlite_compileoption_used",
        "sqlite_source_id",
        "sqlite_version",
        "randomblob",
        "zeroblob",
        "unlikely",
        "likelihood",
        "likely",
    }
)


@dataclass(frozen=True)
class SqlLimits:
    """Caps per statement and per source (see :class:`~.engine.SqlEngine`)."""

    max_steps: int = 5_000_000
    max_seconds: float = 2.0
    max_rows: int = 10_000
    max_value_bytes: int = 4_000_000
    max_sql_bytes: int = 1_000_000
    max_expr_depth: int = 200
    max_db_pages: int = 2048  # x 4 KiB: 8 MiB per database per source
    max_sources: int = 200


class Sandbox:
    """One sandboxed connection: main is in memory, every database is an attached file."""

    def __init__(self, limits: SqlLimits) -> None:
        self.limits = limits
        self.conn = sqlite3.connect(
            "file::memory:", uri=True, isolation_level=None, check_same_thread=False
        )
        disable = getattr(self.conn, "enable_load_extension", None)
        if disable is not None:  # absent when Python was built without extension loading
            disable(False)
        self._trusted = 0
        self._steps = 0
        self._deadline = 0.0
        #: the error a denied action or an aborted statement should surface as
        self.raised: SqlError | None = None
        self.deny_error: Callable[[int, str | None, str | None], SqlError] | None = None
        self.interrupted = False
        c = self.conn
        c.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_bytes)
        c.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, limits.max_sql_bytes)
        c.setlimit(sqlite3.SQLITE_LIMIT_EXPR_DEPTH, limits.max_expr_depth)
        c.setlimit(sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 64)
        c.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 100)
        c.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10)
        c.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 1000)
        c.set_authorizer(self._authorize)
        c.set_progress_handler(self._progress, 1000)

    # -- bookkeeping -------------------------------------------------------------------------
    @contextmanager
    def trusted(self) -> Iterator[sqlite3.Connection]:
        """The engine's own statements: no authorizer, still step-bounded."""
        self._trusted += 1
        try:
            yield self.conn
        finally:
            self._trusted -= 1

    def attach(self, path: str, name: str, *, readonly: bool) -> None:
        mode = "ro" if readonly else "rwc"
        with self.trusted() as c:
            c.execute("ATTACH DATABASE ? AS ?", (f"file:{path}?mode={mode}", name))
            if not readonly:
                c.execute(f'PRAGMA "{name}".max_page_count = {int(self.limits.max_db_pages)}')
                # decoy data: no fsync per statement (WAL, synced at checkpoints)
                c.execute(f'PRAGMA "{name}".journal_mode = WAL')
                c.execute(f'PRAGMA "{name}".synchronous = NORMAL')
                c.execute(f'PRAGMA "{name}".busy_timeout = 2000')

    def attach_memory(self, name: str) -> None:
        with self.trusted() as c:
            c.execute("ATTACH DATABASE 'file::memory:' AS ?", (name,))
            c.execute(f'PRAGMA "{name}".max_page_count = 2048')

    def detach(self, name: str) -> None:
        with self.trusted() as c:
            c.execute("DETACH DATABASE ?", (name,))

    def attached(self) -> list[str]:
        with self.trusted() as c:
            return [str(r[1]) for r in c.execute("PRAGMA database_list")]

    def arm(self) -> None:
        """Reset the step counter and deadline before an attacker statement."""
        self._steps = 0
        self._deadline = time.monotonic() + self.limits.max_seconds
        self.raised = None
        self.interrupted = False

    def close(self) -> None:
        self.conn.close()

    # -- hooks ---------------------------------------------------------------------------------
    def _progress(self) -> int:
        if self._trusted:
            return 0
        self._steps += 1000
        if self._steps > self.limits.max_steps or time.monotonic() > self._deadline:
            self.interrupted = True
            return 1
        return 0

    def _authorize(
        self, action: int, a: str | None, b: str | None, db: str | None, _src: str | None
    ) -> int:
        if self._trusted:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA):
            return self._deny(action, a, b)
        if action == sqlite3.SQLITE_FUNCTION and b is not None and b.lower() in DENIED_FUNCTIONS:
            return self._deny(action, a, b)
        if action in (sqlite3.SQLITE_CREATE_VTABLE, sqlite3.SQLITE_DROP_VTABLE):
            return self._deny(action, a, b)
        if (
            db is not None
            and db in ("main", "temp")
            and action
            in (
                sqlite3.SQLITE_CREATE_TABLE,
                sqlite3.SQLITE_CREATE_TEMP_TABLE,
                sqlite3.SQLITE_CREATE_VIEW,
                sqlite3.SQLITE_CREATE_TEMP_VIEW,
                sqlite3.SQLITE_CREATE_TRIGGER,
                sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
                sqlite3.SQLITE_CREATE_INDEX,
                sqlite3.SQLITE_CREATE_TEMP_INDEX,
            )
        ):
            return self._deny(action, a, b)
        return sqlite3.SQLITE_OK

    def _deny(self, action: int, a: str | None, b: str | None) -> int:
        if self.raised is None and self.deny_error is not None:
            self.raised = self.deny_error(action, a, b)
        return sqlite3.SQLITE_DENY
