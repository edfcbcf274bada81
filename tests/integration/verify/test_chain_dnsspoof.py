"""The whole chain, live: dnsspoof forges an answer on a LAN, PhantomNet's monitor raises
``dns_spoof``, the verification asks the independent paths by itself, and the threat is
stored verified.

Two labs at once: the monitor's LAN (``tests/netns/pnm_lab.py``: victim, attacker running
dsniff's ``dnsspoof``, a resolver) and the verification lab (``lab.py``: a WAN and path
namespaces, each with its own resolver). ``phantomnet up`` runs inside the LAN's switch
namespace, capturing the victim's port, with the lab's namespaces as its ``netns`` paths and
SQLite under the test's directory; the test reads the stored rows from that database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from phantomnet import plugins
from tests.conftest import require_root, require_tool
from tests.e2e.harness import BIN, free_port, write_toml
from tests.integration.monitor.capturing import capturing_on
from tests.integration.verify.lab import PATHS, build

sys.path.insert(0, str(Path(__file__).parents[2] / "netns"))
import pnm_lab as mlab

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(600)]

#: what the LAN's resolver (pnm_resolver.py) and the WAN's authoritative server answer
TRUE_IP = "93.184.216.34"
NAME = "bank.example"
#: generous: a loaded 2-core machine is never raced
WAIT_S = float(os.environ.get("PN_CHAIN_WAIT_S", "240"))


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def _config(tmp: Path, lab_ns: Any) -> Path:
    path = tmp / "pn.toml"
    write_toml(
        path,
        {
            "data_dir": str(tmp / "data"),
            "api": {"host": "127.0.0.1", "port": free_port()},
            "sensors": {name: {"enabled": False} for name in plugins.available(plugins.SENSORS)},
            "monitor": {"interface": mlab.TAP},
        },
    )
    paths = [
        {
            "name": f"{p}-dns",
            "kind": "netns",
            "settings": {
                "namespace": lab_ns.ns(p),
                "path": {"kind": "dns", "settings": {"server": f"{lab_ns.addr(p)}:53"}},
            },
        }
        for p in PATHS
    ]
    with path.open("a") as f:
        f.write("[verify]\ntimeout_s = 60\n")
        f.write(f"paths = {_inline(paths)}\n")
    return path


def _rows(db: Path, query: str) -> list[sqlite3.Row]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(query).fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return []


def _state(db: Path) -> str:
    """What was stored, for a failure message."""
    parts = []
    for query in (
        "SELECT rule, verified, summary FROM detection",
        "SELECT rule, outcome, compromised_paths, detail FROM verification_result",
        "SELECT kind, count(*) AS n FROM event GROUP BY kind",
    ):
        parts.append(f"{query}: {[dict(r) for r in _rows(db, query)]}"[:3000])
    return "\n".join(parts)


def _until(what: str, cond: Any, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = cond()
        if found:
            return found
        assert proc.poll() is None, f"phantomnet up exited: {log.read_text()[-3000:]}"
        time.sleep(0.25)
    db = log.parent / "data" / "phantomnet.db"
    raise AssertionError(f"{what} not reached: {_state(db)}\n{log.read_text()[-3000:]}")


def test_dnsspoof_is_detected_verified_and_stored(tmp_path: Path) -> None:
    require_root()
    require_tool("ip", "dnsspoof", "dig", "dnsmasq", "privoxy", "danted")
    with ExitStack() as stack, mlab.lab() as lan:
        (tmp_path / "vlab").mkdir()
        paths = build(tmp_path / "vlab", stack, hosts={NAME: TRUE_IP})
        config = _config(tmp_path, paths)
        mlab.in_ns("sw", "ip", "link", "set", "lo", "up", check=True)  # the API's loopback
        log = tmp_path / "up.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", mlab.SW, str(BIN), "up", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PHANTOMNET_CONFIG": ""},
            )
        try:
            ifindex = int(
                mlab.in_ns("sw", "cat", f"/sys/class/net/{mlab.TAP}/ifindex").stdout.strip()
            )
            _until(
                "capture on the victim's port", lambda: capturing_on(proc.pid, ifindex), proc, log
            )
            mlab.dns_spoof(lan)
            db = tmp_path / "data" / "phantomnet.db"
            results = _until(
                "a stored verification of the dns_spoof detection",
                lambda: _rows(
                    db,
                    "SELECT v.outcome, v.compromised_paths, v.subject_event_id, d.verified, "
                    "d.verification_details, v.target FROM verification_result v "
                    "JOIN detection d ON d.event_id = v.subject_event_id "
                    "WHERE v.rule = 'dns_spoof' AND d.verified IS NOT NULL",
                ),
                proc,
                log,
            )
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
    row = results[0]
    assert row["target"] == NAME
    assert row["outcome"] == "confirmed", dict(row)
    assert bool(row["verified"]) is True
    assert json.loads(row["compromised_paths"]) == ["observed-on-wire"]
    details = json.loads(row["verification_details"])
    assert details["outcome"] == "confirmed"
