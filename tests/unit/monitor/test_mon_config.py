"""The [monitor] section and the runtime factory."""

from __future__ import annotations

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import ConfigError
from phantomnet.monitor.component import MonitorComponent, build_monitor
from phantomnet.monitor.config import load_monitor_config
from phantomnet.settings import Settings


def test_no_interface_means_no_monitor() -> None:
    assert build_monitor(Settings(), MemoryBus()) == []


def test_interface_gives_a_component() -> None:
    settings = Settings(
        monitor={
            "interface": "eth9",
            "detectors": {"syn_flood": {"threshold": 50, "allowlist": ["10.0.0.0/8"]}},
        }
    )
    (comp,) = build_monitor(settings, MemoryBus())
    assert isinstance(comp, MonitorComponent)
    assert comp.config.detectors.syn_flood.threshold == 50
    assert comp.config.detectors.syn_flood.allowed("10.1.2.3")
    assert not comp.config.detectors.syn_flood.allowed("192.0.2.1")
    assert comp.describe()["interface"] == "eth9"


@pytest.mark.parametrize(
    "section",
    [
        {"flows": {"max_flows": 10}},
        {"detectors": {"port_scan": {"allowlist": ["not-an-ip"]}}},
        {"unknown": 1},
        {"ja4_alpn_mode": "other"},
    ],
)
def test_bad_sections_are_one_line_config_errors(section: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=r"^monitor\."):
        load_monitor_config(section)
