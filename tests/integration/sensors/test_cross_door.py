"""One machine, several doors: the HTTP, FTP and SMTP sensors share one fake host.

A secret leaked on the web works on FTP (as a honeytoken), a file put over FTP is served by
the web server and seen by the shell, and every door names the same host (SMTP greeting,
HTTPS certificate, ``hostname -f``).
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from phantomnet.bus.memory import MemoryBus
from phantomnet.deception.shell import run_command
from phantomnet.events import AuthAttempt, HoneytokenTriggered
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor
from tests.conftest import require_tool

pytestmark = pytest.mark.integration


@dataclass
class Doors:
    http: HttpSensor
    ftp: FtpSensor
    smtp: SmtpSensor
    bus: MemoryBus
    seen: list[Any]

    async def collect(self, sub: Any, kind: type, n: int) -> list[Any]:
        async with asyncio.timeout(15):
            while len([e for e in self.seen if isinstance(e, kind)]) < n:
                self.seen.extend((await anext(sub)).events)
        return [e for e in self.seen if isinstance(e, kind)]


@pytest.fixture
async def doors(tmp_path: Path) -> AsyncIterator[Doors]:
    bus = MemoryBus()
    ctx = SensorContext(node="test", bus=bus, data_dir=tmp_path / "data")
    sensors = (
        HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=0), ctx),
        FtpSensor(FtpConfig(host="127.0.0.1", port=0, failed_login_delay_s=0.05), ctx),
        SmtpSensor(SmtpConfig(host="127.0.0.1", port=0), ctx),
    )
    tasks = []
    for sensor in sensors:
        await sensor.start()
        tasks.append(asyncio.create_task(sensor.run()))
    yield Doors(*sensors, bus=bus, seen=[])  # type: ignore[arg-type]
    for sensor in sensors:
        await sensor.stop()
    for task in tasks:
        task.cancel()


async def run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, list(cmd), capture_output=True, text=True, timeout=timeout
    )


async def test_web_leak_opens_ftp_and_ftp_upload_is_served_by_the_web(
    doors: Doors, tmp_path: Path
) -> None:
    require_tool("curl", "lftp")
    sub = doors.bus.subscribe("test")
    web = f"http://127.0.0.1:{doors.http.bound_port}"
    env = (await run("curl", "-sS", f"{web}/.env")).stdout
    values = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    user, password = values["DB_USERNAME"], values["DB_PASSWORD"]
    token = doors.ftp.host.tokens.by_kind("db_password")[0]
    assert (user, password) == (token.username, token.secret)
    page = tmp_path / "note.txt"
    page.write_bytes(b"deployed by ftp\n")
    script = f"set net:max-retries 1; set net:timeout 10; quote PWD; put {page} -o note.txt; bye"
    ftp = await run("lftp", "-u", f"{user},{password}", "-p", str(doors.ftp.bound_port),
                    "-e", script, "127.0.0.1")  # fmt: skip
    assert ftp.returncode == 0, ftp.stderr
    assert '257 "/var/www/html"' in ftp.stdout  # the deploy account's root
    served = await run("curl", "-sS", f"{web}/note.txt")
    assert served.stdout == "deployed by ftp\n"
    shown = await run_command("cat /var/www/html/note.txt", doors.http.site.host, "127.0.0.1",
                              user="root")  # fmt: skip
    assert shown.stdout == b"deployed by ftp\n"
    triggered = await doors.collect(sub, HoneytokenTriggered, 1)
    assert (triggered[0].token_id, triggered[0].protocol) == (token.token_id, "ftp")


async def test_dumped_shop_credentials_work_on_ftp_as_honeytokens(doors: Doors) -> None:
    require_tool("curl")
    sub = doors.bus.subscribe("test")
    shop = [t for t in doors.http.site.host.tokens.by_kind("sql_password")
            if "sql:shop.users" in t.planted_in]  # fmt: skip
    web_user = shop[1]  # a shop.users login whose phpass hash the SQL injection dumps
    ok = await run("curl", "-sS", "--max-time", "20", "--user",
                   f"{web_user.username}:{web_user.secret}",
                   f"ftp://127.0.0.1:{doors.ftp.bound_port}/")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = await run("curl", "-sS", "--max-time", "20", "--user", f"{web_user.username}:nope",
                    f"ftp://127.0.0.1:{doors.ftp.bound_port}/")  # fmt: skip
    assert bad.returncode == 67  # curl: login denied
    attempts = await doors.collect(sub, AuthAttempt, 2)
    assert [(a.protocol, a.username, a.accepted) for a in attempts] == [
        ("ftp", web_user.username, True), ("ftp", web_user.username, False)]  # fmt: skip
    triggered = await doors.collect(sub, HoneytokenTriggered, 1)
    assert triggered[0].token_id == web_user.token_id and triggered[0].token_kind == "sql_password"


async def test_every_door_names_the_same_host(doors: Doors) -> None:
    fqdn = doors.http.site.host.persona.fqdn
    reader, writer = await asyncio.open_connection("127.0.0.1", doors.smtp.bound_port)
    greeting = (await asyncio.wait_for(reader.readline(), 60)).decode()
    writer.close()
    assert greeting.startswith(f"220 {fqdn} ESMTP Postfix")
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    _, tls_writer = await asyncio.open_connection("127.0.0.1", doors.http.tls_bound_port, ssl=ctx)
    der = tls_writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    tls_writer.close()
    cert = x509.load_der_x509_certificate(der)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == fqdn
    assert cert.not_valid_before_utc.timestamp() == pytest.approx(
        doors.http.site.host.persona.identity.installed_at, abs=1
    )
    hostname = await run_command("hostname -f", doors.http.site.host, "127.0.0.1")
    assert hostname.stdout.decode().strip() == fqdn
