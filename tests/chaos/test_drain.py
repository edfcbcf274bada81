"""SIGTERM and SIGKILL of a loaded ``phantomnet up``: what the doors answered is stored.

Real process (tests/e2e/harness.py), real clients (smtplib, http.client) on 127.0.0.1, real
SQLite under the data dir. Lost = a client got an answer, the event is not in the database;
duplicated = stored twice. Figures are printed (run with ``-s`` to see them).

* SIGTERM: the doors drain, the memory bus delivers everything queued, the writer flushes
  → 0 lost, 0 duplicated.
* SIGKILL without journal: the loss is measured (what was queued or in the writer's open
  batch), not asserted.
* SIGKILL with ``[bus] journal = true``: after a restart the journal is replayed → 0 lost and
  0 duplicated: SMTP sends its ``250`` and HTTP its response only after the event is
  published (journaled).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.doorload import Load, stored, tally
from tests.e2e.harness import PhantomNet, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

#: Answers collected before the signal (the load keeps going while it lands).
ANSWERS_BEFORE_SIGNAL = 600


def config(journal: bool = False) -> dict[str, Any]:
    return {
        "api": {"port": free_port()},
        "bus": {"journal": journal},
        "sensors": {
            "smtp": {"host": "127.0.0.1", "port": free_port(), "drain_timeout_s": 15},
            "http": {"host": "127.0.0.1", "port": free_port(), "tls_port": free_port(),
                     "drain_timeout_s": 15},
            "ssh": {"enabled": False},
            "ftp": {"enabled": False},
        },
    }  # fmt: skip


def loaded(pn: PhantomNet) -> Load:
    sensors = pn.config["sensors"]
    pn.wait_http("/health")
    pn.wait_port(sensors["smtp"]["port"])
    load = Load(sensors["smtp"]["port"], sensors["http"]["port"]).start()
    load.wait_answers(ANSWERS_BEFORE_SIGNAL)
    return load


def db_of(pn: PhantomNet) -> Path:
    return Path(pn.config["data_dir"]) / "phantomnet.db"


def wait_exit(pn: PhantomNet, timeout: float = 120) -> int:
    assert pn.proc is not None
    return pn.proc.wait(timeout)


def report(what: str, load: Load, db: Path, killed_at: float | None = None) -> dict[str, Any]:
    figures = tally(load, db)
    for door, t in figures.items():
        line = f"{what} {door}: answered {t.answered} stored {t.stored} lost {len(t.lost)}"
        line += f" duplicated {len(t.duplicated)}"
        if killed_at is not None and t.lost:
            ages = [killed_at - load.answered[door][m] for m in t.lost]
            line += f" (lost answers from {min(ages):.2f} s to {max(ages):.2f} s before the kill)"
        print(line)
    print(f"{what} client errors: {dict(load.errors)}")
    return figures


def test_sigterm_under_load_loses_nothing(tmp_path: Path) -> None:
    pn = PhantomNet(tmp_path, config()).start()
    load = None
    try:
        load = loaded(pn)
        assert pn.proc is not None
        pn.proc.send_signal(signal.SIGTERM)
        code = wait_exit(pn)
        load.stop()
        assert code == 0, pn.log()
        figures = report("SIGTERM", load, db_of(pn))
        for door, t in figures.items():
            assert t.answered > 0, door
            assert t.lost == [] and t.duplicated == [], (door, t.lost[:5], t.duplicated[:5])
    finally:
        if load is not None:
            load.stop()
        pn.stop()


def test_sigkill_without_journal_loss_is_measured(tmp_path: Path) -> None:
    pn = PhantomNet(tmp_path, config()).start()
    load = None
    try:
        load = loaded(pn)
        assert pn.proc is not None
        killed_at = time.monotonic()
        pn.proc.kill()
        wait_exit(pn)
        load.stop()
        figures = report("SIGKILL no journal", load, db_of(pn), killed_at)
        for door, t in figures.items():
            assert t.duplicated == [], door
            assert t.stored > 0, door  # the writer was storing all along
    finally:
        if load is not None:
            load.stop()
        pn.stop()


def test_sigkill_with_journal_loses_nothing_after_restart(tmp_path: Path) -> None:
    cfg = config(journal=True)
    pn = PhantomNet(tmp_path, cfg).start()
    load = None
    try:
        load = loaded(pn)
        assert pn.proc is not None
        killed_at = time.monotonic()
        pn.proc.kill()
        wait_exit(pn)
        load.stop()
        report("SIGKILL journal, before restart", load, db_of(pn), killed_at)
        # Restart on the same data dir: the journal is replayed into the writer.
        again = PhantomNet(tmp_path, pn.config).start()
        try:
            again.wait_http("/health")
            want = {k: set(v) for k, v in load.answered.items()}
            deadline = time.monotonic() + 120
            while not all(want[k] <= set(stored(db_of(again))[k]) for k in want):
                assert time.monotonic() < deadline, "replay never completed"
                again.assert_alive()
                time.sleep(0.2)
            code, _ = again.stop(timeout=60)
            assert code == 0, again.log()
        finally:
            again.stop()
        figures = report("SIGKILL journal, after restart", load, db_of(pn), killed_at)
        for door in ("smtp", "http"):
            got = figures[door]
            assert got.answered > 0 and got.lost == [] and got.duplicated == [], (door, got)
        assert "replaying" in again.log()
    finally:
        if load is not None:
            load.stop()
        pn.stop()
