"""Hostile SQL: every escape or resource attack ends in an error, never in the filesystem."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantomnet.deception.sql import SqlEngine, SqlError, SqlResult, SqlSession
from phantomnet.deception.sql.model import Dialect

OUTSIDE = Path("/tmp/phantomnet-sql-escape-probe.db")


@pytest.fixture(params=["mysql", "postgres"])
def session(request: pytest.FixtureRequest, engine: SqlEngine) -> SqlSession:
    dialect: Dialect = request.param
    s = engine.session("192.0.2.50", dialect, user="shop", database="shop")
    request.addfinalizer(s.close)
    return s


def last_error(s: SqlSession, sql: str) -> SqlError:
    out = s.execute(sql)
    assert out and isinstance(out[-1], SqlError), out
    return out[-1]


@pytest.mark.parametrize(
    "sql",
    [
        f"ATTACH DATABASE '{OUTSIDE}' AS evil",
        f"ATTACH '{OUTSIDE}' AS evil",
        f"VACUUM INTO '{OUTSIDE}'",
        "SELECT load_extension('/tmp/evil.so')",
        "SELECT * FROM sqlite_master",
        "SELECT sqlite_version()",
        "PRAGMA writable_schema = 1",
        "SELECT readfile('/etc/passwd')",
        "SELECT fts3_tokenizer('simple')",
    ],
)
def test_escapes_are_refused(session: SqlSession, sql: str) -> None:
    last_error(session, sql)
    assert not OUTSIDE.exists()


def test_resource_attacks_end_in_errors(session: SqlSession) -> None:
    joins = "SELECT count(*) FROM customers a, customers b, customers c, customers d"
    e = last_error(session, joins)
    assert e.sqlstate in ("70100", "57014")
    loop = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    assert last_error(session, loop).sqlstate in ("70100", "57014")
    last_error(session, "SELECT randomblob(1000000000)")
    last_error(session, "SELECT zeroblob(1000000000)")
    deep = "SELECT " + "(" * 5000 + "1" + ")" * 5000
    last_error(session, deep)
    deep_expr = "SELECT " + " + ".join(["1"] * 20000)
    session.execute(deep_expr)  # either a value or an error, never an exception


def test_string_growth_is_capped(engine: SqlEngine) -> None:
    s = engine.session("192.0.2.51", "mysql", user="shop", database="shop")
    out = s.execute("SELECT REPEAT('a', 1000000000)")
    assert isinstance(out[0], SqlResult) and out[0].rows == ((None,),)
    s.close()


def test_writes_stay_in_the_data_dir(engine: SqlEngine, data_dir: Path) -> None:
    s = engine.session("192.0.2.52", "mysql", user="shop", database="shop")
    s.execute("CREATE TABLE loot (id INT PRIMARY KEY, v TEXT)")
    s.execute("INSERT INTO loot VALUES (1, 'x')")
    s.close()
    folder = engine.source_dir("192.0.2.52")
    assert folder.is_relative_to(data_dir) and (folder / "shop.sqlite").exists()


def test_growth_is_capped_per_source(engine: SqlEngine) -> None:
    s = engine.session("192.0.2.53", "mysql", user="shop", database="shop")
    s.execute("CREATE TABLE big (v TEXT)")
    e = None
    for _ in range(40):
        out = s.execute("INSERT INTO big SELECT REPEAT('x', 900000) FROM products")
        if isinstance(out[-1], SqlError):
            e = out[-1]
            break
    assert e is not None and e.code == 1114
    size = (engine.source_dir("192.0.2.53") / "shop.sqlite").stat().st_size
    assert size <= engine.limits.max_db_pages * 4096 + 65536
    s.close()


def test_sources_are_bounded_and_oldest_evicted(tmp_path: Path, engine: SqlEngine) -> None:
    from dataclasses import replace

    small = SqlEngine(tmp_path / "sql", engine.persona, engine.tokens,
                      limits=replace(engine.limits, max_sources=3))  # fmt: skip
    for i in range(6):
        s = small.session(f"10.0.0.{i}", "mysql", user="u", database="shop")
        s.execute("INSERT INTO products (name) VALUES ('x')")
        s.close()
    copies = list((tmp_path / "sql" / "src").iterdir())
    assert len(copies) == 3
    assert small.is_materialized("10.0.0.5") and not small.is_materialized("10.0.0.0")


SQLISH = st.lists(
    st.sampled_from(
        [
            "SELECT",
            "FROM",
            "WHERE",
            "customers",
            "users",
            "(",
            ")",
            ",",
            "*",
            "1",
            "'a'",
            '"',
            "`",
            ";",
            "UNION",
            "ALL",
            "@@version",
            "?",
            "$1",
            "::",
            "INSERT",
            "INTO",
            "VALUES",
            "SHOW",
            "TABLES",
            "SET",
            "=",
            "BEGIN",
            "COPY",
            "TO",
            "STDOUT",
            "information_schema.tables",
            "pg_catalog.pg_class",
            "--",
            "/*",
            "*/",
            "\\",
            "LIMIT",
            "ORDER BY",
            "id",
            "NULL",
            "JOIN",
        ]
    ),
    max_size=25,
).map(" ".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sql=st.one_of(st.text(max_size=200), SQLISH),
    params=st.lists(
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.binary(max_size=20)),
        max_size=3,
    ),
)
def test_fuzz_execute_never_raises(session: SqlSession, sql: str, params: list[object]) -> None:
    for outcome in session.execute(sql, params):
        assert isinstance(outcome, SqlResult | SqlError)
    session.describe(sql)
    if session.sandbox.conn.in_transaction:
        session.execute("ROLLBACK")


def test_writes_are_charged_to_the_disk_budget(tmp_path: Path, engine: SqlEngine) -> None:
    from phantomnet.deception.disk import DiskBudget

    budget = DiskBudget(400_000)
    small = SqlEngine(tmp_path / "sql", engine.persona, engine.tokens, disk=budget)
    s = small.session("10.9.9.9", "mysql", user="u", database="shop")
    s.execute("CREATE TABLE fill (v TEXT)")
    refused = None
    for _ in range(50):
        out = s.execute("INSERT INTO fill VALUES (REPEAT('x', 100000))")
        if isinstance(out[-1], SqlError):
            refused = out[-1]
            break
    assert refused is not None and refused.message == "The table is full"
    assert budget.used >= budget.limit
    s.close()


def test_attacker_statements_do_not_flood_the_log(
    engine: SqlEngine, caplog: pytest.LogCaptureFixture
) -> None:
    s = engine.session("192.0.2.60", "mysql", user="shop", database="shop")
    with caplog.at_level("WARNING"):
        for junk in ("EXPLAIN UNION", "ALTER LIMIT IN SHOW", "CREATE RECURSIVE"):
            assert isinstance(s.execute(junk)[-1], SqlError)
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]
    s.close()
