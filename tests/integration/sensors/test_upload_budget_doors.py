"""FTP STOR and the HTTP upload trap under the fake host's quota and disk budget (real
curl): refused before the disk, 552 / no placement, and ``file.upload`` with ``refused``."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import FileUpload
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from tests.conftest import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, list(cmd), capture_output=True, text=True,
                                   timeout=60)  # fmt: skip


async def uploads(sub: Any, n: int, seen: list[Any]) -> list[FileUpload]:
    async with asyncio.timeout(30):
        while len([e for e in seen if isinstance(e, FileUpload)]) < n:
            seen.extend((await anext(sub)).events)
    return [e for e in seen if isinstance(e, FileUpload)]


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


async def test_ftp_and_http_uploads_share_the_quota_and_disk_budget(tmp_path: Path) -> None:
    require_tool("curl")
    bus = MemoryBus()
    sub = bus.subscribe("test")
    seen: list[Any] = []
    shared: dict[str, Any] = {}
    ctx = SensorContext(node="t", bus=bus, data_dir=tmp_path / "data", shared=shared)
    ftp = FtpSensor(FtpConfig(host="127.0.0.1", port=0, failed_login_delay_s=0.05), ctx)
    web = HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=0), ctx)
    await ftp.start()
    await web.start()
    tasks = [asyncio.create_task(ftp.run()), asyncio.create_task(web.run())]
    try:
        host = ftp.host
        assert host is web.site.host  # one fake host, one budget
        host.limits = dataclasses.replace(host.limits, max_owner_bytes=256 * 1024)
        host._views.clear()
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(1024 * 1024))
        sent = await run("curl", "-sS", "-T", str(big),
                         f"ftp://127.0.0.1:{ftp.bound_port}/incoming/big.bin")  # fmt: skip
        assert sent.returncode == 70, sent.stderr  # curl's CURLE_REMOTE_DISK_FULL: a 552 reply
        sent = await run("curl", "-sS", "-F", f"file=@{big}",
                         f"http://127.0.0.1:{web.bound_port}/upload.php")  # fmt: skip
        assert "Uploaded: uploads/big.bin" not in sent.stdout
        ups = await uploads(sub, 2, seen)
        assert [(u.protocol, u.refused) for u in ups] == [("ftp", "quota"), ("http", "quota")]
        assert all(u.stored_as is None for u in ups)
        assert disk_bytes(tmp_path / "data" / "uploads") < 256 * 1024
        # the global budget: a source with room in its quota still meets the full disk
        host.limits = dataclasses.replace(host.limits, max_owner_bytes=64 * 1024 * 1024)
        host._views.clear()
        host.disk.limit = host.disk.used + 1024
        sent = await run("curl", "-sS", "-T", str(big),
                         f"ftp://127.0.0.1:{ftp.bound_port}/incoming/big2.bin")  # fmt: skip
        assert sent.returncode == 70, sent.stderr
        ups = await uploads(sub, 3, seen)
        assert ups[-1].refused == "disk"
    finally:
        await ftp.stop()
        await web.stop()
        for t in tasks:
            t.cancel()


async def test_mail_is_charged_to_the_same_disk_budget(tmp_path: Path) -> None:
    require_tool("swaks")
    from phantomnet.events import SmtpMessage
    from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor

    bus = MemoryBus()
    sub = bus.subscribe("test")
    ctx = SensorContext(node="t", bus=bus, data_dir=tmp_path / "data")
    smtp = SmtpSensor(SmtpConfig(host="127.0.0.1", port=0, hostname="mail.example.net"), ctx)
    await smtp.start()
    task = asyncio.create_task(smtp.run())
    try:
        host = ctx.shared["fake_host"]
        host.disk.limit = host.disk.used + 100  # no room for a message
        sent = await run("swaks", "--server", f"127.0.0.1:{smtp.bound_port}", "--from",
                         "a@example.org", "--to", "b@example.net", "--body", ("x" * 60 + "\n") * 80)  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        seen: list[Any] = []
        async with asyncio.timeout(30):
            while not any(isinstance(e, SmtpMessage) for e in seen):
                seen.extend((await anext(sub)).events)
        [msg] = [e for e in seen if isinstance(e, SmtpMessage)]
        assert msg.stored_as is None  # recorded, not written
        assert not list((tmp_path / "data").rglob("*.eml"))
        assert host.disk.used <= host.disk.limit
    finally:
        await smtp.stop()
        task.cancel()
