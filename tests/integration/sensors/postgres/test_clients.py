"""Real PostgreSQL clients against the door: psql, psycopg, asyncpg, hydra, nmap -sV."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
from pathlib import Path

import asyncpg
import psycopg
import pytest

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from phantomnet.events import AuthAttempt, HoneytokenTriggered
from tests.conftest import require_tool, unavailable
from tests.integration.sensors.postgres.conftest import Running, start_door

pytestmark = pytest.mark.integration


async def run(
    *cmd: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout, env=full
    )


def psql(port: int, user: str, password: str, *args: str, sslmode: str = "prefer") -> list[str]:
    return [
        "psql",
        f"host=127.0.0.1 port={port} user={user} dbname=postgres sslmode={sslmode} "
        f"password={password} connect_timeout=10",
        "-X",
        *args,
    ]


@pytest.mark.parametrize("sslmode", ["require", "disable"])
async def test_psql_logs_in_with_scram_and_is_recorded(door: Running, sslmode: str) -> None:
    require_tool("psql")
    done = await run(*psql(door.port, "alice", "secret", "-c", "select 1", sslmode=sslmode))
    # the session is open whatever the engine answers; psql got past authentication
    assert "password authentication failed" not in done.stderr
    assert "SCRAM" not in done.stderr and "server signature" not in done.stderr
    attempt = (await door.events(AuthAttempt))[0]
    assert (attempt.username, attempt.password, attempt.accepted) == ("alice", "secret", True)
    assert attempt.client_version == "psql"


async def test_psql_wrong_password_prints_what_the_real_server_makes_it_print(
    door: Running, auth_pg: int
) -> None:
    require_tool("psql")
    ours = await run(*psql(door.port, "alice", "nope", "-c", "select 1", sslmode="disable"))
    theirs = await run(*psql(auth_pg, "alice", "nope", "-c", "select 1", sslmode="disable"))
    assert ours.returncode == theirs.returncode == 2
    assert ours.stderr.replace(str(door.port), "PORT") == theirs.stderr.replace(
        str(auth_pg), "PORT"
    )
    attempt = (await door.events(AuthAttempt))[0]
    # SCRAM never sends the password; "nope" is not among the candidates the door tries
    assert attempt.password is None and not attempt.accepted


async def test_scram_recovers_a_common_password_it_rejects(door: Running) -> None:
    require_tool("psql")
    await run(*psql(door.port, "postgres", "123456", "-c", "select 1", sslmode="disable"))
    attempt = (await door.events(AuthAttempt))[0]
    assert (attempt.username, attempt.password, attempt.accepted) == ("postgres", "123456", False)


async def test_psycopg_and_asyncpg_log_in_and_see_the_real_errors(door: Running) -> None:
    conninfo = f"host=127.0.0.1 port={door.port} user=alice password=secret dbname=postgres sslmode=require"
    conn = await psycopg.AsyncConnection.connect(conninfo, connect_timeout=10)
    assert conn.info.server_version // 10000 == 15
    assert conn.info.parameter_status("is_superuser") == "off"
    await conn.close()
    with pytest.raises(
        psycopg.OperationalError, match='password authentication failed for user "alice"'
    ):
        await psycopg.AsyncConnection.connect(conninfo.replace("secret", "bad"), connect_timeout=10)
    pool = await asyncpg.connect(
        host="127.0.0.1",
        port=door.port,
        user="alice",
        password="secret",
        database="postgres",
        timeout=10,
        ssl=False,
    )
    assert pool.get_server_version().major == 15
    await pool.close()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(
            host="127.0.0.1",
            port=door.port,
            user="alice",
            password="bad",
            database="postgres",
            timeout=10,
            ssl=False,
        )
    attempts = await door.events(AuthAttempt, 4)
    assert [a.accepted for a in attempts] == [True, False, True, False]


async def test_a_honeytoken_password_raises_the_honeytoken_event(door: Running) -> None:
    token = door.sensor.host.tokens.by_kind("db_password")[0]
    conn = await asyncpg.connect(
        host="127.0.0.1",
        port=door.port,
        user=str(token.username),
        password=token.secret,
        database="postgres",
        timeout=10,
        ssl=False,
    )
    await conn.close()
    hit = (await door.events(HoneytokenTriggered))[0]
    assert hit.token_id == token.token_id and hit.protocol == "postgresql"


@pytest.mark.parametrize("door", [{"auth_methods": {"*": "md5"}}], indirect=True)
async def test_md5_logins_work_and_a_known_password_is_recovered(door: Running) -> None:
    require_tool("psql")
    ok = await run(*psql(door.port, "alice", "secret", "-c", "select 1", sslmode="disable"))
    assert "authentication failed" not in ok.stderr
    bad = await run(*psql(door.port, "alice", "letmein", "-c", "select 1", sslmode="disable"))
    assert 'password authentication failed for user "alice"' in bad.stderr
    attempts = await door.events(AuthAttempt, 2)
    assert [(a.password, a.accepted) for a in attempts] == [("secret", True), ("letmein", False)]


async def test_hydra_finds_the_password(tmp_path: Path) -> None:
    """hydra's postgres module ignores ``-s`` (libpq gets no port), so the door listens on
    127.0.0.2:5432, beside the real server on 127.0.0.1:5432. With the cleartext method every
    guess is recorded, and the brute-force rule fires on the failures."""
    require_tool("hydra")
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 5432))
    except OSError:
        unavailable("127.0.0.2:5432 is taken")
    sensor, task = await start_door(
        tmp_path, host="127.0.0.2", port=5432, ssl=False, auth_methods={"*": "password"}
    )
    door = Running(sensor, sensor.ctx.bus)  # type: ignore[arg-type]
    try:
        words = tmp_path / "words.txt"
        wrong = [f"wrong{i}" for i in range(12)]
        # not last: hydra 9.4 can end before the child that tried the list's last pair reports
        words.write_text("\n".join([*wrong, "secret", "wrong12", "wrong13", "wrong14"]) + "\n")
        done = await run(
            "hydra",
            "-l",
            "alice",
            "-P",
            str(words),
            "-t",
            "2",
            "127.0.0.2",
            "postgres",
            timeout=180,
        )
        assert re.search(r"login: alice\s+password: secret", done.stdout), done.stdout
        assert "1 valid password found" in done.stdout
        await door.settle()
        failures = [e for e in door.seen if isinstance(e, AuthAttempt) and not e.accepted]
        assert len(failures) >= 12
        assert {e.password for e in failures} >= set(wrong)  # cleartext: every guess is recorded
        detector = BruteForce(BruteForceConfig(threshold=10, window_s=300), "test")
        found = [d for e in failures for d in detector.observe(e)]
        assert found and found[0].protocol == "postgresql" and found[0].src.ip.startswith("127.")
    finally:
        await sensor.stop()
        task.cancel()


@pytest.mark.parametrize("door", [{"ssl": False}], indirect=True)
async def test_nmap_service_detection_matches_the_real_server(door: Running, real_pg: int) -> None:
    require_tool("nmap")
    done = await run(
        "nmap", "-sV", "-Pn", "-n", "-p", f"{door.port},{real_pg}", "127.0.0.1", timeout=300
    )
    lines = {
        int(m.group(1)): m.group(2).strip()
        for m in re.finditer(r"^(\d+)/tcp\s+open\s+(.*)$", done.stdout, re.M)
    }
    assert lines[door.port] == lines[real_pg], done.stdout
    assert "postgresql" in lines[door.port]
