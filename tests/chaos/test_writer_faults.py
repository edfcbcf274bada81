"""Writer faults: the disk under SQLite fills up, then space comes back.

The test mounts its own small tmpfs (root), puts the SQLite database on it, fills the rest
with a file, and publishes events: the writer must report ``degraded`` with the error,
acknowledge nothing it has not stored, and store everything by itself once the file is
removed (0 lost, 0 duplicated). The tmpfs is unmounted in a ``finally``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from phantomnet.bus.memory import MemoryBus
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade
from phantomnet.storage.tables import EventRow
from phantomnet.storage.writer import StorageWriter
from tests.chaos.doorload import Load, tally
from tests.chaos.test_drain import config
from tests.conftest import require_root
from tests.e2e.harness import PhantomNet
from tests.integration.storage.conftest import Factory
from tests.integration.storage.test_writer import scalar, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "8m") -> Iterator[Path]:
    require_root()
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path) -> int:
    """Write ``path`` until the file system is full; return the bytes written (bounded)."""
    written = 0
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as f:
        for _ in range(100_000):  # far more than any small tmpfs holds
            try:
                written += f.write(chunk) or 0
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
        with contextlib.suppress(OSError):  # and the last few bytes
            while f.write(b"\0" * 512):
                written += 512
    return written


async def test_disk_full_degrades_keeps_everything_and_recovers(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'pn.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        bus = MemoryBus()
        writer = StorageWriter(bus, engine, batch_size=200, flush_interval_s=0.05)
        await writer.start()
        task = asyncio.create_task(writer.run())
        try:
            first = Factory().session()
            await bus.publish_many(first)
            await until(lambda: writer.stored == len(first), 30)

            filler = disk / "filler"
            assert await asyncio.to_thread(fill, filler) > 0
            # Big events so that the database has to grow on the full disk.
            bulky: list[Any] = []
            for i in range(300):
                f = Factory(ip=f"198.51.100.{i % 250 + 1}")
                bulky += [f.opened(), f.command("x" * 8000), f.closed()]
            await bus.publish_many(bulky)
            await until(lambda: writer.state == "degraded" or task.done(), 60)
            assert not task.done(), task.exception()
            info = writer.describe()
            assert info["state"] == "degraded" and "full" in str(info["detail"]).lower(), info
            assert bus.stats.acked == writer.stored, "acknowledged only what is stored"

            os.unlink(filler)  # space comes back: no restart, no operator
            total = len(first) + len(bulky)
            await until(lambda: writer.stored >= total or task.done(), 120)
            assert not task.done(), task.exception()
            assert writer.state == "up" and writer.stored == total
            assert bus.stats.acked == total and writer.duplicates == 0
            assert await scalar(engine, select(func.count()).select_from(EventRow)) == total
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await engine.dispose()


def health(pn: PhantomNet) -> str:
    with urllib.request.urlopen(pn.api + "/health", timeout=10) as resp:
        return str(json.loads(resp.read())["status"])


def wait_health(pn: PhantomNet, want: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while health(pn) != want:
        assert time.monotonic() < deadline, f"/health never said {want}; log:\n{pn.log()}"
        pn.assert_alive()
        time.sleep(0.2)


@pytest.mark.e2e
def test_phantomnet_up_on_a_full_disk_says_degraded_and_loses_nothing(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "16m") as disk:
        cfg = config()
        cfg["database"] = {"url": f"sqlite:///{disk / 'pn.db'}"}
        (tmp_path / "run").mkdir()
        pn = PhantomNet(tmp_path / "run", cfg).start()
        load = None
        try:
            pn.wait_http("/health")
            wait_health(pn, "ok")
            filler = disk / "filler"
            fill(filler)
            load = Load(cfg["sensors"]["smtp"]["port"], cfg["sensors"]["http"]["port"]).start()
            wait_health(pn, "degraded")  # the writer cannot commit: not "ok" any more
            load.wait_answers(300)
            load.stop()
            os.unlink(filler)
            wait_health(pn, "ok")  # recovered by itself
            assert pn.proc is not None
            pn.proc.send_signal(signal.SIGTERM)
            assert pn.proc.wait(120) == 0, pn.log()
            figures = tally(load, disk / "pn.db")
            for door, t in figures.items():
                print(f"disk full {door}: answered {t.answered} stored {t.stored}"
                      f" lost {len(t.lost)} duplicated {len(t.duplicated)}")  # fmt: skip
                assert t.answered > 0 and t.lost == [] and t.duplicated == [], (door, t)
        finally:
            if load is not None:
                load.stop()
            pn.stop()


async def test_journal_on_a_full_disk_still_delivers_and_says_unhealthy(tmp_path: Path) -> None:
    from phantomnet.bus.journal import JournaledMemoryBus

    with small_tmpfs(tmp_path / "jdisk", "1m") as disk:
        bus = JournaledMemoryBus(disk / "journal")
        await bus.start()
        sub = bus.subscribe("storage", batch_size=10_000)
        first = Factory().session()
        await bus.publish_many(first)
        assert await bus.healthy()
        filler = disk / "filler"
        fill(filler)
        bulky = [Factory().command("y" * 4000) for _ in range(50)]
        for event in bulky:
            await bus.publish(event)  # never raises into a door
        assert not await bus.healthy() and bus.stats.extra["journal_errors"] > 0
        os.unlink(filler)
        last = Factory().session()
        await bus.publish_many(last)
        assert await bus.healthy()
        got = (await anext(sub)).events
        assert [e.event_id for e in got] == [e.event_id for e in first + bulky + last]
        # What was journaled is intact: a restart replays every line (none torn).
        again = JournaledMemoryBus(disk / "journal")
        await again.start()
        assert again.journal.malformed == 0
        assert again.journal.replayed == len(first) + len(last) + (
            len(bulky) - bus.stats.extra["journal_errors"]
        )
        await again.close()
        await bus.close()
