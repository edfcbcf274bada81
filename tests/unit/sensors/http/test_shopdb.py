"""The shop's pages on the fake host's SQL engine: what ``products.php`` and ``register.php``
get back for injected input (MariaDB's answers and errors), per source, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.sensors.http.shopdb import MAX_DELAY_S, ShopDb

SRC = "198.51.100.7"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> ShopDb:
    return ShopDb(FakeHost.load(Path(tmp_path_factory.mktemp("shop"))))


def page(db: ShopDb, raw: str) -> tuple[tuple[tuple[object, ...], ...], str | None]:
    answer = db.product(SRC, raw)
    return answer.rows, answer.error.message if answer.error else None


@pytest.mark.parametrize(
    ("raw", "rows", "error"),
    [
        ("1", 1, None),
        ("1 AND 1=1", 1, None),
        ("1 AND 1=2", 0, None),
        ("1 OR 1=1", 12, None),
        ("1 ORDER BY 4", 1, None),
        ("1 ORDER BY 5", 0, "You have an error"),  # MariaDB: Unknown column '5' in 'ORDER BY'
        ("1 UNION SELECT 1,2,3", 0, "The used SELECT statements have a different number of"),
        ("1'", 0, "right syntax to use near"),
        ("1 AND nosuch=1", 0, "Unknown column 'nosuch' in 'WHERE'"),
        ("-1 UNION SELECT 1,2,3,4 FROM nosuch", 0, "Table 'shop.nosuch' doesn't exist"),
        ("1; DROP TABLE users", 0, "right syntax to use near 'DROP TABLE users' at line 1"),
        ("1; -- trailing comment", 1, None),
        ("1/*!50000 AND 2=2*/", 1, None),
        ("1 AND 0x41='A'", 1, None),
    ],
)
def test_vulnerable_page_answers_like_mariadb(db: ShopDb, raw: str, rows: int,
                                              error: str | None) -> None:  # fmt: skip
    got_rows, got_error = page(db, raw)
    assert len(got_rows) == rows
    if error is None:
        assert got_error is None
    else:
        assert got_error is not None and error in got_error, got_error


def test_fingerprint_probes_say_mariadb_not_sqlite(db: ShopDb) -> None:
    for probe in ("QUARTER(NULL) IS NULL", "SESSION_USER() LIKE USER()",
                  "ISNULL(TIMESTAMPADD(MINUTE,7,NULL))", "VERSION() LIKE '%MariaDB%'",
                  "DATABASE() LIKE SCHEMA()", "@@version_compile_os LIKE 'debian%'"):  # fmt: skip
        assert page(db, f"1 AND {probe}")[0], probe
    for probe in ("sqlite_version()=sqlite_version()", "ISNULL(JSON_STORAGE_FREE(NULL))",
                  "typeof(1)='integer'"):  # fmt: skip
        rows, error = page(db, f"1 AND {probe}")
        assert not rows and error is not None and "does not exist" in error, probe
    version = db.host.sql.server_version("mysql")
    assert page(db, "-1 UNION SELECT 1,2,3,VERSION()")[0][0][3] == version
    rows, error = page(db, "-1 UNION SELECT 1,2,3,USER()")
    assert rows[0][3] == f"{db.user}@localhost"  # PHP connects from localhost
    rows, error = page(db, "1 UNION SELECT 1,2,3,name FROM sqlite_master")
    assert error == "Table 'shop.sqlite_master' doesn't exist"


def test_the_engines_shop_users_are_reachable_by_union(db: ShopDb) -> None:
    rows, _ = page(db, "-1 UNION SELECT id,username,email,password FROM shop.users")
    logins = {t.username for t in db.host.tokens.by_kind("sql_password")
              if "sql:shop.users" in t.planted_in}  # fmt: skip
    assert {r[1] for r in rows} == logins and all(str(r[3]).startswith("$P$B") for r in rows)
    rows, _ = page(db, "-1 UNION SELECT 1,2,3,table_name FROM information_schema.tables "
                       "WHERE table_schema=0x73686f70")  # fmt: skip
    assert {"products", "users", "customers"} <= {r[3] for r in rows}
    rows, error = page(db, "-1 UNION SELECT 1,2,3,User FROM mysql.user")
    assert not rows and error is not None and error.startswith("SELECT command denied")


def test_error_based_and_time_based_payloads(db: ShopDb) -> None:
    _, error = page(db, "1 AND EXTRACTVALUE(1,CONCAT(0x7e,(SELECT username FROM users LIMIT 0,1)))")
    assert error == "XPATH syntax error: '~admin'"
    _, error = page(db, "1 AND UPDATEXML(1,CONCAT(0x5c,REPEAT('a',50)),1)")
    # MariaDB shows a path of more than 32 characters as its first 29 and "..."
    assert error == "XPATH syntax error: '\\" + "a" * 28 + "...'"
    answer = db.product(SRC, "1 AND SLEEP(3)")
    assert answer.delay_s == 3 and not answer.rows  # recorded, not slept
    assert db.product(SRC, "1 AND SLEEP(3000)").delay_s >= MAX_DELAY_S  # the page caps it


@pytest.mark.parametrize(
    "payload",
    [
        "1 UNION SELECT 1,2,3,load_extension('/tmp/x.so')",
        "1 UNION SELECT 1,2,3,4 FROM pragma_table_info('users')",
        "(SELECT 1 FROM (SELECT writefile('/tmp/pn-x', 'x')))",
        "1 AND (SELECT count(*) FROM temp.sqlite_master)>=0",
    ],
)
def test_sandbox_refuses_sqlite_internals(db: ShopDb, payload: str) -> None:
    rows, error = page(db, payload)
    assert not rows and error is not None
    assert not Path("/tmp/pn-x").exists()


def test_runaway_query_is_cut_by_the_step_budget(db: ShopDb) -> None:
    # Unbounded recursion: without the budget this never returns (pytest-timeout fails it).
    rows, error = page(db, "1 AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c)"
                           " SELECT count(*) FROM c)>0")  # fmt: skip
    assert not rows and error is not None and "interrupted" in error
    assert page(db, "1")[0]  # the next request still works


def test_connection_ids_increase_like_new_php_connections(db: ShopDb) -> None:
    first = page(db, "-1 UNION SELECT 1,2,3,CONNECTION_ID()")[0][0][3]
    second = page(db, "-1 UNION SELECT 1,2,3,CONNECTION_ID()")[0][0][3]
    assert isinstance(first, int) and second == first + 1


def test_register_inserts_into_the_sources_own_customers(db: ShopDb) -> None:
    source = "198.51.100.8"
    form = {"first_name": "Ann", "last_name": "O'Hara", "email": "a@x", "country": "IE"}
    broken = db.register(source, form)  # the quote is not escaped: a syntax error
    assert broken.error is not None and broken.error.code == 1064
    ok = db.register(source, dict(form, last_name="OHara"))
    assert ok.error is None and ok.affected == 1 and ok.last_insert_id == 121
    union = "-1 UNION SELECT id,first_name,last_name,country FROM customers WHERE id=121"
    assert db.product(source, union).rows == ((121, "Ann", "OHara", "IE"),)
    assert not db.product(SRC, "-1 UNION SELECT 1,2,3,4 FROM customers WHERE id=121").rows
