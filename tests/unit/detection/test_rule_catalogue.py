"""The rule catalogue is the single list of rule names: docs/detections.md agrees with it
(both directions), every built-in detector reports only catalogue rules (and every rule has
a detector), and the response settings' auto-block list is checked against it at start."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from phantomnet import plugins
from phantomnet.detection import catalogue
from phantomnet.detection.base import Detector
from phantomnet.detection.common import Reporter
from phantomnet.detection.config import DetectorConfig, DetectorsConfig
from phantomnet.detection.packet.registry import Detectors
from phantomnet.errors import ConfigError, PluginError
from phantomnet.events import Event
from phantomnet.response.config import response_config
from phantomnet.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "detections.md"


def doc_rules(text: str) -> list[str]:
    return re.findall(r"^\| `([a-z0-9_]+)` \|", text, re.M)


def test_docs_list_exactly_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = [r.name for r in (*catalogue.RULES, *catalogue.RESERVED)]
    assert doc_rules(text) == names, "docs/detections.md and the catalogue list other rules"
    assert text == catalogue.render_markdown(), (
        "docs/detections.md is stale: python -m phantomnet.detection.catalogue > docs/detections.md"
    )


def event_level_rules() -> set[str]:
    found: set[str] = set()
    for name in plugins.available(plugins.DETECTORS):
        cls = plugins.load_plugin(plugins.DETECTORS, name, Detector)
        found |= set(cls.reports)
    return found


def packet_level_rules() -> set[str]:
    found: set[str] = set()
    for det in Detectors(DetectorsConfig(), "n").all:
        for value in vars(det).values():
            reporters = value.values() if isinstance(value, dict) else [value]
            found |= {r.rule for r in reporters if isinstance(r, Reporter)}
    return found


def test_every_detector_reports_catalogue_rules_and_every_rule_has_one() -> None:
    event, packet = event_level_rules(), packet_level_rules()
    for r in catalogue.RULES:
        assert (r.name in event) == ("event" in r.levels), r.name
        assert (r.name in packet) == ("packet" in r.levels), r.name
    assert event | packet == {r.name for r in catalogue.RULES}


def test_a_detector_with_an_unknown_rule_is_refused() -> None:
    class Rogue(Detector):
        name: ClassVar[str] = "rogue"
        reports: ClassVar[tuple[str, ...]] = ("made_up",)

        def observe(self, event: Event) -> list[Any]:
            return []

    with pytest.raises(PluginError, match="made_up"):
        Rogue(DetectorConfig(), "n")
    with pytest.raises(PluginError, match="made_up"):
        Reporter("n", "made_up", "low")


def test_auto_block_rules_are_checked_against_the_catalogue() -> None:
    ok = response_config(Settings(response={"auto": {"detections": ["ftp_traversal"]}}))
    assert ok.auto.detections == ("ftp_traversal",)
    with pytest.raises(ConfigError) as err:
        response_config(Settings(response={"auto": {"detections": ["brute_force", "bruteforce"]}}))
    assert str(err.value).startswith(
        "response.auto.detections[1]: unknown detection rule 'bruteforce' (known: "
    )


def test_config_check_refuses_an_unknown_auto_block_rule(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(f'data_dir = "{tmp_path}/data"\n[response.auto]\ndetections = ["sqli"]\n')
    done = subprocess.run(
        [sys.executable, "-m", "phantomnet", "config", "check", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "response.auto.detections[0]: unknown detection rule 'sqli'" in done.stdout + done.stderr
