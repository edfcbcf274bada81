"""The detections that ask for verification name what to ask about (``subject``): replayed
from the golden captures recorded with real tools in the netns lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.events import Detection
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.replay import events_from_pcap
from phantomnet.verify.target import check_name

GOLDEN = Path(__file__).parents[2] / "golden" / "monitor"


@pytest.mark.parametrize(
    ("capture", "rule"), [("dns_spoof", "dns_spoof"), ("ssl_strip_creds", "ssl_strip")]
)
def test_the_detection_names_a_checkable_subject(capture: str, rule: str) -> None:
    config = MonitorConfig()
    found = [
        e
        for e in events_from_pcap(GOLDEN / f"{capture}.pcap", config)
        if isinstance(e, Detection) and e.rule == rule
    ]
    assert found
    for detection in found:
        assert detection.subject, detection.summary
        assert check_name(detection.subject) == detection.subject.lower()
