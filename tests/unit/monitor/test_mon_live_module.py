"""One live-capture module: only ``monitor/live.py`` opens a ring and drives a pipeline on it.

``phantomnet monitor --interface`` (cli/monitor.py) and the runtime's monitor component
(monitor/component.py) both go through ``LiveCapture``; the live behaviour of each is in
tests/integration/monitor/test_mon_live_lo.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "phantomnet"
LIVE = SRC / "monitor" / "live.py"
CALLERS = (SRC / "cli" / "monitor.py", SRC / "monitor" / "component.py")


def _called(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_only_the_live_module_opens_a_ring() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path != LIVE and "AfPacketCapture" in _called(path)
    ]
    assert offenders == []
    assert "AfPacketCapture" in _called(LIVE)


def test_both_callers_use_it_and_drive_no_pipeline_of_their_own() -> None:
    for path in CALLERS:
        called = _called(path)
        assert "LiveCapture" in called, path
        assert not called & {"Pipeline", "AfPacketCapture", "batches", "process"}, path
