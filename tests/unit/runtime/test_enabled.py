"""``enabled`` from the environment is a string: it disables a plug-in as TOML's false does."""

from __future__ import annotations

import pytest

from phantomnet.errors import ConfigError
from phantomnet.runtime.build import enabled_detectors, enabled_sensors
from phantomnet.settings import load_settings


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "False"])
def test_an_env_false_disables_a_door_and_a_detector(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:  # fmt: skip
    monkeypatch.setenv("PHANTOMNET_SENSORS__SSH__ENABLED", value)
    monkeypatch.setenv("PHANTOMNET_DETECTORS__BRUTE_FORCE__ENABLED", value)
    settings = load_settings()
    assert "ssh" not in {cls.name for cls, _ in enabled_sensors(settings)}
    assert "brute_force" not in {d.name for d in enabled_detectors(settings)}


def test_an_env_true_keeps_it_and_junk_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOMNET_SENSORS__SSH__ENABLED", "true")
    assert "ssh" in {cls.name for cls, _ in enabled_sensors(load_settings())}
    monkeypatch.setenv("PHANTOMNET_SENSORS__SSH__ENABLED", "maybe")
    with pytest.raises(ConfigError, match=r"^sensors\.ssh\.enabled: not a boolean: 'maybe'$"):
        enabled_sensors(load_settings())
