"""Queries through the door to the fake host's SQL engine, by real clients: what psql prints
next to what it prints against the real PostgreSQL 15, asyncpg and psycopg over the extended
protocol (parameters, binary results, portals with row limits, COPY), and the db.query events."""

from __future__ import annotations

import asyncio
import os
import subprocess

import asyncpg
import psycopg
import pytest

from phantomnet.deception.sql import SqlResult
from phantomnet.events import DbQuery, HoneytokenTriggered, attacker_text
from tests.conftest import require_tool
from tests.integration.sensors.postgres.conftest import Running

pytestmark = pytest.mark.integration

PLAIN = {"ssl": False}


async def psql(port: int, *args: str, db: str = "postgres") -> subprocess.CompletedProcess[str]:
    require_tool("psql")
    env = {**os.environ, "PGPASSWORD": "secret", "PGCONNECT_TIMEOUT": "10"}
    cmd = ["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, *args]
    return await asyncio.to_thread(
        subprocess.run, cmd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "commands",
    [
        pytest.param(("select version()",), id="version"),
        pytest.param(("show server_version",), id="show"),
        pytest.param(("SELEC 1",), id="syntax-error"),
        pytest.param(("select * from nosuch",), id="no-relation"),
        pytest.param(
            ("begin", "begin", "select x", "select 1 as a", "rollback", "rollback", "commit"),
            id="transaction-block",
        ),
        pytest.param(("copy (select 1 as a, 'x\ty' as b, null as c) to stdout",), id="copy-out"),
        pytest.param(
            (
                "copy (select 1 as a, 'x,y' as b, '' as c, null as d, 'q\"t' as e) "
                "to stdout with csv header",
            ),
            id="copy-csv",
        ),
        pytest.param(("select 'a' as x, 2 as y", ";", "select 'é' as z"), id="results"),
    ],
)
async def test_psql_prints_what_it_prints_against_postgresql(
    door: Running, real_pg: int, commands: tuple[str, ...]
) -> None:
    args = [a for c in commands for a in ("-c", c)]
    ours = await psql(door.port, *args)
    theirs = await psql(real_pg, *args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )
    queries = await door.events(DbQuery, len(commands))
    assert [q.query for q in queries] == [attacker_text(c) for c in commands]
    assert all(q.database == "postgres" and q.duration_ms is not None for q in queries)


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
async def test_db_query_events_carry_rows_and_sqlstate(door: Running) -> None:
    await psql(
        door.port,
        "-c",
        "select d.datname from pg_catalog.pg_database d",
        "-c",
        "select * from nosuch",
        db="shop",
    )
    ok, bad = await door.events(DbQuery, 2)
    assert (ok.database, ok.rows, ok.error_code) == ("shop", 5, None)
    assert (bad.rows, bad.error_code) == (None, "42P01")


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
async def test_asyncpg_extended_protocol(door: Running) -> None:
    conn = await asyncpg.connect(
        host="127.0.0.1",
        port=door.port,
        user="postgres",
        password="secret",
        database="shop",
        timeout=10,
    )
    try:
        assert await conn.fetchval("select $1::int + 1", 41) == 42
        assert await conn.fetchval("select $1::text", "héllo") == "héllo"
        tables = {
            r[0]
            for r in await conn.fetch(
                "select table_name from information_schema.tables where table_schema = $1", "public"
            )
        }
        assert "customers" in tables
        with pytest.raises(asyncpg.UndefinedTableError, match='relation "nosuch" does not exist'):
            await conn.fetch("select * from nosuch")
        assert await conn.fetchval("select $1::int * 2", 4) == 8  # the session goes on
        stmt = await conn.prepare("select d.datname as n from pg_catalog.pg_database d")
        assert [a.name for a in stmt.get_attributes()] == ["n"]
        async with conn.transaction():  # a cursor fetches by Execute row limits
            names = [
                r["n"]
                async for r in conn.cursor(
                    "select d.datname as n from pg_catalog.pg_database d", prefetch=2
                )
            ]
        assert names == sorted(names) and {"shop", "crm", "postgres"} <= set(names)
    finally:
        await conn.close()
    executed = [q.query for q in await door.events(DbQuery, 6)]
    assert "select $1::int + 1" in executed


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
async def test_psycopg_text_and_binary_parameters_and_copy(door: Running) -> None:
    conninfo = f"host=127.0.0.1 port={door.port} user=postgres password=secret dbname=shop"
    async with await psycopg.AsyncConnection.connect(conninfo, connect_timeout=10) as conn:
        cur = await conn.execute("select %s::int4 + 1 as x, %s::text as y", (5, "hi"))
        assert await cur.fetchall() == [(6, "hi")]
        cur = await conn.execute("select %s::int4 * 3 as x", (5,), binary=True)
        assert await cur.fetchall() == [(15,)]
        with pytest.raises(psycopg.errors.UndefinedTable):
            await conn.execute("select * from nosuch")
        await conn.rollback()
        async with conn.cursor() as cur:
            sql = "copy (select d.datname as n from pg_catalog.pg_database d) to stdout"
            async with cur.copy(sql) as copy:
                rows = [row async for row in copy.rows()]
        assert ("shop",) in rows


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize(
    "meta",
    ["\\l", "\\dt", "\\du"],
)
async def test_psql_meta_commands(door: Running, meta: str) -> None:
    done = await psql(door.port, "-c", meta, db="shop")
    assert done.returncode == 0, done.stderr
    expected = {"\\l": "shop", "\\dt": "customers", "\\du": "postgres"}[meta]
    assert expected in done.stdout


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
@pytest.mark.parametrize("options", [(), ("--inserts",), ("-t", "users", "-t", "orders")])
async def test_pg_dump_output_restores_on_the_real_server(
    door: Running, real_pg: int, options: tuple[str, ...]
) -> None:
    """pg_dump walks the fake catalogue; psql reads its dump back into a scratch database on
    the real PostgreSQL 15, which then holds the fake tables and their rows (COPY, or INSERTs
    read through a cursor, or only the tables asked for)."""
    require_tool("pg_dump")
    env = {**os.environ, "PGPASSWORD": "secret", "PGSSLMODE": "disable"}
    done = await asyncio.to_thread(
        subprocess.run,
        ["pg_dump", "-h", "127.0.0.1", "-p", str(door.port), "-U", "postgres", *options, "shop"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    dump = done.stdout
    assert "CREATE TABLE public.users" in dump
    assert ("CREATE TABLE public.customers" in dump) == ("-t" not in options)
    if "--inserts" in options:
        assert "INSERT INTO public.users VALUES (1, " in dump and "COPY " not in dump
    else:
        assert "COPY public.users (" in dump
    assert "ADD CONSTRAINT users_pkey PRIMARY KEY (id);" in dump
    session = door.sensor.host.sql.session("192.0.2.254", "postgres", user="postgres",
                                           database="shop")  # fmt: skip
    try:
        counted = session.execute("SELECT count(*) FROM users")[0]
        names = session.execute("SELECT username FROM users")[0]
    finally:
        session.close()
    assert isinstance(counted, SqlResult) and isinstance(names, SqlResult)
    scratch = f"pndump{os.getpid()}"
    admin = ["psql", "-X", "-h", "127.0.0.1", "-p", str(real_pg), "-U", "postgres", "-q"]
    await asyncio.to_thread(subprocess.run, [*admin, "-c", f"CREATE DATABASE {scratch}"],
                            check=True, timeout=60)  # fmt: skip
    try:
        restored = await asyncio.to_thread(
            subprocess.run,
            [*admin, "-d", scratch, "-v", "ON_ERROR_STOP=1", "-At", "-f", "-"],
            input=dump + "\nSELECT count(*) FROM public.users;\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        real_describe = await asyncio.to_thread(
            subprocess.run, [*admin, "-d", scratch, "-c", "\\d+ users"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        await asyncio.to_thread(subprocess.run, [*admin, "-c", f"DROP DATABASE {scratch}"],
                                timeout=60)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines()[-1] == str(counted.rows[0][0])
    assert all(str(name) in dump for (name,) in names.rows)
    # psql's verbose describe of the fake table reads as of the table the dump made
    ours = await psql(door.port, "-c", "\\d+ users", db="shop")
    assert ours.returncode == 0, ours.stderr
    assert "users_pkey" in ours.stdout and ours.stdout == real_describe.stdout


@pytest.mark.parametrize("door", [PLAIN], indirect=True)
async def test_a_planted_secret_in_a_query_raises_the_honeytoken_event(door: Running) -> None:
    token = door.sensor.host.tokens.by_kind("aws_key")[0]
    await psql(
        door.port, "-c", f"select * from api_keys where secret = '{token.secret}'", db="shop"
    )
    hit = (await door.events(HoneytokenTriggered))[0]
    assert hit.token_id == token.token_id and hit.protocol == "postgresql"
