"""Detector settings are validated when they are loaded: a bad allowlist entry is refused
at start with one line naming the field (it used to pass and disable the detector)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import ConfigError
from phantomnet.runtime.build import build
from phantomnet.settings import load_settings

BAD = """
[detectors.brute_force]
allowlist = ["192.0.2.0/24", "10.0.0.0/33"]
"""


def test_build_refuses_a_bad_allowlist_cidr(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/data"\n{BAD}')
    settings = load_settings(path)
    with pytest.raises(ConfigError) as err:
        build(settings, MemoryBus(), role="server")
    assert str(err.value) == "detectors.brute_force.allowlist[1]: '10.0.0.0/33' is not a network"


def test_monitor_detector_allowlist_is_validated_too() -> None:
    from phantomnet.monitor.config import load_monitor_config

    with pytest.raises(ConfigError) as err:
        load_monitor_config({"detectors": {"weak_tls": {"allowlist": ["not-an-ip"]}}})
    assert str(err.value) == "monitor.detectors.weak_tls.allowlist[0]: 'not-an-ip' is not a network"
    ok = load_monitor_config({"detectors": {"weak_tls": {"allowlist": ["2001:db8::/32"]}}})
    assert ok.detectors.weak_tls.allowed("2001:db8::1")


def test_config_check_cli_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/data"\n{BAD}')
    done = subprocess.run(
        [sys.executable, "-m", "phantomnet", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert "detectors.brute_force.allowlist[1]: '10.0.0.0/33' is not a network" in text
