"""The data directory is private: 0700, and every file PhantomNet creates in it 0600.

One mechanism at the composition root instead of modes sprinkled through the code: the CLI
entry sets the process umask to ``077`` before anything runs (so the SQLite database and its
``-wal``/``-shm``, recordings, uploads, mail, spool and journal files, honeytokens, fake-fs
overlays, host and TLS keys are all created owner-only), and :func:`secure_data_dir` creates
the data directory 0700 and tightens what an older version left readable, saying so in the
log. Symlinks are never followed or changed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from phantomnet.errors import ConfigError

log = logging.getLogger(__name__)

#: group and other get nothing
PRIVATE_UMASK = 0o077


def private_umask() -> int:
    """Set the process umask to 077; returns the previous one."""
    return os.umask(PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> bool:
    if not mode & 0o077:
        return False
    os.chmod(path, stat.S_IMODE(mode) & ~0o077 & 0o7777, follow_symlinks=False)
    return True


def secure_data_dir(data_dir: Path) -> int:
    """Create ``data_dir`` 0700 (or make it so) and remove group/other access from everything
    inside it; returns how many entries were tightened (logged once when any)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if stat.S_IMODE(data_dir.stat().st_mode) != 0o700:
            os.chmod(data_dir, 0o700)
            fixed = 1
        else:
            fixed = 0
    except OSError as exc:
        raise ConfigError(f"data_dir {data_dir}: cannot make it private: {exc}") from exc
    failed = 0
    for root, dirs, files in os.walk(data_dir, followlinks=False):
        for name in (*dirs, *files):
            path = Path(root, name)
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue  # removed meanwhile
            if stat.S_ISLNK(info.st_mode):
                continue
            try:
                fixed += _tighten(path, info.st_mode)
            except OSError:
                failed += 1  # not ours (another owner): reported below
    if failed:
        log.warning(
            "data dir %s: %d entries are readable by group/other and cannot be changed by this "
            "user; fix their owner or mode",
            data_dir,
            failed,
        )
    if fixed:
        log.warning(
            "data dir %s: removed group/other access from %d existing entries (PhantomNet's "
            "files are private: directories 0700, files 0600)",
            data_dir,
            fixed,
        )
    return fixed
