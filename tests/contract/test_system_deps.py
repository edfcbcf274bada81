"""scripts/install-system-deps.sh: the one place that lists and installs the test tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "install-system-deps.sh"


def run(path: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600
    )


def test_without_apt_it_names_what_is_missing_in_one_line(tmp_path: Path) -> None:
    # A machine with bash and coreutils only: no dpkg, no apt-get, none of the tools.
    for tool in ("bash", "id", "grep"):
        found = shutil.which(tool)
        assert found
        (tmp_path / tool).symlink_to(found)
    done = run(str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    assert "not an apt-based system" in lines[0]
    # (tools in /usr/sbin, such as nft and sshd, are found there even with this PATH)
    for package in ("nmap", "sshpass", "lftp", "swaks", "curl", "redis-tools"):
        assert f" {package} " in lines[0] or lines[0].endswith(f" {package}"), package
    assert "CI=true" in lines[0]


def test_every_make_test_and_ci_path_uses_the_script() -> None:
    root = SCRIPT.parents[1]
    assert "scripts/install-system-deps.sh" in (root / ".ci" / "run").read_text()
    makefile = (root / "Makefile").read_text()
    assert "scripts/install-system-deps.sh" in makefile
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "system-deps" in test_line and "lint" in test_line
    assert "apt-get" not in (root / ".ci" / "run").read_text()  # one list, in the script
