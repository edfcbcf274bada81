"""``phantomnet block / unblock / blocks`` end to end, as subprocesses on a SQLite file.

Dry-run records without touching anything; nftables (inside a test namespace) records and
enforces at once with no server running. User mistakes are one line and exit code 2.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pnr_netns import Lab

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ENTRY = (
    "from phantomnet.cli import main as m\n"
    "from phantomnet.cli import response\n"
    "if not any(c.name == 'block' for c in m.app.registered_commands):\n"
    "    response.register(m.app)\n"
    "m.main()\n"
)


def phantomnet(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOMNET_")}
    clean.update(PHANTOMNET_DATA_DIR=str(data_dir), COLUMNS="200")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, env=clean, timeout=60
    )


def stored_events(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "phantomnet.db") as db:
        return [(k, s) for k, s in db.execute("SELECT kind, src_ip FROM event ORDER BY id")]


def test_dry_run_cli(tmp_path: Path) -> None:
    done = phantomnet(tmp_path, "block", "203.0.113.7", "--for", "1h", "--reason", "scanner")
    assert done.returncode == 0, done.stderr
    assert "203.0.113.7 blocked until" in done.stdout and "dry-run" in done.stdout
    listed = phantomnet(tmp_path, "blocks")
    assert "203.0.113.7" in listed.stdout and "scanner" in listed.stdout

    for args, message in [
        (("block", "127.0.0.1"), "error: refusing to block 127.0.0.1"),
        (("block", "10.0.0.0/8"), "error: 10.0.0.0/8 is wider than allowed"),
        (("block", "nonsense"), "error: not an IP address or network"),
        (("block", "fe80::1%x"), "error: not a block target: 'fe80::1%x' carries an IPv6 zone"),
        (("block", "example.com"), "error: not an IP address or network"),
        (("block", "203.0.113.9", "--for", "soon"), "error: duration 'soon'"),
        (("unblock", "203.0.113.99"), "error: 203.0.113.99 is not blocked"),
    ]:
        failed = phantomnet(tmp_path, *args)
        lines = [ln for ln in failed.stderr.splitlines() if ln.strip()]
        assert failed.returncode == 2 and len(lines) == 1, (args, failed.stderr)
        assert lines[0].startswith(message), lines

    assert phantomnet(tmp_path, "unblock", "203.0.113.7").returncode == 0
    assert "no active blocks" in phantomnet(tmp_path, "blocks").stdout
    assert "203.0.113.7" in phantomnet(tmp_path, "blocks", "--all").stdout
    assert stored_events(tmp_path) == [
        ("response.block", "203.0.113.7"),
        ("response.unblock", "203.0.113.7"),
    ]


@pytest.mark.netns
def test_nftables_cli_enforces_without_a_server(lab: Lab, tmp_path: Path) -> None:
    port = lab.serve("0.0.0.0")
    env = {"PHANTOMNET_RESPONSE__BACKEND": "nftables", "PHANTOMNET_RESPONSE__NETNS": lab.victim}
    assert lab.client(lab.victim_ip, port).first == "connected"  # type: ignore[attr-defined]

    done = phantomnet(tmp_path, "block", lab.attacker_ip, "--for", "10m", **env)
    assert done.returncode == 0, done.stderr
    assert "nftables: applied" in done.stdout
    held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
    assert lab.attacker_ip in held
    assert lab.client(lab.victim_ip, port).first.startswith("error")  # type: ignore[attr-defined]

    refused = phantomnet(tmp_path, "block", lab.victim_ip, **env)
    assert refused.returncode == 2 and "own address" in refused.stderr

    assert phantomnet(tmp_path, "unblock", lab.attacker_ip, **env).returncode == 0
    held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
    assert lab.attacker_ip not in held
    assert lab.client(lab.victim_ip, port).first == "connected"  # type: ignore[attr-defined]
    lab.in_victim("nft", "delete", "table", "inet", "phantomnet")


HOSTILE = "\x1b[31mred\x1b]0;pwned\x07\r\x9b2J[bold]loud[/bold]\u202eevil"


def test_cli_output_escapes_attacker_text(tmp_path: Path) -> None:
    """A stored reason (and an old row's target) with terminal escapes, C1 controls, bidi
    overrides and rich markup reaches the operator escaped and literal."""
    done = phantomnet(tmp_path, "block", "203.0.113.7", "--for", "1h", "--reason", HOSTILE)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "phantomnet.db") as db:  # a row from an older version
        db.execute(
            "INSERT INTO block (target, source, reason, created_at, expires_at, active, offence,"
            " backend, applied) SELECT ?, source, reason, created_at, expires_at, 1, 1,"
            " backend, 0 FROM block LIMIT 1",
            ("1.2.3.4\x1b[2J",),
        )
    for args in (("blocks",), ("blocks", "--all")):
        listed = phantomnet(tmp_path, *args, COLUMNS="400")
        assert listed.returncode == 0, listed.stderr
        text = listed.stdout
        for raw in ("\x1b", "\x07", "\r", "\x9b", "\u202e"):
            assert raw not in text, (raw, text)
        assert "\\x1b[31mred" in text and "\\x07" in text
        # the reason is stored as AttackerText, which escapes a bidi override as its bytes
        assert "\\xe2\\x80\\xae" in text or "\\u202e" in text
        assert "[bold]loud[/bold]" in text  # markup shown, not interpreted
        assert "1.2.3.4\\x1b[2J" in text

    made = phantomnet(tmp_path, "token", "create", "--role", "viewer", "--name", HOSTILE[:40])
    assert made.returncode == 0, made.stderr
    tokens = phantomnet(tmp_path, "token", "list")
    assert tokens.returncode == 0, tokens.stderr
    assert "\x1b" not in tokens.stdout and "\\x1b[31mred" in tokens.stdout, tokens.stdout

    failed = phantomnet(tmp_path, "unblock", "9.9.9.9\x1b[2J[red]x")
    assert failed.returncode == 2
    assert "\x1b" not in failed.stderr and "\\x1b[2J[red]x" in failed.stderr
