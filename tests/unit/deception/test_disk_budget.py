"""The disk budget counts, at start, what every budgeted folder already holds (issue 11)."""

from __future__ import annotations

from pathlib import Path

from phantomnet.deception.disk import BUDGETED_DIRS, DiskBudget
from phantomnet.deception.fakefs import FsLimits
from phantomnet.deception.host import FakeHost


def _fill(root: Path) -> int:
    """Mail, attachments, uploads and recordings as earlier runs leave them (nested)."""
    files = {
        "smtp/messages/a.eml": 3000,
        "smtp/attachments/" + "b" * 64: 5000,
        "uploads/" + "c" * 64: 700,
        "recordings/s1.cast": 11,
    }
    for rel, size in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    (root / "smtp" / "link").symlink_to(root / "smtp" / "messages" / "a.eml")
    (root / "elsewhere.bin").write_bytes(b"y" * 99_999)  # not a budgeted folder
    return sum(files.values())


def test_scan_counts_nested_folders_and_skips_links(tmp_path: Path) -> None:
    total = _fill(tmp_path)
    budget = DiskBudget.scan(10**6, *(tmp_path / d for d in BUDGETED_DIRS))
    assert budget.used == total


def test_fake_host_counts_mail_stored_before_start(tmp_path: Path) -> None:
    total = _fill(tmp_path)
    host = FakeHost.load(tmp_path, limits=FsLimits(max_disk_bytes=total + 100))
    assert host.disk.used == total
    assert host.disk.room() == 100
    assert not host.disk.reserve(101)
    assert host.disk.reserve(100)


def test_a_missing_or_unreadable_folder_counts_nothing(tmp_path: Path) -> None:
    assert DiskBudget.scan(10, tmp_path / "nope").used == 0
