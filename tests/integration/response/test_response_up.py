"""Issue 11 end to end: a real ``phantomnet up`` (nftables, acting inside a namespace the test
creates) starts although the database holds a block no firewall takes (``fe80::1%x``, written
by an older version), enforces the others, and the API reports each block's real state."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pnr_netns import Lab
from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_up import free_sensor_ports

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(180)]


def get(pn: PhantomNet, path: str, token: str) -> Any:
    req = urllib.request.Request(pn.api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_up_starts_and_enforces_despite_a_bad_stored_block(lab: Lab, tmp_path: Path) -> None:
    config = {
        "api": {"port": free_port()},
        "sensors": free_sensor_ports(),
        "response": {"backend": "nftables", "netns": lab.victim, "reconcile_interval_s": 3600},
    }
    pn = PhantomNet(tmp_path, config)
    pn.cli("migrate")
    token = pn.cli("token", "create", "--role", "viewer").stdout.strip()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [(t, now, now + timedelta(days=2)) for t in ("fe80::1%x", lab.attacker_ip)]
    with sqlite3.connect(tmp_path / "data" / "phantomnet.db") as db:
        db.executemany(
            "INSERT INTO block (target, source, reason, created_at, expires_at, active, offence,"
            " backend, applied) VALUES (?, 'manual', 'old row', ?, ?, 1, 1, 'nftables', 0)",
            [(t, str(c), str(e)) for t, c, e in rows],
        )
    port = lab.serve("0.0.0.0")
    with pn:
        pn.wait_http("/health")
        held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
        assert lab.attacker_ip in held
        assert lab.client(lab.victim_ip, port).first.startswith("error")  # type: ignore[attr-defined]
        items = get(pn, "/api/active-defense/blocks", token)["items"]
        state = {i["target"]: i["applied"] for i in items}
        assert state == {"fe80::1%x": False, lab.attacker_ip: True}, items
        code, _ = pn.stop()
    assert code == 0, pn.log()[-3000:]
    assert pn.log().count("not enforcing the stored block of 'fe80::1%x'") == 1, pn.log()[-3000:]
