"""Import rules of DESIGN.md §4, checked on the source tree with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "phantomnet"
EDGE = ("sensors", "monitor", "detection", "scoring", "response", "deception")
ALLOWED_FOR_EDGE = {"events", "bus.base", "settings", "errors", "plugins", "analyzers"}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("phantomnet")
        ):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("phantomnet"))
    return found


def test_events_import_nothing_else_from_phantomnet() -> None:
    for path in (SRC / "events").rglob("*.py"):
        for mod in imports_of(path):
            assert mod.startswith("phantomnet.events"), f"{path}: imports {mod}"


def test_edge_packages_do_not_import_storage_or_api() -> None:
    for package in EDGE:
        for path in (SRC / package).rglob("*.py"):
            for mod in imports_of(path):
                rest = mod.removeprefix("phantomnet.")
                own = rest.split(".")[0] in EDGE
                allowed = any(rest == a or rest.startswith(a + ".") for a in ALLOWED_FOR_EDGE)
                assert own or allowed, f"{path}: imports {mod}"


def test_analyzers_are_a_leaf() -> None:
    """Parsers, fingerprints and the web classifier import only events and errors."""
    for path in (SRC / "analyzers").rglob("*.py"):
        for mod in imports_of(path):
            rest = mod.removeprefix("phantomnet.")
            assert rest.split(".")[0] in ("analyzers", "events", "errors"), f"{path}: imports {mod}"


def test_sensors_and_monitor_meet_only_in_analyzers() -> None:
    pairs = (("sensors", "monitor"), ("monitor", "sensors"), ("detection", "sensors"))
    for package, banned in pairs:
        for path in (SRC / package).rglob("*.py"):
            for mod in imports_of(path):
                assert not mod.startswith(f"phantomnet.{banned}"), f"{path}: imports {mod}"


def test_no_string_imports_of_phantomnet_modules() -> None:
    """``importlib.import_module("phantomnet...")`` hides a cross-layer import."""
    for package in ("sensors", "monitor", "detection", "analyzers"):
        for path in (SRC / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                    arg = node.args[0] if node.args else None
                    assert not (
                        isinstance(arg, ast.Constant) and str(arg.value).startswith("phantomnet")
                    ), f"{path}: string import of {arg.value}"


#: The monitor types packet-level detectors consume (flow table, decoded batch, packet meta).
DETECTION_MAY_USE_FROM_MONITOR = {
    "monitor.addr",
    "monitor.decode",
    "monitor.dispatch",
    "monitor.flowevents",
    "monitor.flowkey",
    "monitor.flows",
}


def test_detection_uses_only_the_monitor_types_it_consumes() -> None:
    for path in (SRC / "detection").rglob("*.py"):
        for mod in imports_of(path):
            rest = mod.removeprefix("phantomnet.")
            if rest.startswith("monitor"):
                assert "packet" in path.parts, f"{path}: only detection.packet reads monitor types"
                assert rest in DETECTION_MAY_USE_FROM_MONITOR, f"{path}: imports {mod}"
