"""``[deception]`` sets the one fake host every door shows, whatever order doors are built in.

Before it existed, sensors were built in name order, so FTP created the shared host first with
the default persona: ``sensors.ssh.persona = "centos7"`` left every door (SSH included) on
debian12, and SSH's credential settings silently governed FTP and HTTP logins.
"""

from __future__ import annotations

import asyncio
import ftplib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import ConfigError
from phantomnet.runtime.build import build
from phantomnet.sensors.base import Sensor
from phantomnet.settings import Settings

pytestmark = pytest.mark.integration

DOORS = {
    "ssh": {"host": "127.0.0.1", "port": 0},
    "ftp": {"host": "127.0.0.1", "port": 0, "failed_login_delay_s": 0.05},
    "http": {"host": "127.0.0.1", "port": 0, "tls_port": 0},
    "smtp": {"host": "127.0.0.1", "port": 0},
    "telnet": {"host": "127.0.0.1", "port": 0},
    "mysql": {"host": "127.0.0.1", "port": 0, "tls": False},
    "postgresql": {"host": "127.0.0.1", "port": 0},
}


def settings(tmp_path: Path, deception: dict[str, object]) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", node="t", sensors=DOORS, deception=deception,
        api={"enabled": False}, monitor={},
    )  # fmt: skip


@pytest.fixture
async def doors(tmp_path: Path) -> AsyncIterator[dict[str, Sensor]]:
    deception = {"persona": "centos7", "credentials": {"accept": ["ops:Winter2026!"]}}
    rt = build(settings(tmp_path, deception), MemoryBus(), role="sensor")
    sensors = {c.name: c for c in rt.components if isinstance(c, Sensor)}
    assert set(sensors) == set(DOORS)
    for sensor in sensors.values():
        await sensor.start()
    yield sensors
    for sensor in sensors.values():
        await sensor.stop()


async def first_line(port: int, send: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if send:
            writer.write(send)
        async with asyncio.timeout(30):
            return await reader.readline() if not send else await reader.read(4096)
    finally:
        writer.close()


async def test_every_door_shows_the_persona_of_the_deception_section(
    doors: dict[str, Sensor],
) -> None:
    hosts = {id(getattr(s, "host", None) or getattr(getattr(s, "site", None), "host", None))
             for s in doors.values() if hasattr(s, "host") or hasattr(s, "site")}  # fmt: skip
    assert len(hosts) == 1, "every door holds the same fake host"
    ssh = await first_line(doors["ssh"].bound_port or 0)
    assert ssh.startswith(b"SSH-2.0-OpenSSH_7.4"), ssh
    http = await first_line(
        doors["http"].bound_port or 0, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert b"Server: Apache/2.4.6 (CentOS)" in http, http
    reader, writer = await asyncio.open_connection("127.0.0.1", doors["mysql"].bound_port or 0)
    async with asyncio.timeout(30):
        mysql = await reader.read(4096)
    writer.close()
    assert b"5.5.68-MariaDB" in mysql, mysql  # the greeting's server version


async def test_the_deception_credentials_govern_every_door(doors: dict[str, Sensor]) -> None:
    def login(user: str, password: str) -> str:
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", doors["ftp"].bound_port or 0, timeout=30)
        try:
            return ftp.login(user, password)
        except ftplib.error_perm as exc:
            return str(exc)
        finally:
            ftp.close()

    assert (await asyncio.to_thread(login, "ops", "Winter2026!")).startswith("230")
    assert (await asyncio.to_thread(login, "root", "123456")).startswith("530")

    import psycopg
    import pymysql

    def mysql(user: str, password: str) -> str:
        try:
            pymysql.connect(host="127.0.0.1", port=doors["mysql"].bound_port or 0, user=user,
                            password=password, connect_timeout=30).close()  # fmt: skip
        except pymysql.err.OperationalError as exc:
            return str(exc.args[0])
        return "ok"

    def postgres(user: str, password: str) -> str:
        try:
            psycopg.connect(host="127.0.0.1", port=doors["postgresql"].bound_port or 0,
                            user=user, password=password, dbname="postgres",
                            sslmode="disable", connect_timeout=30).close()  # fmt: skip
        except psycopg.OperationalError as exc:
            return str(exc)
        return "ok"

    assert await asyncio.to_thread(mysql, "ops", "Winter2026!") == "ok"
    assert await asyncio.to_thread(mysql, "root", "123456") == "1045"
    assert await asyncio.to_thread(postgres, "ops", "Winter2026!") == "ok"
    assert "28P01" in await asyncio.to_thread(postgres, "root", "123456") or "password auth" in (
        await asyncio.to_thread(postgres, "root", "123456")
    )


def test_a_door_persona_setting_is_refused_with_one_line(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, sensors={"ssh": {"persona": "centos7"}})
    with pytest.raises(
        ConfigError, match=r"sensors\.ssh\.persona: moved to the \[deception\] section"
    ):
        build(s, MemoryBus(), role="sensor")


def test_an_unknown_persona_is_refused_with_one_line(tmp_path: Path) -> None:
    s = settings(tmp_path, {"persona": "windows95"})
    with pytest.raises(ConfigError, match=r"deception\.persona: .*unknown persona 'windows95'"):
        build(s, MemoryBus(), role="sensor")
