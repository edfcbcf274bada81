"""What real clients send, statement by statement, on the engine and on the real MariaDB.

The sequences were read from the real server's general log while ``mysqldump`` (MariaDB 10.11)
dumped a database; each answer must match the real server's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phantomnet.deception.sql import SqlEngine, SqlError, SqlResult

from .realdb import TAG, Outcome, RealMariaDB, mariadb_session, normalise, port_open

pytestmark = pytest.mark.integration

MYSQLDUMP = [
    "/*!40100 SET @@SQL_MODE='' */",
    "/*!40103 SET TIME_ZONE='+00:00' */",
    "/*M!100100 SET @@MAX_STATEMENT_TIME=0.000000 */",
    "/*M!100100 SET WAIT_TIMEOUT=DEFAULT */",
    "set optimizer_switch='semijoin=off'",
    "SELECT LOGFILE_GROUP_NAME, FILE_NAME, TOTAL_EXTENTS, INITIAL_SIZE, ENGINE, EXTRA FROM "
    "INFORMATION_SCHEMA.FILES WHERE FILE_TYPE = 'UNDO LOG' AND FILE_NAME IS NOT NULL AND "
    "LOGFILE_GROUP_NAME IS NOT NULL AND LOGFILE_GROUP_NAME IN (SELECT DISTINCT LOGFILE_GROUP_NAME "
    "FROM INFORMATION_SCHEMA.FILES WHERE FILE_TYPE = 'DATAFILE' AND TABLESPACE_NAME IN (SELECT "
    "DISTINCT TABLESPACE_NAME FROM INFORMATION_SCHEMA.PARTITIONS WHERE TABLE_SCHEMA IN ('shop'))) "
    "GROUP BY LOGFILE_GROUP_NAME, FILE_NAME, ENGINE, TOTAL_EXTENTS, INITIAL_SIZE ORDER BY "
    "LOGFILE_GROUP_NAME",
    "set optimizer_switch=default",
    "SHOW FULL TABLES",
    "LOCK TABLES `users` READ /*!32311 LOCAL */",
    "SELECT engine, table_type FROM INFORMATION_SCHEMA.TABLES WHERE table_schema = DATABASE() "
    "AND table_name = 'users'",
    "SET SQL_QUOTE_SHOW_CREATE=1",
    "SET SESSION character_set_results = 'binary'",
    "show create table `users`",
    "SET SESSION character_set_results = 'utf8mb4'",
    "select column_name, extra, generation_expression, data_type from information_schema.columns "
    "where table_schema=database() and table_name='users' order by ordinal_position",
    "SELECT /*!40001 SQL_NO_CACHE */ `id`, `username`, `password` FROM `users`",
    "SET SESSION character_set_results = 'binary'",
    "select @@collation_database",
    "SELECT TRIGGER_NAME FROM INFORMATION_SCHEMA.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() "
    "AND EVENT_OBJECT_TABLE = 'users'",
    "SET SESSION character_set_results = 'utf8mb4'",
    "UNLOCK TABLES",
    "SHOW CREATE DATABASE IF NOT EXISTS `shop`",
    "select @@version_comment limit 1",
]  # fmt: skip


@pytest.fixture(scope="module")
def real(engine: SqlEngine) -> Iterator[RealMariaDB]:
    from tests.conftest import unavailable

    if not port_open(3306):
        unavailable("MariaDB is not running on 127.0.0.1:3306")
    db = RealMariaDB()
    db.setup(engine)
    yield db
    db.teardown()


def test_mysqldump_sequence(real: RealMariaDB, engine: SqlEngine) -> None:
    theirs = mariadb_session(real, MYSQLDUMP, "shop")
    s = engine.session("127.0.0.1", "mysql", user=TAG, database="shop")
    for sql, expected in zip(MYSQLDUMP, theirs, strict=True):
        out = s.execute(sql)
        last = out[-1] if out else SqlResult()
        if isinstance(last, SqlError):
            mine = Outcome(error=(last.code, "", last.message))
        else:
            mine = Outcome(columns=[c.name for c in last.columns],
                           rows=[tuple(normalise(v) for v in r) for r in last.rows])  # fmt: skip
        if expected.columns is None and expected.error is None:
            expected = Outcome(columns=[], rows=[])
        assert mine == expected, sql
    s.close()
