"""The wire brute_force learns which protocols are logins, and on which ports, from the
sensors: each door class says ``wire_logins`` and its protocol's ``standard_ports``, each
door's settings say where it listens. detection/ and monitor/ keep no list of their own."""

from __future__ import annotations

import ast
from pathlib import Path

from mon_traffic import conn, detections, run

from phantomnet.detection.config import WireBruteForceConfig
from phantomnet.monitor.config import MonitorConfig, with_doors
from phantomnet.runtime.build import door_ports
from phantomnet.settings import Settings, load_settings

SRC = Path(__file__).resolve().parents[3] / "src" / "phantomnet"
C, S = "10.0.0.7", "10.0.0.5"


def _port_tables(path: Path) -> list[str]:
    """Dict literals mapping port numbers to names (``{22: "ssh", ...}``) in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict) and len(node.keys) >= 2:
            keys_are_ports = all(
                isinstance(k, ast.Constant) and isinstance(k.value, int) and 0 < k.value < 65536
                for k in node.keys
            )
            values_are_names = all(
                isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values
            )
            if keys_are_ports and values_are_names:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_detection_and_monitor_keep_no_port_list() -> None:
    tables = [t for pkg in ("detection", "monitor") for p in (SRC / pkg).rglob("*.py")
              for t in _port_tables(p)]  # fmt: skip
    assert tables == []
    assert WireBruteForceConfig().ports == {}


def test_the_defaults_come_from_the_doors(clean_env: None) -> None:
    ports = door_ports(Settings())
    assert ports == {
        22: "ssh", 2222: "ssh",
        21: "ftp", 2121: "ftp",
        25: "smtp", 465: "smtp", 587: "smtp", 2525: "smtp",
        23: "telnet", 2323: "telnet",
        3306: "mysql", 3307: "mysql",
        5432: "postgresql", 5433: "postgresql",
    }  # fmt: skip
    assert 8080 not in ports and 8443 not in ports  # HTTP: judged per request


def test_a_moved_or_disabled_door(tmp_path: Path, clean_env: None) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n'
        "[sensors.ssh]\nenabled = false\n"
        "[sensors.ftp]\nport = 10021\n"
    )
    ports = door_ports(load_settings(path))
    assert ports[10021] == "ftp" and 2121 not in ports  # the FTP door moved
    assert ports[22] == "ssh" and 2222 not in ports  # SSH on other hosts is still watched


def test_connections_to_a_moved_ftp_door_are_brute_force(tmp_path: Path, clean_env: None) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/data"\n[sensors.ftp]\nport = 10021\n')
    config = with_doors(MonitorConfig(), door_ports(load_settings(path)))
    pk = []
    for i in range(10):  # ten short connections, as hydra opens them
        pk += conn(C, S, 41000 + i, 10021, 1.0 + i, b"USER a\r\n", b"220 ready\r\n")
    found = detections(run(tmp_path, pk, config), "brute_force")
    assert found and found[0].protocol == "ftp" and found[0].dst and found[0].dst.port == 10021
    assert "connections" in found[0].summary
    # The monitor's settings alone know no login port: nothing is counted.
    assert detections(run(tmp_path, pk, MonitorConfig()), "brute_force") == []
