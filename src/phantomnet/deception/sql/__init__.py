"""The SQL engine behind the database doors (and the HTTP door's SQL injection decoy).

Doors reach it through the fake host (``host.sql``) and never touch SQLite or sqlglot::

    session = host.sql.session(ip, "mysql", user="wpuser", database=None)
    for outcome in session.execute("SHOW DATABASES; SELECT @@version"):
        ...  # SqlResult or SqlError, one per statement, stopping after the first error

See docs/honeypots.md and the contract in the module docstrings of :mod:`.engine`.
"""

from __future__ import annotations

from phantomnet.deception.sql.engine import SqlEngine
from phantomnet.deception.sql.model import Column, Described, Dialect, SqlError, SqlResult
from phantomnet.deception.sql.sandbox import SqlLimits
from phantomnet.deception.sql.session import SqlSession
from phantomnet.deception.sql.wire import mysql_type_code, pg_type_oid

__all__ = [
    "Column",
    "Described",
    "Dialect",
    "SqlEngine",
    "SqlError",
    "SqlLimits",
    "SqlResult",
    "SqlSession",
    "mysql_type_code",
    "pg_type_oid",
]
