"""The training-traffic generator really runs its tools in its namespaces (one short scan
scenario), and the capture it writes replays into flows the trainer can use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import require_root, require_tool

from phantomnet.cli.train import monitor_reader
from phantomnet.scoring.dataset import item_flows, load_manifest

pytestmark = [pytest.mark.integration, pytest.mark.netns]
ROOT = Path(__file__).resolve().parents[3]


def test_generator_runs_one_scenario(tmp_path: Path) -> None:
    require_root()
    require_tool("nmap", "tcpdump", "sshd", "openssl", "ip")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "gen_training_data.py"),
            "--out",
            str(tmp_path),
            "--only",
            "nmap_xmas",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    [item] = manifest["items"]
    assert item["label"] == "scan" and item["split"] == "train"
    assert item["capture"].endswith(".pcap.gz") and len(item["capture_sha256"]) == 64
    [entry] = load_manifest(tmp_path)
    flows = item_flows(entry, monitor_reader)
    assert len(flows) >= 900  # nmap -sX -p 1-1000
    assert all(f.src is not None and f.src.ip == "10.231.0.2" for f in flows)
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "pns-srv" not in namespaces and "pns-atk" not in namespaces  # cleaned up
