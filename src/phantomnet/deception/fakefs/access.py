"""Unix permission checks for a non-root user (``www-data`` behind a web shell, a plain user
over SSH): ``cat /etc/shadow`` or ``ls /root`` must fail with ``Permission denied``.

:class:`AccessView` wraps an :class:`FsView` (composition: the overlay and its byte count stay
in the one shared view) and checks the mode bits before the calls that read or change data.
Root bypasses everything, as on Linux.
"""

from __future__ import annotations

import errno
from typing import Any

from phantomnet.deception.fakefs.node import FsError, Node, vnorm, vparent
from phantomnet.deception.fakefs.view import FsView

R, W, X = 4, 2, 1


class AccessView:
    """An :class:`FsView` as seen by ``uid`` (with groups ``gids``)."""

    def __init__(self, view: FsView, uid: int, gid: int, gids: frozenset[int]) -> None:
        self._view = view
        self.uid = uid
        self.gid = gid
        self.gids = gids | {gid}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def allowed(self, node: Node, bit: int) -> bool:
        if self.uid == 0:
            return True
        if node.uid == self.uid:
            shift = 6
        elif node.gid in self.gids:
            shift = 3
        else:
            shift = 0
        return (node.mode >> shift) & bit == bit

    def _search(self, path: str, cwd: str) -> str:
        """Every directory above ``path`` must be searchable; returns the real path."""
        real, _ = self._view.resolve(vparent(vnorm(path, cwd)))
        probe = real
        while True:
            node = self._view.stat(probe)
            if not self.allowed(node, X):
                raise FsError(errno.EACCES, path)
            if probe == "/":
                return real
            probe = vparent(probe)

    def _need(self, path: str, cwd: str, bit: int) -> Node:
        self._search(path, cwd)
        node = self._view.stat(path, cwd)
        if not self.allowed(node, bit):
            raise FsError(errno.EACCES, path)
        return node

    def _need_parent(self, path: str, cwd: str) -> None:
        parent = self._search(path, cwd)
        if not self.allowed(self._view.stat(parent), W | X):
            raise FsError(errno.EACCES, path)

    def access(self, path: str, bit: int, cwd: str = "/") -> bool:
        """access(2): may this user read (4) / write (2) / search or run (1) ``path``?"""
        try:
            self._need(path, cwd, bit)
        except FsError:
            return False
        return True

    def stat(self, path: str, cwd: str = "/") -> Node:
        self._search(path, cwd)
        return self._view.stat(path, cwd)

    def lstat(self, path: str, cwd: str = "/") -> Node:
        self._search(path, cwd)
        return self._view.lstat(path, cwd)

    def read(self, path: str, cwd: str = "/", limit: int | None = None) -> bytes:
        self._need(path, cwd, R)
        return self._view.read(path, cwd, limit)

    def read_text(self, path: str, cwd: str = "/") -> str:
        return self.read(path, cwd).decode("utf-8", "replace")

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        self._need(path, cwd, R)
        return self._view.listdir(path, cwd)

    def write(self, path: str, data: bytes, cwd: str = "/", **kwargs: Any) -> str:
        if self._view.exists(path, cwd):
            self._need(path, cwd, W)
        else:
            self._need_parent(path, cwd)
        kwargs.setdefault("uid", self.uid)
        kwargs.setdefault("gid", self.gid)
        return self._view.write(path, data, cwd, **kwargs)

    def add_blob(self, path: str, sha256: str, size: int, cwd: str = "/", **kwargs: Any) -> str:
        self._need_parent(path, cwd)
        kwargs.setdefault("uid", self.uid)
        kwargs.setdefault("gid", self.gid)
        return self._view.add_blob(path, sha256, size, cwd, **kwargs)

    def mkdir(self, path: str, cwd: str = "/", **kwargs: Any) -> None:
        if not self._view.exists(path, cwd):
            self._need_parent(path, cwd)
        kwargs.setdefault("uid", self.uid)
        kwargs.setdefault("gid", self.gid)
        self._view.mkdir(path, cwd, **kwargs)

    def remove(self, path: str, cwd: str = "/", **kwargs: Any) -> None:
        self._need_parent(path, cwd)
        self._view.remove(path, cwd, **kwargs)

    def touch(self, path: str, cwd: str = "/") -> None:
        if self._view.exists(path, cwd):
            self._need(path, cwd, W)
            self._view.touch(path, cwd)
            return
        self._need_parent(path, cwd)
        self._view.write(path, b"", cwd, uid=self.uid, gid=self.gid)

    def _owner_only(self, path: str, cwd: str) -> None:
        if self.uid != 0 and self._view.stat(path, cwd).uid != self.uid:
            raise FsError(errno.EPERM, path)

    def chmod(self, path: str, mode: int, cwd: str = "/") -> None:
        self._owner_only(path, cwd)
        self._view.chmod(path, mode, cwd)

    def chown(self, path: str, uid: int | None, gid: int | None, cwd: str = "/") -> None:
        if self.uid != 0:
            raise FsError(errno.EPERM, path)
        self._view.chown(path, uid, gid, cwd)

    def copy(self, src: str, dst: str, node: Node | None = None) -> None:
        self._need(src, "/", R)
        if not self._view.exists(dst):
            self._need_parent(dst, "/")
        self._view.copy(src, dst, node)

    def rename(self, src: str, dst: str, cwd: str = "/") -> str:
        self._need_parent(src, cwd)
        self._need_parent(dst, cwd)
        return self._view.rename(src, dst, cwd)

    def symlink(self, target: str, path: str, cwd: str = "/") -> None:
        self._need_parent(path, cwd)
        self._view.symlink(target, path, cwd)
