"""The engine's contract as the doors use it: sessions, results, errors, per-source state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.deception.sql import SqlEngine, SqlError, SqlResult


def one(outcomes: list[SqlResult | SqlError]) -> SqlResult:
    assert len(outcomes) == 1, outcomes
    result = outcomes[0]
    assert isinstance(result, SqlResult), result
    return result


def err(outcomes: list[SqlResult | SqlError]) -> SqlError:
    assert isinstance(outcomes[-1], SqlError), outcomes
    return outcomes[-1]


def test_host_builds_one_engine(host: FakeHost) -> None:
    assert host.sql is host.sql
    assert (host.root / "deception" / "sql").is_dir() or True


def test_mysql_catalogue_and_server_functions(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.1", "mysql", user="wpuser", database=None)
    dbs = one(s.execute("SHOW DATABASES"))
    assert [c.name for c in dbs.columns] == ["Database"]
    assert [r[0] for r in dbs.rows] == ["crm", "information_schema", "shop"]
    r = one(s.execute("SELECT @@version, @@version_comment, user(), database(), version()"))
    assert [c.name for c in r.columns] == [
        "@@version", "@@version_comment", "user()", "database()", "version()"
    ]  # fmt: skip
    assert r.rows[0] == (
        engine.server_version("mysql"), "Debian 12", "wpuser@198.51.100.1", None,
        engine.server_version("mysql"),
    )  # fmt: skip
    s.use("shop")
    tables = one(s.execute("SHOW TABLES"))
    assert tables.columns[0].name == "Tables_in_shop"
    assert {"customers", "orders", "users", "api_keys", "payment_cards"} <= {
        t[0] for t in tables.rows
    }
    s.close()


def test_select_types_and_values(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.2", "mysql", user="shop", database="shop")
    r = one(s.execute("SELECT id, price, name FROM products WHERE id = ?", [1]))
    assert [c.type_name for c in r.columns] == ["INT", "DECIMAL", "VARCHAR"]
    assert isinstance(r.rows[0][1], Decimal) and r.rows[0][0] == 1
    r = one(s.execute("SELECT created_at FROM customers ORDER BY id LIMIT 1"))
    assert isinstance(r.rows[0][0], datetime)
    r = one(s.execute("SELECT count(*) FROM customers"))
    assert r.columns[0].name == "count(*)" and r.rows[0][0] == 120
    s.close()


def test_insert_persists_per_source_only(engine: SqlEngine) -> None:
    a = engine.session("203.0.113.7", "mysql", user="shop", database="shop")
    r = one(a.execute("INSERT INTO customers (first_name, email) VALUES ('Eve', 'eve@x.test')"))
    assert r.affected == 1 and r.last_insert_id == 121
    a.close()
    again = engine.session("203.0.113.7", "postgres", user="shop", database="shop")
    rows = one(again.execute("SELECT first_name FROM customers WHERE email = 'eve@x.test'")).rows
    assert rows == (("Eve",),)
    again.close()
    other = engine.session("203.0.113.8", "mysql", user="shop", database="shop")
    assert one(other.execute("SELECT count(*) FROM customers WHERE first_name = 'Eve'")).rows[0][
        0
    ] in (0, 1)
    assert one(other.execute("SELECT count(*) FROM customers WHERE email = 'eve@x.test'")).rows == (
        (0,),
    )
    other.close()


def test_multi_statement_stops_at_first_error(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.3", "mysql", user="shop", database="shop")
    out = s.execute("SELECT 1; SELECT nope FROM customers; SELECT 3")
    assert len(out) == 2 and isinstance(out[0], SqlResult)
    e = err(out)
    assert (e.code, e.sqlstate, e.message) == (
        1054, "42S22", "Unknown column 'nope' in 'SELECT'"
    )  # fmt: skip
    s.close()


@pytest.mark.parametrize(
    ("sql", "code", "state", "message"),
    [
        ("SELECT * FROM nope", 1146, "42S02", "Table 'shop.nope' doesn't exist"),
        ("USE nowhere", 1044, "42000", "Access denied for user 'shop'@'%' to database 'nowhere'"),
        ("SELECT * FROM users INTO OUTFILE '/tmp/x'", 1227, "42000",
         "Access denied; you need (at least one of) the FILE privilege(s) for this operation"),
        ("LOAD DATA INFILE '/etc/passwd' INTO TABLE users", 1045, "28000",
         "Access denied for user 'shop'@'%' (using password: YES)"),
        ("SELEC 1", 1064, "42000", "You have an error in your SQL syntax; check the manual that "
         "corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' "
         "at line 1"),
    ],
)  # fmt: skip
def test_mysql_errors(engine: SqlEngine, sql: str, code: int, state: str, message: str) -> None:
    s = engine.session("198.51.100.4", "mysql", user="shop", database="shop")
    e = err(s.execute(sql))
    assert (e.code, e.sqlstate, e.message) == (code, state, message)
    s.close()


def test_unknown_database_at_connect(engine: SqlEngine) -> None:
    with pytest.raises(SqlError) as mysql:
        engine.session("198.51.100.5", "mysql", user="root", database="nowhere")
    assert (mysql.value.code, mysql.value.message) == (1049, "Unknown database 'nowhere'")
    with pytest.raises(SqlError) as user:
        engine.session("198.51.100.5", "mysql", user="x", database="nowhere")
    assert user.value.code == 1044
    with pytest.raises(SqlError) as pg:
        engine.session("198.51.100.5", "postgres", user="x", database="nowhere")
    assert (pg.value.sqlstate, pg.value.message) == ("3D000", 'database "nowhere" does not exist')


def test_postgres_basics(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.6", "postgres", user="shop", database="shop")
    r = one(s.execute("SELECT version(), current_user, current_database()"))
    assert [c.name for c in r.columns] == ["version", "current_user", "current_database"]
    assert str(r.rows[0][0]).startswith("PostgreSQL 15.")
    assert r.rows[0][1:] == ("shop", "shop")
    r = one(s.execute("SELECT count(*) FROM customers"))
    assert (r.columns[0].name, r.columns[0].type_name, r.tag) == ("count", "int8", "SELECT 1")
    e = err(s.execute("SELECT * FROM nope"))
    assert (e.sqlstate, e.message) == ("42P01", 'relation "nope" does not exist')
    copy = one(s.execute("COPY products TO STDOUT"))
    assert copy.tag == f"COPY {len(copy.rows)}" and len(copy.rows) >= 12
    s.close()


def test_seeded_secrets_are_honeytokens(host: FakeHost) -> None:
    s = host.sql.session("198.51.100.9", "mysql", user="shop", database="shop")
    keys = [r[0] for r in one(s.execute("SELECT api_key FROM api_keys")).rows]
    assert keys and all(host.tokens.match_text(f"curl -H 'Authorization: {k}'") for k in keys)
    users = one(s.execute("SELECT username, password FROM users")).rows
    assert all(str(h).startswith("$P$B") and len(str(h)) == 34 for _u, h in users)
    planted = {t.username: t.secret for t in host.tokens.by_kind("sql_password")}
    assert {u for u, _h in users} <= set(planted)
    admin = str(users[0][0])
    assert host.tokens.match_credential(admin, planted[admin]) is not None
    s.close()


def test_describe_counts_placeholders_outside_literals(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.10", "mysql", user="shop", database="shop")
    d = s.describe("SELECT id, name, '?' FROM products WHERE id = ?")
    assert d.param_count == 1
    assert [(c.name, c.type_name, c.table) for c in d.columns] == [
        ("id", "INT", "products"), ("name", "VARCHAR", "products"), ("?", "VARCHAR", "")
    ]  # fmt: skip
    assert s.describe("INSERT INTO products (name, price) VALUES (?, ?)") == (
        s.describe("INSERT INTO products (name, price) VALUES (?, ?)")
    )
    assert s.describe("INSERT INTO products (name, price) VALUES (?, ?)").param_count == 2
    assert one(s.execute("SELECT count(*) FROM products")).rows == ((12,),)  # nothing ran
    s.close()
    p = engine.session("198.51.100.10", "postgres", user="shop", database="shop")
    d = p.describe("SELECT id, price FROM products WHERE id = $1 AND price > $2 AND name <> '$3'")
    assert d.param_count == 2 and [c.type_name for c in d.columns] == ["int4", "numeric"]
    p.close()


def test_wire_type_codes_for_result_columns(engine: SqlEngine) -> None:
    from phantomnet.deception.sql import mysql_type_code, pg_type_oid

    p = engine.session("198.51.100.11", "postgres", user="shop", database="shop")
    r = one(p.execute("SELECT products.id, name, price, created_at, count(*) FROM orders, products "
                      "WHERE products.id = orders.id GROUP BY 1, 2, 3, 4 LIMIT 1"))  # fmt: skip
    assert [pg_type_oid(c.type_name) for c in r.columns] == [23, 1043, 1700, 1114, 20]
    p.close()
    m = engine.session("198.51.100.11", "mysql", user="shop", database="shop")
    r = one(m.execute("SELECT products.id, name, price, created_at, count(*) FROM orders, products "
                      "WHERE products.id = orders.id GROUP BY 1, 2, 3, 4 LIMIT 1"))  # fmt: skip
    assert [mysql_type_code(c.type_name) for c in r.columns] == [3, 0xFD, 0xF6, 0x0C, 8]
    m.close()


def test_transactions_roll_back_and_commit(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.12", "postgres", user="shop", database="shop")
    assert [getattr(r, "tag", None) for r in s.execute("BEGIN")] == ["BEGIN"]
    one(s.execute("INSERT INTO products (name, price) VALUES ('ghost', 1)"))
    assert one(s.execute("SELECT count(*) FROM products WHERE name = 'ghost'")).rows == ((1,),)
    e = err(s.execute("SELECT nope FROM products"))
    assert e.sqlstate == "42703"
    assert err(s.execute("SELECT 1")).sqlstate == "25P02"
    assert one(s.execute("COMMIT")).tag == "ROLLBACK"  # a failed transaction rolls back
    assert one(s.execute("SELECT count(*) FROM products WHERE name = 'ghost'")).rows == ((0,),)
    s.execute("BEGIN; INSERT INTO products (name, price) VALUES ('kept', 2); COMMIT")
    assert one(s.execute("SELECT count(*) FROM products WHERE name = 'kept'")).rows == ((1,),)
    s.close()


def test_a_second_connection_sees_the_first_ones_writes(engine: SqlEngine) -> None:
    reader = engine.session("198.51.100.13", "mysql", user="shop", database="shop")
    assert one(reader.execute("SELECT count(*) FROM orders")).rows == ((340,),)
    writer = engine.session("198.51.100.13", "mysql", user="shop", database="shop")
    one(writer.execute("INSERT INTO orders (customer_id, status, total) VALUES (1, 'new', 9.5)"))
    assert one(reader.execute("SELECT count(*) FROM orders")).rows == ((341,),)
    writer.close()
    reader.close()


def test_reloading_the_host_keeps_data_and_tokens(host: FakeHost) -> None:
    from phantomnet.deception.host import FakeHost as Host

    before = {t.token_id for t in host.tokens.tokens.values()}
    s = host.sql.session("198.51.100.14", "mysql", user="shop", database="shop")
    rows = one(s.execute("SELECT username, password FROM users ORDER BY id")).rows
    s.close()
    again = Host.load(host.root)
    s2 = again.sql.session("198.51.100.14", "mysql", user="shop", database="shop")
    assert one(s2.execute("SELECT username, password FROM users ORDER BY id")).rows == rows
    s2.close()
    assert {t.token_id for t in again.tokens.tokens.values()} == before


def test_postgres_cursor_and_set_config_as_pg_dump_uses_them(engine: SqlEngine) -> None:
    s = engine.session("198.51.100.31", "postgres", user="postgres", database="shop")
    try:
        # set_config changes the session, also when the same text runs again after a RESET
        for _ in range(2):
            s.execute("RESET search_path")
            s.execute("SELECT pg_catalog.set_config('search_path', '', false)")
            shown = s.execute("SHOW search_path")[0]
            assert isinstance(shown, SqlResult) and shown.rows == (("",),)
        out = s.execute(
            "BEGIN; DECLARE c CURSOR FOR SELECT id FROM ONLY public.products ORDER BY id; "
            "FETCH 2 FROM c; FETCH 100 FROM c"
        )
        first, rest = out[2], out[3]
        assert isinstance(first, SqlResult) and first.tag == "FETCH 2"
        assert [r[0] for r in first.rows] == [1, 2]
        assert isinstance(rest, SqlResult) and rest.rows and rest.rows[0][0] == 3
        closed = s.execute("CLOSE c; FETCH 1 FROM c")
        assert isinstance(closed[0], SqlResult) and closed[0].tag == "CLOSE CURSOR"
        assert isinstance(closed[1], SqlError) and closed[1].sqlstate == "34000"
    finally:
        s.close()


@pytest.mark.parametrize("dialect", ["mysql", "postgres"])
def test_a_statement_past_the_size_limit_is_refused_before_parsing(
    engine: SqlEngine, dialect: str
) -> None:  # fmt: skip
    """A 1.3 MB ``IN`` list took 11 s of the event loop from every door; now it is the
    program-limit error at once, and the session goes on."""
    from phantomnet.deception.sql import translate, web

    huge = "SELECT 1 IN (" + ",".join(str(i) for i in range(200_000)) + ")"
    assert len(huge) > translate.MAX_STATEMENT_CHARS
    s = engine.session("198.51.100.9", dialect, user="root" if dialect == "mysql" else "postgres",
                       database="shop")  # type: ignore[arg-type]  # fmt: skip
    e = err(s.execute(huge))
    assert (e.code, e.sqlstate) == ((1436, "HY000") if dialect == "mysql" else (0, "54001"))
    assert err(s.execute(huge + "; SELECT 2")).code == e.code
    assert list(one(s.execute("SELECT 1")).rows) == [(1,)]
    if dialect == "mysql":
        page = web.connect(engine, "198.51.100.9", user="wpuser", database="shop")
        answer = web.query(page, huge)
        assert answer.error is not None and answer.error.code == 1436
        page.close()
    s.close()
