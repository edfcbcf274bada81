"""Persistence for per-attacker overlays (SQLite) and file bodies (content-addressed blobs).

* ``fs.sqlite`` holds one row per changed path per owner (the attacker's source IP): the node
  as columns, small bodies inline, large ones by SHA-256, and whiteouts for deletions. No
  pickle, no code: plain columns that an operator can inspect with ``sqlite3``.
* ``blobs/`` holds bodies by SHA-256 hex name. Names are validated, so a blob path can never
  be steered by an attacker.

Writes are small and synchronous (one event loop; SQLite in WAL mode keeps them cheap).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sqlite3
from pathlib import Path

from phantomnet.deception.disk import DiskBudget
from phantomnet.deception.fakefs.node import FsError, Node

_SHA = re.compile(r"^[0-9a-f]{64}$")
INLINE_MAX = 64 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS node (
  owner TEXT NOT NULL, path TEXT NOT NULL, kind TEXT, mode INTEGER, uid INTEGER, gid INTEGER,
  mtime REAL, size INTEGER, content BLOB, blob TEXT, target TEXT, opaque INTEGER,
  whiteout INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (owner, path)
);
"""


class BlobStore:
    """Bodies stored under their SHA-256 name in one folder."""

    def __init__(self, folder: Path, budget: DiskBudget | None = None) -> None:
        self.folder = folder
        self.budget = budget

    def path_for(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.folder / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its SHA-256; ``FsError(ENOSPC)`` when the
        disk budget has no room for a new body."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha)
        if not path.exists():
            if self.budget is not None and not self.budget.reserve(len(data)):
                raise FsError(errno.ENOSPC, sha)
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{sha}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return sha

    def get(self, sha256: str, limit: int | None = None) -> bytes:
        try:
            with self.path_for(sha256).open("rb") as fh:
                return fh.read(-1 if limit is None else limit)
        except OSError:
            return b""

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()


class OverlayStore:
    """Per-owner overlay rows in SQLite."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def load(self, owner: str) -> dict[str, Node | None]:
        """Every overlay entry of ``owner`` (``None`` marks a whiteout). Only metadata is
        loaded: inline bodies stay in the database until read (:meth:`content`)."""
        rows = self.db.execute(
            "SELECT path, kind, mode, uid, gid, mtime, size, content IS NOT NULL, blob, target,"
            " opaque, whiteout FROM node WHERE owner = ?",
            (owner,),
        ).fetchall()
        out: dict[str, Node | None] = {}
        for path, kind, mode, uid, gid, mtime, size, inline, blob, target, opaque, wo in rows:
            if wo:
                out[path] = None
                continue
            out[path] = Node(
                kind=kind, mode=mode, uid=uid, gid=gid, mtime=mtime, size=size, blob=blob,
                target=target, opaque=bool(opaque), in_db=bool(inline),
            )  # fmt: skip
        return out

    def content(self, owner: str, path: str) -> bytes:
        """The inline body of ``path`` in ``owner``'s overlay."""
        row = self.db.execute(
            "SELECT content FROM node WHERE owner = ? AND path = ?", (owner, path)
        ).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    def put(self, owner: str, path: str, node: Node | None) -> None:
        if node is None:
            self.db.execute(
                "INSERT OR REPLACE INTO node (owner, path, whiteout) VALUES (?, ?, 1)",
                (owner, path),
            )
            return
        self.db.execute(
            "INSERT OR REPLACE INTO node (owner, path, kind, mode, uid, gid, mtime, size, content,"
            " blob, target, opaque, whiteout) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (
                owner,
                path,
                node.kind,
                node.mode,
                node.uid,
                node.gid,
                node.mtime,
                node.size,
                node.content,
                node.blob,
                node.target,
                int(node.opaque),
            ),
        )

    def delete(self, owner: str, path: str) -> None:
        """Forget an overlay row (the base node, if any, shows through again)."""
        self.db.execute("DELETE FROM node WHERE owner = ? AND path = ?", (owner, path))

    def owners(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT owner FROM node")]

    def close(self) -> None:
        self.db.close()
