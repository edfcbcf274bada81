"""Nodes of the fake filesystem, its errors and virtual-path arithmetic.

Paths here are *virtual*: plain POSIX strings that are normalised with :func:`vnorm` and never
touch the real filesystem. Nothing in ``fakefs`` ever joins an attacker path onto a real one;
file bodies that live on disk are addressed only by their SHA-256 (see ``store.py``).
"""

from __future__ import annotations

import errno
import posixpath
from dataclasses import dataclass, replace
from typing import Literal

from phantomnet.errors import PhantomNetError

Kind = Literal["dir", "file", "link", "chr"]

S_IFMT = {"dir": 0o040000, "file": 0o100000, "link": 0o120000, "chr": 0o020000}

#: strerror texts as glibc prints them (what coreutils shows after the colon).
STRERROR = {
    errno.ENOENT: "No such file or directory",
    errno.ENOTDIR: "Not a directory",
    errno.EISDIR: "Is a directory",
    errno.EEXIST: "File exists",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Operation not permitted",
    errno.ENOTEMPTY: "Directory not empty",
    errno.EROFS: "Read-only file system",
    errno.ENOSPC: "No space left on device",
    errno.ELOOP: "Too many levels of symbolic links",
    errno.EINVAL: "Invalid argument",
    errno.EFBIG: "File too large",
    errno.EBUSY: "Device or resource busy",
}


class FsError(PhantomNetError):
    """A fake-filesystem error carrying an errno (the shell formats it like coreutils)."""

    def __init__(self, code: int, path: str) -> None:
        super().__init__(f"{path}: {STRERROR.get(code, 'Input/output error')}")
        self.code = code
        self.path = path

    @property
    def strerror(self) -> str:
        return STRERROR.get(self.code, "Input/output error")


@dataclass(frozen=True, slots=True)
class Node:
    """One inode. ``content`` is inline bytes; ``blob`` a SHA-256 in the blob store; ``gen`` the
    name of a generator the host evaluates on read (``/proc`` files, binaries)."""

    kind: Kind
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: float = 0.0
    size: int = 0
    content: bytes | None = None
    blob: str | None = None
    gen: str | None = None
    target: str | None = None
    opaque: bool = False
    #: the inline body lives in the overlay database, not in memory (read it from the store)
    in_db: bool = False

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def st_mode(self) -> int:
        return S_IFMT[self.kind] | (self.mode & 0o7777)

    def with_(self, **changes: object) -> Node:
        return replace(self, **changes)  # type: ignore[arg-type]


def vnorm(path: str, cwd: str = "/") -> str:
    """Absolute, normalised virtual path (``..`` never climbs above ``/``)."""
    if not path.startswith("/"):
        path = posixpath.join(cwd or "/", path)
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def vparent(path: str) -> str:
    return posixpath.dirname(path) or "/"


def vname(path: str) -> str:
    return posixpath.basename(path)


def mode_string(node: Node) -> str:
    """``ls -l`` style permissions, e.g. ``drwxr-xr-x``."""
    kind_char = {"dir": "d", "file": "-", "link": "l", "chr": "c"}[node.kind]
    bits = ""
    for shift in (6, 3, 0):
        triple = (node.mode >> shift) & 7
        bits += ("r" if triple & 4 else "-") + ("w" if triple & 2 else "-")
        bits += "x" if triple & 1 else "-"
    if node.mode & 0o1000:
        bits = bits[:8] + ("t" if node.mode & 1 else "T")
    if node.mode & 0o4000:
        bits = bits[:2] + ("s" if node.mode & 0o100 else "S") + bits[3:]
    return kind_char + bits
