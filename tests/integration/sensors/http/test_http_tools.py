"""The HTTP(S) sensor against attack tools: sqlmap, whatweb, nmap -sV and hydra."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from phantomnet.deception.sql import SqlResult
from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.detection.http_attacks import HttpAttacks, HttpAttacksConfig
from phantomnet.events import AuthAttempt, HoneytokenTriggered, HttpRequest
from tests.conftest import require_tool
from tests.integration.sensors.http.conftest import Web, run

pytestmark = pytest.mark.integration


def sqlmap(web: Web, out: Path, *extra: str) -> tuple[str, ...]:
    return (
        "sqlmap", "-u", f"{web.url}/products.php?id=1", "--batch", "--disable-coloring",
        "--output-dir", str(out), "--timeout", "5", "--retries", "0", "--threads", "1",
        "--technique=BU", *extra,
    )  # fmt: skip


def shop_users(web: Web) -> list[tuple[str, str]]:
    """(username, password hash) of the engine's ``shop.users``, read on the engine itself."""
    session = web.host.sql.session("192.0.2.250", "mysql", user="root", database="shop")
    try:
        result = session.execute("SELECT username, password FROM users ORDER BY id")[0]
    finally:
        session.close()
    assert isinstance(result, SqlResult), result
    return [(str(name), str(hashed)) for name, hashed in result.rows]


async def test_sqlmap_finds_mariadb_and_dumps_the_honeytoken_users(
    web: Web, tmp_path: Path
) -> None:
    require_tool("sqlmap")
    found = await run(*sqlmap(web, tmp_path, "--flush-session", "--banner", "--current-user",
                              "--current-db"), timeout=120)  # fmt: skip
    out = found.stdout
    assert "Parameter: id (GET)" in out, out[-3000:]
    assert "Type: boolean-based blind" in out and "Type: UNION query" in out
    assert "back-end DBMS: MySQL >= 5.0.0 (MariaDB fork)" in out
    assert f"banner: '{web.host.sql.server_version('mysql')}'" in out
    db_user = web.host.tokens.by_kind("db_password")[0].username  # the .env's DB_USERNAME
    assert f"current user: '{db_user}@%'" in out and "current database: 'shop'" in out
    assert "SQLite" not in out.split("back-end DBMS:", 1)[1]
    dumped = await run(*sqlmap(web, tmp_path, "--dump", "-T", "users", "-D", "shop",
                               "--answers=crack=N"), timeout=120)  # fmt: skip
    users = shop_users(web)
    tokens = {t.username for t in web.host.tokens.by_kind("sql_password")
              if "sql:shop.users" in t.planted_in}  # fmt: skip
    assert len(users) == 5 and {name for name, _ in users} == tokens
    rows = [line for line in dumped.stdout.splitlines() if line.startswith("| ")]
    for name, hashed in users:
        assert hashed.startswith("$P$B")
        assert any(hashed in row and f"| {name} " in row for row in rows), dumped.stdout[-3000:]
    requests = await web.settle()
    tagged = [r for r in requests if isinstance(r, HttpRequest) and "sqli" in r.tags]
    assert len(tagged) > 20
    detector = HttpAttacks(HttpAttacksConfig(), node="test")
    found = [d for r in requests if isinstance(r, HttpRequest) for d in detector.observe(r)]
    sqli = [d for d in found if d.rule == "http_sqli"]
    assert sqli and sqli[0].count == 1 and len(sqli[0].evidence) == 1
    by_id = {f"event:{r.event_id}": r for r in requests if isinstance(r, HttpRequest)}
    first = by_id[sqli[0].evidence[0]]  # tagged by the emulation or seen by the classifier
    assert first.occurred_at <= tagged[0].occurred_at and "http_sqli" in detector.rules(first)
    assert {d.rule for d in found} <= {"http_sqli", "http_traversal", "http_cmd_injection"}


async def test_whatweb_sees_apache_debian_wordpress(web: Web) -> None:
    require_tool("whatweb")
    out = await run("whatweb", "--color=never", "-a", "3", web.url + "/", timeout=90)
    assert "Apache[2.4.65]" in out.stdout, out.stdout
    assert "HTTPServer[Debian Linux][Apache/2.4.65 (Debian)]" in out.stdout
    assert "WordPress[6.4.3]" in out.stdout
    assert not re.search(r"python|honeypot|werkzeug|aiohttp", out.stdout, re.I)


async def test_nmap_version_scan_says_apache_on_http_and_https(web: Web) -> None:
    require_tool("nmap")
    plain, tls = web.sensor.bound_port, web.sensor.tls_bound_port
    out = await run("nmap", "-sV", "-Pn", "-n", "-p", f"{plain},{tls}", "127.0.0.1", timeout=150)
    assert re.search(rf"{plain}/tcp\s+open\s+http\s+Apache httpd 2\.4\.65 \(\(Debian\)\)",
                     out.stdout), out.stdout  # fmt: skip
    assert re.search(rf"{tls}/tcp\s+open\s+ssl/http\s+Apache httpd 2\.4\.65 \(\(Debian\)\)",
                     out.stdout), out.stdout  # fmt: skip


async def test_hydra_wp_login_brute_force_is_captured_and_detected(
    web: Web, tmp_path: Path
) -> None:
    require_tool("hydra")
    admin = next(t for t in web.host.tokens.by_kind("sql_password") if t.username == "admin")
    assert "sql:shop.users" in admin.planted_in  # the shop admin whose hash sqlmap dumps
    (tmp_path / "users").write_text("admin\nsupport\n")
    wrong = ["123456", "password", "admin", "qwerty", "letmein", "welcome", "dragon", "monkey",
             "master", "shadow"]  # fmt: skip
    (tmp_path / "pw").write_text("\n".join([*wrong, admin.secret]) + "\n")
    form = "/wp-login.php:log=^USER^&pwd=^PASS^:F=incorrect"
    out = await run(
        "hydra", "-I", "-L", "users", "-P", "pw", "-t", "4", "-s", str(web.sensor.bound_port),
        "127.0.0.1", "http-post-form", form, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert re.search(rf"login: admin\s+password: {re.escape(admin.secret)}", out.stdout), out.stdout
    assert "1 valid password found" in out.stdout
    attempts = await web.events(AuthAttempt, 22)
    assert {a.protocol for a in attempts} == {"http"}
    assert [a.accepted for a in attempts].count(True) == 1
    assert (await web.events(HoneytokenTriggered))[0].token_id == admin.token_id
    detector = BruteForce(BruteForceConfig(threshold=10), node="test")
    found = [d for a in attempts for d in detector.observe(a)]
    assert found and found[0].rule == "brute_force" and found[0].protocol == "http"
    assert found[0].src is not None and found[0].src.ip == "127.0.0.1"
