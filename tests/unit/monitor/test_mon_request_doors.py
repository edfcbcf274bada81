"""One SQL injection, one detection: the wire web rules skip requests to this node's HTTP
doors (the door publishes them and the event-level ``http_attacks`` rule judges them); the
live end-to-end proof is tests/integration/monitor/test_mon_sqli_once.py."""

from __future__ import annotations

from pathlib import Path

from mon_traffic import conn, detections, run

from phantomnet.monitor.config import MonitorConfig, with_doors
from phantomnet.runtime.build import request_doors
from phantomnet.settings import Settings, load_settings

C, S, OTHER = "10.0.0.7", "10.0.0.5", "10.0.0.9"
SQLI = b"GET /item.php?id=1%27%20UNION%20SELECT%20user,pass%20FROM%20users--+ HTTP/1.1\r\n\r\n"


def _sqli_to(host: str, port: int) -> list[tuple[float, bytes]]:
    return conn(C, host, 40000, port, 1.0, SQLI, b"HTTP/1.1 200 OK\r\n\r\n")


def test_the_runtime_names_the_http_doors(tmp_path: Path, clean_env: None) -> None:
    assert request_doors(Settings()) == (("0.0.0.0", 8080), ("0.0.0.0", 8443))
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/d"\n[detectors.http_attacks]\nenabled = false\n')
    assert request_doors(load_settings(path)) == ()  # nobody judges the events: wire keeps it
    path.write_text(f'data_dir = "{tmp_path}/d"\n[sensors.http]\nenabled = false\n')
    assert request_doors(load_settings(path)) == ()


def test_requests_to_a_door_on_any_address_are_left_to_the_event_rule(tmp_path: Path) -> None:
    config = with_doors(MonitorConfig(), {}, request_doors(Settings()))
    assert detections(run(tmp_path, _sqli_to(S, 8080), config), "http_sqli") == []
    other = detections(run(tmp_path, _sqli_to(S, 80), config), "http_sqli")
    assert len(other) == 1 and other[0].target and other[0].target.port == 80


def test_a_door_on_one_address_only_skips_that_address(tmp_path: Path) -> None:
    config = with_doors(MonitorConfig(), {}, ((S, 8080),))
    assert detections(run(tmp_path, _sqli_to(S, 8080), config), "http_sqli") == []
    found = detections(run(tmp_path, _sqli_to(OTHER, 8080), config), "http_sqli")
    assert len(found) == 1 and found[0].target and found[0].target.ip == OTHER


def test_a_monitor_on_its_own_judges_every_request(tmp_path: Path) -> None:
    assert len(detections(run(tmp_path, _sqli_to(S, 8080)), "http_sqli")) == 1
