"""The repository needs nothing beside it: no file points at a folder outside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "data" / "vectors"
# Built from parts so this file does not match itself.
OUTSIDE = ("../" + "shared", "PHANTOMNET_" + "SHARED_DIR")


def tracked_text_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    paths = [ROOT / p for p in out.split("\0") if p]
    return [
        p for p in paths if p.is_file() and p.suffix not in (".pcap", ".pcapng", ".gz", ".trace")
    ]


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        offenders += [f"{path.relative_to(ROOT)}: {s}" for s in OUTSIDE if s in text]
    assert offenders == []


def test_every_vectors_folder_has_a_source_and_a_licence() -> None:
    sources = (VECTORS / "SOURCES.md").read_text()
    folders = [p for p in VECTORS.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert f"`{folder.name}/`" in sources, folder
        licences = [
            p for p in folder.iterdir() if p.name.upper().startswith(("LICENSE", "COPYING"))
        ]
        assert licences, f"{folder} has no licence file"


def test_architecture_citations_name_existing_sections() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    sections = set(re.findall(r"^## (\d+)\. ", doc, flags=re.M))
    cited: list[tuple[str, str]] = []
    for path in tracked_text_files():
        if path.suffix not in (".py", ".md"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "DESIGN" + ".md" not in text, f"{path}: cites a design file outside the repo"
        cited += [(str(path), n) for n in re.findall(r"architecture\.md §(\d+)", text)]
    assert cited
    assert [c for c in cited if c[1] not in sections] == []
