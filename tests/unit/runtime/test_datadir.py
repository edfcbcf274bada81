"""secure_data_dir: 0700 data dir, group/other access removed inside, symlinks left alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from phantomnet.errors import ConfigError
from phantomnet.runtime.datadir import private_umask, secure_data_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_creates_private_and_tightens_existing(tmp_path: Path) -> None:
    fresh = tmp_path / "a" / "data"
    assert secure_data_dir(fresh) == 0 and mode(fresh) == 0o700

    old = tmp_path / "old"
    (old / "sub").mkdir(parents=True)
    (old / "sub" / "f").write_text("x")
    (old / "run.sh").write_text("x")
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    (old / "link").symlink_to(outside)
    for path, m in ((old, 0o755), (old / "sub", 0o775), (old / "sub" / "f", 0o644),
                    (old / "run.sh", 0o750), (outside, 0o644)):  # fmt: skip
        os.chmod(path, m)
    assert secure_data_dir(old) == 4
    assert (mode(old), mode(old / "sub"), mode(old / "sub" / "f")) == (0o700, 0o700, 0o600)
    assert mode(old / "run.sh") == 0o700  # owner bits kept
    assert mode(outside) == 0o644  # the symlink's target is not ours to change
    assert secure_data_dir(old) == 0


def test_not_a_directory_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="data_dir"):
        secure_data_dir(tmp_path / "file")


def test_umask_makes_new_files_private(tmp_path: Path) -> None:
    before = private_umask()
    try:
        (tmp_path / "new").write_text("x")
        (tmp_path / "dir").mkdir()
    finally:
        os.umask(before)
    assert mode(tmp_path / "new") == 0o600 and mode(tmp_path / "dir") == 0o700
