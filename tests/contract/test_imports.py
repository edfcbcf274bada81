"""The import contracts of docs/architecture.md section 7.

Layers, independences and forbidden imports live in ``.importlinter`` and are checked by
``lint-imports`` (PyPI import-linter) on the real import graph. ``lint-imports`` only sees
``import`` statements, so an ``ast`` check here bans imports by string (``importlib.import_module``
or ``__import__`` with a name) everywhere except ``plugins.py``, the one entry-point loader.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "phantomnet"
# Each exception names the reason it is still here.
STRING_IMPORT_ALLOWED = {
    SRC / "plugins.py",  # loads enabled plug-ins from their entry points
}
EDGE = ("sensors", "monitor", "detection", "scoring", "response", "deception")
#: ``resilience``: retry helpers, a leaf like ``errors`` (imports only errors and plugins)
ALLOWED_FOR_EDGE = {
    "events",
    "bus.base",
    "settings",
    "errors",
    "plugins",
    "analyzers",
    "resilience",
}


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


def string_imports(tree: ast.AST) -> list[int]:
    """Lines calling ``import_module(...)``/``__import__(...)`` (any spelling of the callee)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):
            lines.append(node.lineno)
    return lines


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_events_import_nothing_else_from_phantomnet() -> None:
    for path in (SRC / "events").rglob("*.py"):
        for mod in imports_of(path):
            assert mod.startswith("phantomnet.events"), f"{path}: imports {mod}"


def test_no_string_imports_outside_plugins() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path not in STRING_IMPORT_ALLOWED
        for line in string_imports(ast.parse(path.read_text()))
    ]
    assert found == []


def test_the_string_import_check_sees_each_spelling() -> None:
    code = "import importlib\nimportlib.import_module('x')\n__import__('y')\nimport_module('z')\n"
    assert string_imports(ast.parse(code)) == [2, 3, 4]


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
