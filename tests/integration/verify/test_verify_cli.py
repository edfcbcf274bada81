"""``phantomnet verify NAME|URL`` as a subprocess against a loopback lab (real dnsmasq
resolvers, an origin site, an honest and a lying HTTP proxy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.verify.loop_lab import LIE_IP, NAME, TRUE_IP, lab

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

RUN_S = 240


def _run(tmp: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp / "verify.toml"
    path.write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOMNET_")} | {
        "COLUMNS": "200",
        "PHANTOMNET_DATA_DIR": str(tmp / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "phantomnet", "verify", *args, "--config", str(path)],
        capture_output=True, text=True, timeout=RUN_S, env=env, check=False,
    )  # fmt: skip


def test_the_vote_is_a_table_naming_the_liars(tmp_path: Path) -> None:
    with lab(tmp_path) as built:
        done = _run(tmp_path, built.toml(), built.url, "--paths", "3", "--timeout", "60")
    assert done.returncode == 1, done.stderr  # an attack was detected
    out = done.stdout
    assert "liar-ns-0" in out and LIE_IP in out and TRUE_IP in out
    assert "evil-proxy" in out and "CONTENT" not in done.stderr
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "NO" in lines["liar-ns-0"] and "yes" in lines["resolver-0"]
    assert "NO" in lines["evil-proxy"] and "yes" in lines["via-proxy"]
    assert "dns: confirmed" in out and "compromised: evil-proxy" in out
    assert "verdict: ATTACK DETECTED" in out


def test_a_clean_name_exits_0_and_json_has_the_report(tmp_path: Path) -> None:
    with lab(tmp_path, http=False, dns_liars=0) as built:
        table = _run(tmp_path, built.toml(), NAME)
        as_json = _run(tmp_path, built.toml(), NAME, "--json")
    assert table.returncode == 0, table.stdout + table.stderr
    assert "verdict: no attack" in table.stdout
    report = json.loads(as_json.stdout)
    assert report["verified_ip"] == TRUE_IP and report["outcome"] == "refuted"


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("https://user:pw@www.example.test/", "credentials"),
        ("ftp://www.example.test/", "scheme"),
        ("nx.example.test", "unknown domain"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, target: str, says: str) -> None:
    with lab(tmp_path, http=False, dns_liars=0) as built:
        done = _run(tmp_path, built.toml(), target)
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr
