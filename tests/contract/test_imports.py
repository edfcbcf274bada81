"""Import rules of DESIGN.md §4, checked on the source tree with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "phantomnet"
EDGE = ("sensors", "monitor", "detectors", "scoring", "response", "deception")
#: ``resilience``: retry helpers, a leaf like ``errors`` (imports only errors and plugins)
ALLOWED_FOR_EDGE = {"events", "bus.base", "settings", "errors", "plugins", "resilience"}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("phantomnet"):
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
