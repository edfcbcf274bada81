"""Live capture in a network-namespace lab with real tools (root; bounded, ~1 minute).

The monitor listens on the victim's switch port (the lab's bridge floods like a hub) while
nmap scans from the attacker and the victim browses the gateway's web server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import require_root, require_tool
from tests.integration.monitor.capturing import capturing_on

sys.path.insert(0, str(Path(__file__).parents[2] / "netns"))
import pnm_lab as lab_mod

RUN = Path(__file__).with_name("mon_run.py")
pytestmark = [pytest.mark.integration, pytest.mark.netns]


def _start(args: list[str], out: Path) -> tuple[subprocess.Popen[bytes], Path]:
    err = out.with_suffix(".err")
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", lab_mod.SW, sys.executable, str(RUN), *args],
            stdout=o,
            stderr=e,
            start_new_session=True,
        )
    return proc, err


def _wait_for(path: Path, needle: bytes, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if needle in path.read_bytes():
            return
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not in {path}: {path.read_bytes()[-500:]!r}")


def _wait_capturing(proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    """Until the monitor's ring is bound to the tap (a busy machine starts it slowly)."""
    ifindex = int(
        subprocess.run(
            ["ip", "netns", "exec", lab_mod.SW, "cat", f"/sys/class/net/{lab_mod.TAP}/ifindex"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    )  # fmt: skip
    deadline = time.monotonic() + limit
    while not capturing_on(proc.pid, ifindex):
        assert proc.poll() is None and time.monotonic() < deadline, "the monitor never started"
        time.sleep(0.1)


def _traffic(lab: lab_mod.Lab) -> None:
    lab_mod._web(lab, "gw")
    for i in range(3):
        lab_mod.in_ns(
            "vic", "curl", "-s", "-o", "/dev/null", f"http://{lab_mod.ip_of('gw')}/?p={i}"
        )
    lab_mod.in_ns(
        "att",
        "nmap",
        "-n",
        "-Pn",
        "-sS",
        "-p",
        "1-100",
        "-T4",
        "--max-retries",
        "0",
        lab_mod.ip_of("vic"),
    )


def _events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


@pytest.mark.timeout(300)
def test_cli_live_capture_detects_a_scan_and_not_browsing(tmp_path: Path) -> None:
    require_root()
    require_tool("nmap", "curl", "tcpdump")
    out = tmp_path / "events.jsonl"
    with lab_mod.lab() as lab:
        proc, err = _start(
            [
                "cli",
                "monitor",
                "--interface",
                lab_mod.TAP,
                "--jsonl",
                str(out),
                "--all",
                "--duration",
                "12",
            ],
            tmp_path / "cli.out",
        )
        _wait_capturing(proc)
        _traffic(lab)
        assert proc.wait(timeout=60) == 0, err.read_text()
    events = _events(out)
    kinds = {e["kind"] for e in events}
    assert {"network.flow", "network.http", "network.stats", "detection"} <= kinds
    dets = [e for e in events if e["kind"] == "detection"]
    assert {d["rule"] for d in dets} == {"port_scan"}
    assert all(d["src"]["ip"] == lab_mod.ip_of("att") for d in dets)  # type: ignore[index]
    assert "dropped by the kernel" in err.read_text()


@pytest.mark.timeout(300)
def test_component_publishes_to_the_bus(tmp_path: Path) -> None:
    require_root()
    require_tool("nmap")
    out = tmp_path / "bus.jsonl"
    with lab_mod.lab() as lab:
        proc, err = _start(["component", lab_mod.TAP, "10"], out)
        _wait_for(err, b"ready")
        _traffic(lab)
        proc.wait(timeout=60)
    events = _events(out)
    assert any(e["kind"] == "detection" and e["rule"] == "port_scan" for e in events)
    assert "kernel_drops" in err.read_text()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    for args, needle in (
        (["--pcap", str(tmp_path / "missing.pcap"), "--jsonl", "-"], "not found"),
        (["--interface", "lo", "--pcap", "x.pcap"], "exactly one"),
        (["--interface", "pnm-nonexistent0", "--bpf", "tcp and", "--jsonl", "-"], "bad BPF"),
    ):
        res = subprocess.run(
            [sys.executable, str(RUN), "cli", "monitor", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert res.returncode == 2, res.stderr
        assert needle in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
