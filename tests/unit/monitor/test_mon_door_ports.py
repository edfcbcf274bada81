"""The wire brute_force learns the doors' ports from ``[sensors.*]``: an SSH door moved to
port 12222 is still watched (the port list used to be fixed: 22, 2222, 21, 2121...)."""

from __future__ import annotations

from pathlib import Path

from mon_traffic import conn, detections, run

from phantomnet.bus.memory import MemoryBus
from phantomnet.monitor.component import MonitorComponent
from phantomnet.monitor.config import load_monitor_config
from phantomnet.runtime.build import build, door_ports
from phantomnet.runtime.parts import PARTS
from phantomnet.settings import load_settings

C, S = "10.0.0.7", "10.0.0.5"


def ssh_logins(port: int, n: int = 12) -> list[tuple[float, bytes]]:
    pk = []
    for i in range(n):
        pk += conn(C, S, 40000 + i, port, 1.0 + i, b"SSH-2.0-libssh\r\n", b"SSH-2.0-OpenSSH\r\n")
    return pk


def test_ssh_door_on_12222_is_watched_by_the_monitor(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        "[sensors.ssh]\nport = 12222\n"
        "[sensors.ftp]\nport = 10021\n"
        '[monitor]\ninterface = "lo"\n'
    )
    settings = load_settings(path)
    assert door_ports(settings)[12222] == "ssh"
    runtime = build(settings, MemoryBus(), role="sensor", extra=PARTS)
    [monitor] = [c for c in runtime.components if isinstance(c, MonitorComponent)]
    ports = monitor.config.detectors.brute_force.ports
    assert ports[12222] == "ssh" and ports[10021] == "ftp" and ports[22] == "ssh"
    assert 8080 not in ports  # the HTTP door is judged per request, not per connection

    found = detections(run(tmp_path, ssh_logins(12222), monitor.config), "brute_force")
    assert found and found[0].protocol == "ssh" and found[0].src and found[0].src.ip == C
    assert found[0].dst is not None and found[0].dst.port == 12222

    # Without the doors (the monitor's settings alone), port 12222 is not a login service.
    alone = load_monitor_config(settings.monitor)
    assert detections(run(tmp_path, ssh_logins(12222), alone), "brute_force") == []


def test_monitor_cli_replay_learns_the_door_ports(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from phantomnet.monitor import craft

    pcap = tmp_path / "ssh12222.pcap"
    craft.write_pcap(pcap, sorted(ssh_logins(12222), key=lambda p: p[0]))
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/data"\n[sensors.ssh]\nport = 12222\n')
    done = subprocess.run(
        [sys.executable, "-m", "phantomnet", "monitor", "--pcap", str(pcap), "--jsonl", "-",
         "--config", str(path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rules = [json.loads(line)["rule"] for line in done.stdout.splitlines() if line.strip()]
    assert "brute_force" in rules
