"""SQL engine benchmark: statements/s through ``host.sql`` and session cost.

Builds a fake host in a temporary data dir and times, per dialect: opening a session,
simple SELECTs by primary key, INSERTs (after the per-source copy), an information_schema /
pg_catalog query (rebuilt on each read), a sqlmap-style UNION, and the cost of a runaway
statement cut by the step cap. Prints one line per figure.

    .venv/bin/python bench/sql_engine_bench.py [--n 2000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from phantomnet.deception.host import FakeHost


def rate(label: str, n: int, fn: object) -> None:
    assert callable(fn)
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    dt = time.perf_counter() - t
    print(f"{label:<48} {n / dt:>10.0f} /s   ({dt / n * 1e3:.3f} ms each)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        host = FakeHost.load(Path(tmp))
        t = time.perf_counter()
        host.sql.session("192.0.2.1", "mysql", user="u", database="shop").close()
        print(
            f"{'first session (seeding the company data)':<48} {time.perf_counter() - t:>10.3f} s"
        )
        rate(
            "mysql session open+close",
            200,
            lambda i: host.sql.session(
                f"192.0.2.{i % 200}", "mysql", user="u", database="shop"
            ).close(),
        )
        s = host.sql.session("192.0.2.9", "mysql", user="u", database="shop")
        rate(
            "mysql SELECT ... WHERE id = ?",
            n,
            lambda i: s.execute("SELECT id, name, price FROM products WHERE id = ?", [i % 12 + 1]),
        )
        rate(
            "mysql SELECT @@version, user(), database()",
            n,
            lambda i: s.execute("SELECT @@version, user(), database()"),
        )
        rate(
            "mysql INSERT",
            n,
            lambda i: s.execute(
                "INSERT INTO customers (first_name, email) VALUES (?, ?)", [f"n{i}", "x@y"]
            ),
        )
        rate(
            "mysql information_schema.columns query",
            n // 10,
            lambda i: s.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = database()"
            ),
        )
        rate(
            "mysql sqlmap-style UNION",
            n,
            lambda i: s.execute(
                "SELECT id FROM products WHERE id = 1 UNION ALL SELECT "
                "CONCAT(0x7176,IFNULL(CAST(username AS NCHAR),0x20),0x7178) FROM users"
            ),
        )
        rate(
            "mysql runaway cartesian join (cut by the cap)",
            5,
            lambda i: s.execute(
                "SELECT count(*) FROM customers a, customers b, customers c, customers d"
            ),
        )
        p = host.sql.session("192.0.2.9", "postgres", user="u", database="shop")
        rate(
            "postgres SELECT ... WHERE id = $1",
            n,
            lambda i: p.execute("SELECT id, name, price FROM products WHERE id = $1", [i % 12 + 1]),
        )
        rate(
            "postgres psql \\dt query",
            n // 10,
            lambda i: p.execute(
                "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
                "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' "
                "AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2"
            ),
        )
        sessions = [
            host.sql.session(f"198.51.100.{i}", "mysql", user="u", database="shop")
            for i in range(100)
        ]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"{'max RSS with 100 idle sessions open':<48} {rss / 1024:>10.1f} MiB")
        for x in sessions:
            x.close()
        s.close()
        p.close()


if __name__ == "__main__":
    main()
