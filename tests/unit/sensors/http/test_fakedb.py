"""The fake MariaDB: MySQL dialect on SQLite, MariaDB error wording, and the sandbox."""

from __future__ import annotations

import pytest

from phantomnet.sensors.http.fakedb import VERSION, FakeDatabase
from phantomnet.sensors.http.mysqlsyntax import to_sqlite

USERS = [("admin", "admin@example.net", "S3cret-token!"), ("bob", "bob@example.net", "pw2")]


@pytest.fixture(scope="module")
def db() -> FakeDatabase:
    return FakeDatabase(users=USERS, hostname="web1.example.net", seed=7)


def page(db: FakeDatabase, raw: str) -> tuple[list[tuple[object, ...]], str | None]:
    outcome = db.product(raw)
    return outcome.rows, outcome.error.message if outcome.error else None


def test_rewrites_mysql_syntax_outside_literals() -> None:
    sql = "SELECT 0x41 || 1 && 2, '#x', \"a\\'b\" # tail"
    assert to_sqlite(sql, {}) == "SELECT 'A'  OR  1  AND  2, '#x', 'a''b'  "
    assert to_sqlite("SELECT @@version, @@GLOBAL.hostname", {"version": "v", "hostname": "h"}) == (
        "SELECT 'v', 'h'"
    )
    assert to_sqlite("1/*!50000 AND 2*/", {}).split() == ["1", "AND", "2"]
    assert to_sqlite("1/*!110000 AND 2*/", {}).split() == ["1"]
    assert "MYSQL_ISNULL(" in to_sqlite("ISNULL(NULL)", {})
    assert "'||'" in to_sqlite("CONCAT('||')", {})  # literals untouched


@pytest.mark.parametrize(
    ("raw", "rows", "error"),
    [
        ("1", 1, None),
        ("1 AND 1=1", 1, None),
        ("1 AND 1=2", 0, None),
        ("1 OR 1=1", 5, None),
        ("1 ORDER BY 4", 1, None),
        ("1 ORDER BY 5", 0, "Unknown column '5' in 'order clause'"),
        (
            "1 UNION SELECT 1,2,3",
            0,
            "The used SELECT statements have a different number of columns",
        ),
        ("1'", 0, "right syntax to use near ''' at line 1"),
        ("1 AND nosuch=1", 0, "Unknown column 'nosuch' in 'where clause'"),
        ("1 UNION SELECT 1,2,3,4 FROM nosuch", 0, "Table 'shop.nosuch' doesn't exist"),
    ],
)
def test_vulnerable_page_answers_like_mariadb(db: FakeDatabase, raw: str, rows: int,
                                              error: str | None) -> None:  # fmt: skip
    got_rows, got_error = page(db, raw)
    assert len(got_rows) == rows
    if error is None:
        assert got_error is None
    else:
        assert got_error is not None and error in got_error


def test_fingerprint_functions_say_mariadb_not_sqlite(db: FakeDatabase) -> None:
    for probe in ("QUARTER(NULL) IS NULL", "SESSION_USER() LIKE USER()",
                  "ISNULL(TIMESTAMPADD(MINUTE,7,NULL))", "VERSION() LIKE '%MariaDB%'",
                  "DATABASE() LIKE SCHEMA()", "@@version_compile_os LIKE 'debian%'"):  # fmt: skip
        assert page(db, f"1 AND {probe}")[0], probe
    for probe in ("sqlite_version()=sqlite_version()", "LAST_INSERT_ROWID()=LAST_INSERT_ROWID()",
                  "typeof(1)='integer'"):  # fmt: skip
        rows, error = page(db, f"1 AND {probe}")
        assert not rows and error is not None and "does not exist" in error
    assert page(db, "-1 UNION SELECT 1,2,3,VERSION()")[0] == [(1, 2, 3, VERSION)]
    rows, error = page(db, "1 UNION SELECT 1,2,3,name FROM sqlite_master")
    assert error == "Table 'shop.sqlite_master' doesn't exist"


def test_users_table_and_catalogue_are_reachable_by_union(db: FakeDatabase) -> None:
    rows, _ = page(db, "-1 UNION SELECT 1,username,email,password FROM shop.users")
    assert [r[1:] for r in rows] == USERS
    rows, _ = page(db, "-1 UNION SELECT 1,2,3,table_name FROM information_schema.tables "
                       "WHERE table_schema=0x73686f70")  # fmt: skip
    assert sorted(r[3] for r in rows) == ["products", "users"]
    rows, error = page(db, "-1 UNION SELECT 1,2,3,User FROM mysql.user")
    assert not rows and error is not None and error.startswith("SELECT command denied")


def test_error_based_and_time_based_payloads(db: FakeDatabase) -> None:
    _, error = page(db, "1 AND EXTRACTVALUE(1,CONCAT(0x7e,(SELECT password FROM users LIMIT 0,1)))")
    assert error == "XPATH syntax error: '~S3cret-token!'"
    outcome = db.product("1 AND SLEEP(3)")
    assert outcome.delay_s == 3 and not outcome.rows
    assert db.product("1 AND SLEEP(3000)").delay_s == 10  # capped


@pytest.mark.parametrize(
    "payload",
    [
        "1; DROP TABLE users",
        "1 UNION SELECT 1,2,3,load_extension('/tmp/x.so')",
        "1 UNION SELECT 1,2,3,4 FROM pragma_table_info('users')",
        "(SELECT 1 FROM (SELECT writefile('/tmp/pn-x', 'x')))",
        "1 AND (SELECT count(*) FROM temp.sqlite_master)>=0",
    ],
)
def test_sandbox_refuses_anything_but_reads(db: FakeDatabase, payload: str) -> None:
    rows, error = page(db, payload)
    assert not rows and error is not None
    assert page(db, "-1 UNION SELECT count(*),2,3,4 FROM users")[0] == [(2, 2, 3, 4)]


def test_runaway_query_is_cut_by_the_step_budget(db: FakeDatabase) -> None:
    # Unbounded recursion: without the budget this never returns (pytest-timeout fails it).
    rows, error = page(db, "1 AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c)"
                           " SELECT count(*) FROM c)>0")  # fmt: skip
    assert not rows and error == "Lost connection to server during query"
    assert page(db, "1")[0]  # the connection still works
    assert page(db, "1 AND LENGTH(REPEAT('a', 100000000))>0")[0] == []


def test_connection_ids_increase_like_new_php_connections(db: FakeDatabase) -> None:
    first = page(db, "-1 UNION SELECT 1,2,3,CONNECTION_ID()")[0][0][3]
    second = page(db, "-1 UNION SELECT 1,2,3,CONNECTION_ID()")[0][0][3]
    assert isinstance(first, int) and second == first + 1
