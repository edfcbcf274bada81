"""Golden captures recorded in the netns lab with real tools (tests/netns/pnm_lab.py).

Each ``monitor/<scenario>.pcap`` comes with ``<scenario>.expected.jsonl``: the ground truth of
what the scenario did (rule, attacker, target), written by the recorder, not by the monitor.
Replaying the pcap must raise those detections and no rule the scenario did not exercise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from phantomnet.events import Detection
from phantomnet.monitor.config import MonitorConfig, with_doors
from phantomnet.monitor.replay import events_from_pcap
from phantomnet.runtime.build import door_ports
from phantomnet.settings import Settings

HERE = Path(__file__).parent / "monitor"
CASES = sorted(p.name.removesuffix(".pcap") for p in HERE.glob("*.pcap"))


def test_there_are_golden_captures() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", CASES)
def test_golden_capture(name: str) -> None:
    truth = [
        json.loads(line) for line in (HERE / f"{name}.expected.jsonl").read_text().splitlines()
    ]
    config = with_doors(MonitorConfig(), door_ports(Settings()))  # as the runtime builds it
    found = [e for e in events_from_pcap(HERE / f"{name}.pcap", config) if isinstance(e, Detection)]
    rules = {d.rule for d in found}
    assert rules <= {t["rule"] for t in truth}, f"unexpected: {rules}"
    for want in truth:
        hits = [d for d in found if d.rule == want["rule"]]
        assert hits, f"missing {want['rule']}"
        assert any(
            (d.src.ip if d.src else None) == want["src"]
            and (d.target.ip if d.target else None) == want["target"]
            for d in hits
        ), (want, [(d.src, d.target, d.summary) for d in hits])
        assert all(d.evidence and d.count >= 1 for d in hits)
