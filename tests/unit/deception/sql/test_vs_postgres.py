"""The same statements on the engine and on the REAL PostgreSQL 15 (127.0.0.1:5432).

Column names, values and errors (SQLSTATE, message) must agree; psql's own catalogue queries
are read from the real ``psql -E`` and run on both. Known gaps are ``xfail(strict=True)``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from phantomnet.deception.sql import SqlEngine

from .realdb import TAG, Outcome, RealPostgres, engine_outcome, port_open

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real(engine: SqlEngine) -> Iterator[RealPostgres]:
    from tests.conftest import unavailable

    if not port_open(5432):
        unavailable("PostgreSQL is not running on 127.0.0.1:5432")
    db = RealPostgres()
    asyncio.run(db.setup(engine))
    yield db
    asyncio.run(db.teardown())


def ours(engine: SqlEngine, sql: str) -> Outcome:
    s = engine.session("127.0.0.1", "postgres", user=TAG, database="shop")
    try:
        return engine_outcome(s.execute(sql))
    finally:
        s.close()


def gap(sql: str, reason: str) -> object:
    return pytest.param(sql, marks=pytest.mark.xfail(strict=True, reason=reason))


SAME = [
    "SELECT 1",
    "SELECT 1 AS one, 'abc' AS s, NULL AS n",
    "SELECT current_user, session_user, current_database(), current_schema()",
    "SELECT id, name, price, stock FROM products ORDER BY id",
    "SELECT * FROM customers WHERE id IN (1, 2, 3) ORDER BY id",
    "SELECT count(*) FROM orders WHERE status = 'completed'",
    "SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status",
    "SELECT c.first_name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id "
    "ORDER BY o.id LIMIT 5",
    "SELECT username || ':' || password FROM users ORDER BY id",
    "SELECT upper('abc'), lower('ABC'), length('abc'), md5('a'), substr('abcdef', 2, 3)",
    "SELECT coalesce(NULL, 'x'), nullif(1, 1)",
    "SELECT username FROM users WHERE username LIKE 'a%' ORDER BY 1",
    "SELECT DISTINCT country FROM customers ORDER BY country",
    "SELECT id FROM products ORDER BY 1 DESC LIMIT 2 OFFSET 1",
    "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
    "WHERE table_name = 'users' ORDER BY ordinal_position",
    "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY oid",
    "SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user",
    "SHOW server_encoding",
    "SHOW DateStyle",
    "SHOW TimeZone",
    "SHOW integer_datetimes",
    "SHOW standard_conforming_strings",
    # errors
    "SELECT * FROM nope",
    "SELECT nope FROM users",
    "SELEC 1",
    "SELECT * FROM users WHERE",
    "SELECT pg_read_file('/etc/passwd')",
    "COPY users TO '/tmp/pn-never'",
    "COPY users FROM '/etc/passwd'",
    "COPY users FROM PROGRAM 'id'",
    "CREATE DATABASE pn_never",
    "SHOW nope_setting",
    "INSERT INTO products (nope) VALUES (1)",
    "INSERT INTO products (id, name) VALUES (1, 'dup')",
    "DROP TABLE nope",
    "CREATE EXTENSION plpython3u",
    "CREATE EXTENSION IF NOT EXISTS dblink",
    "CREATE EXTENSION adminpack",
    gap("CREATE EXTENSION pgcrypto", "trusted extensions would be created for a database owner"),
    "SELECT sum(total) FROM orders",
    "SELECT 'a'::text, 1::bigint, true, 2.5::numeric",
    "SELECT version() LIKE 'PostgreSQL 15.%'",
    "SELECT 1 FROM",
    "SELECT id FROM users, products",
    "SELECT 1 +",
    "SELECT * FROM users ORDER BY",
    # pg_dump's catalogue walk
    "SELECT pg_catalog.set_config('search_path', '', false)",
    "SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings "
    "WHERE name = 'restrict_nonsystem_relation_kind_nope'",
    "SELECT pg_catalog.current_schemas(false), current_schemas(true)",
    "SELECT quote_literal('it''s'), quote_literal(NULL), quote_ident('Users')",
    "SELECT acldefault('n', 10), acldefault('r', 10), acldefault('T', 10), acldefault('f', 10)",
    "SELECT n.tableoid, n.oid, n.nspname, n.nspacl FROM pg_namespace n ORDER BY n.oid",
    "SELECT 'pg_class'::regclass::oid, 'pg_extension'::regclass::oid, "
    "'pg_catalog'::regnamespace::oid",
    "SELECT src.tbloid FROM unnest('{3,1,2}'::pg_catalog.oid[]) AS src(tbloid)",
    "SELECT x FROM pg_catalog.unnest('{a,b}'::text[]) x",
    "SELECT array_remove('{a,b,c}'::text[], 'b')",
    "SELECT (SELECT pg_catalog.array_agg(id ORDER BY id) FROM products WHERE id <= 3)",
    "SELECT typname[0] FROM pg_type WHERE typname = 'int4'",
    "SELECT oid, rolname FROM pg_catalog.pg_roles WHERE rolname LIKE 'pg\\_%' ORDER BY 1",
    "SELECT objoid, classoid, objsubid, privtype, initprivs FROM pg_init_privs "
    "WHERE classoid = 2615 ORDER BY objoid",
    "SELECT description FROM pg_description WHERE objoid = 2200",
    "LOCK TABLE public.users IN ACCESS SHARE MODE",
    "DECLARE c CURSOR FOR SELECT 1",
    "FETCH 1 FROM nope",
    "CLOSE nope",
    "SELECT count(*) FROM ONLY public.users",
    "SELECT rolname, rolpassword FROM pg_authid",
    "SELECT acldefault('p', 10), acldefault('d', 10), acldefault('L', 10), acldefault('S', 10)",
    "SELECT parname, paracl FROM pg_catalog.pg_parameter_acl ORDER BY 1",
    # SQLite-only built-ins are unknown functions (SQLite answering one would give it away)
    "SELECT typeof(1)",
    "SELECT typeof('a'), 1",
    "SELECT printf('%d', 1.5)",
    "SELECT last_insert_rowid()",
    "SELECT likelihood(true, 0.5)",
    "SELECT strftime('%Y', NULL)",
]  # fmt: skip


@pytest.mark.parametrize("sql", SAME)
def test_same_answer_as_postgres(real: RealPostgres, engine: SqlEngine, sql: str) -> None:
    theirs = asyncio.run(real.run(sql))
    mine = ours(engine, sql)
    assert mine == theirs


def psql_queries(meta: str) -> list[str]:
    """The catalogue queries the real psql sends for a meta-command (``psql -E``)."""
    p = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", TAG, "-d", f"{TAG}_shop", "-E", "-X", "-c", meta],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PGPASSWORD": RealPostgres.password, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return [q.strip() for q in re.findall(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}", p.stdout, re.S)]


META = [
    "\\l", "\\dt", "\\dn", "\\du", "\\d users", "\\dt+",
    "\\d+ products",
]  # fmt: skip


@pytest.mark.parametrize("meta", META)
def test_psql_meta_commands(real: RealPostgres, engine: SqlEngine, meta: str) -> None:
    """Every query psql sends for ``meta`` gives the same columns on both, never an error.

    Rows are compared where they describe the seeded tables (not this machine's other
    databases and roles); object ids differ, so the engine's own oid is substituted into the
    follow-up queries of ``\\d``."""
    if shutil.which("psql") is None:
        from tests.conftest import unavailable

        unavailable("psql is not installed")
    queries = psql_queries(meta)
    assert queries, meta
    oids: dict[str, str] = {}
    for q in queries:
        theirs = asyncio.run(real.run(q))
        for real_oid, our_oid in oids.items():
            q = q.replace(f"'{real_oid}'", f"'{our_oid}'").replace(f"= {real_oid}", f"= {our_oid}")
        mine = ours(engine, q)
        assert mine.error is None, (q, mine.error)
        assert mine.columns == theirs.columns, q
        if q.lstrip().startswith("SELECT c.oid") and theirs.rows and mine.rows:
            oids[str(theirs.rows[0][0])] = str(mine.rows[0][0])
        if meta in ("\\dt", "\\dn"):
            assert mine.rows == theirs.rows, q
