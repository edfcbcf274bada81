"""One attacker's view of the fake filesystem: the shared base tree plus a copy-on-write overlay.

This is the API every door uses (SSH shell, SFTP/SCP, FTP, HTTP uploads): ``read``, ``write``,
``listdir``, ``stat``/``lstat``, ``mkdir``, ``remove``, ``rename``, ``chmod``, ``symlink``,
``add_blob`` (an uploaded file by SHA-256). Errors are :class:`FsError` with an errno.

Confinement: every path is normalised with :func:`vnorm` into a virtual path; the only real
files ever touched are the overlay database and blobs named by SHA-256. Caps: per file and per
owner bytes, and number of overlay entries, so an attacker cannot fill the disk.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from phantomnet.deception.fakefs.node import FsError, Node, vname, vnorm, vparent
from phantomnet.deception.fakefs.store import INLINE_MAX, BlobStore, OverlayStore

MAX_LINKS = 40
READONLY_ROOTS = ("/proc", "/sys")


@dataclass
class BaseTree:
    """The shared, read-only image (built from the persona at start, never persisted)."""

    nodes: dict[str, Node]
    children: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.children:
            for path in self.nodes:
                if path != "/":
                    self.children.setdefault(vparent(path), set()).add(vname(path))


@dataclass(frozen=True)
class FsLimits:
    max_file_bytes: int = 8 * 1024 * 1024
    max_owner_bytes: int = 64 * 1024 * 1024
    max_entries: int = 20_000
    #: everything attackers make the platform write: uploads, recordings, mail
    max_disk_bytes: int = 2 * 1024 * 1024 * 1024


class FsView:
    """Copy-on-write view for one owner (an attacker's source IP)."""

    def __init__(
        self,
        owner: str,
        base: BaseTree,
        store: OverlayStore,
        blobs: BlobStore,
        generate: Callable[[str, FsView], bytes],
        limits: FsLimits,
    ) -> None:
        self.owner = owner
        self.base = base
        self.store = store
        self.blobs = blobs
        self.generate = generate
        self.limits = limits
        self.overlay = store.load(owner)
        self.used = sum(n.size for n in self.overlay.values() if n is not None and n.kind == "file")

    # -- lookup --------------------------------------------------------------------------
    def _get(self, path: str) -> Node | None:
        """The node at a resolved path (no link following)."""
        if path in self.overlay:
            return self.overlay[path]
        probe = path
        while probe != "/":
            probe = vparent(probe)
            if probe in self.overlay:
                node = self.overlay[probe]
                if node is None or node.opaque:
                    return None
                break
        return self.base.nodes.get(path)

    def resolve(self, path: str, cwd: str = "/", follow: bool = True) -> tuple[str, Node | None]:
        """Follow symlinks in ``path``; returns the real virtual path and its node (or None)."""
        todo = [p for p in vnorm(path, cwd).split("/") if p]
        cur = "/"
        hops = 0
        while todo:
            part = todo.pop(0)
            nxt = vnorm(part, cur)
            node = self._get(nxt)
            if node is not None and node.kind == "link" and (todo or follow):
                hops += 1
                if hops > MAX_LINKS:
                    raise FsError(errno.ELOOP, path)
                target = vnorm(node.target or "/", cur)
                todo = [p for p in target.split("/") if p] + todo
                cur = "/"
                continue
            if todo and (node is None or not node.is_dir):
                raise FsError(errno.ENOENT if node is None else errno.ENOTDIR, path)
            cur = nxt
        return cur, self._get(cur)

    def stat(self, path: str, cwd: str = "/") -> Node:
        _, node = self.resolve(path, cwd)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if node.gen is not None and node.kind == "file" and node.size == 0:
            return node.with_(size=len(self.generate(node.gen, self)))
        return node

    def lstat(self, path: str, cwd: str = "/") -> Node:
        _, node = self.resolve(path, cwd, follow=False)
        if node is None:
            raise FsError(errno.ENOENT, path)
        return node

    def access(self, path: str, bit: int, cwd: str = "/") -> bool:
        """access(2) for root: everything that exists (see ``AccessView`` for other users)."""
        return self.exists(path, cwd)

    def exists(self, path: str, cwd: str = "/") -> bool:
        try:
            return self.resolve(path, cwd)[1] is not None
        except FsError:
            return False

    def is_dir(self, path: str, cwd: str = "/") -> bool:
        try:
            node = self.resolve(path, cwd)[1]
        except FsError:
            return False
        return node is not None and node.is_dir

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        real, node = self.resolve(path, cwd)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if not node.is_dir:
            raise FsError(errno.ENOTDIR, path)
        names: set[str] = set()
        hidden = node.opaque or self._base_hidden(real)
        if not hidden:
            names |= self.base.children.get(real, set())
        prefix = real.rstrip("/") + "/"
        for p, n in self.overlay.items():
            if p.startswith(prefix) and "/" not in p[len(prefix) :]:
                if n is None:
                    names.discard(p[len(prefix) :])
                else:
                    names.add(p[len(prefix) :])
        return sorted(names)

    def _base_hidden(self, path: str) -> bool:
        probe = path
        while True:
            if probe in self.overlay:
                n = self.overlay[probe]
                if n is None or n.opaque:
                    return True
            if probe == "/":
                return False
            probe = vparent(probe)

    # -- reading -------------------------------------------------------------------------
    def read(self, path: str, cwd: str = "/", limit: int | None = None) -> bytes:
        real, node = self.resolve(path, cwd)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if node.is_dir:
            raise FsError(errno.EISDIR, path)
        if node.in_db:
            data = self.store.content(self.owner, real)
        elif node.gen is not None:
            data = self.generate(node.gen, self)
        elif node.blob is not None:
            data = self.blobs.get(node.blob, limit)
        else:
            data = node.content or b""
        return data if limit is None else data[:limit]

    def read_text(self, path: str, cwd: str = "/") -> str:
        return self.read(path, cwd).decode("utf-8", "replace")

    # -- writing -------------------------------------------------------------------------
    def _put(self, path: str, node: Node | None) -> None:
        if path not in self.overlay and len(self.overlay) >= self.limits.max_entries:
            raise FsError(errno.ENOSPC, path)
        old = self.overlay.get(path)
        if old is not None and old.kind == "file":
            self.used -= old.size
        if node is not None and node.kind == "file":
            self.used += node.size
        self.store.put(self.owner, path, node)
        if node is not None and node.content is not None:
            node = node.with_(content=None, in_db=True)  # keep only metadata in memory
        self.overlay[path] = node

    def _writable_parent(self, path: str, cwd: str) -> str:
        real = vnorm(path, cwd)
        if real == "/" or real.startswith(tuple(p + "/" for p in READONLY_ROOTS)):
            raise FsError(errno.ENOENT if real != "/" else errno.EISDIR, path)
        parent, pnode = self.resolve(vparent(real))
        if pnode is None:
            raise FsError(errno.ENOENT, path)
        if not pnode.is_dir:
            raise FsError(errno.ENOTDIR, path)
        return parent.rstrip("/") + "/" + vname(real)

    def _target(self, path: str, cwd: str) -> tuple[str, Node | None]:
        """Where a write to ``path`` lands (following a final symlink, like open(2))."""
        try:
            real, node = self.resolve(path, cwd)
        except FsError:
            raise
        if node is None:
            real = self._writable_parent(real, "/")
        elif real.startswith(tuple(p + "/" for p in READONLY_ROOTS)):
            raise FsError(errno.EACCES, path)
        return real, node

    def write(
        self,
        path: str,
        data: bytes,
        cwd: str = "/",
        append: bool = False,
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
    ) -> str:
        """Create or replace (or append to) a file; returns its real virtual path."""
        real, node = self._target(path, cwd)
        if node is not None and node.is_dir:
            raise FsError(errno.EISDIR, path)
        if node is not None and node.kind == "chr":
            return real
        if append and node is not None:
            data = self.read(real) + data
        if len(data) > self.limits.max_file_bytes:
            raise FsError(errno.EFBIG, path)
        old_size = node.size if node is not None and real in self.overlay else 0
        if self.used - old_size + len(data) > self.limits.max_owner_bytes:
            raise FsError(errno.ENOSPC, path)
        base = node if node is not None else Node("file", mode=mode, uid=uid, gid=gid)
        if len(data) > INLINE_MAX:
            new = base.with_(
                content=None, blob=self.blobs.put(data), gen=None, size=len(data), in_db=False
            )
        else:
            new = base.with_(content=data, blob=None, gen=None, size=len(data), in_db=False)
        self._put(real, new.with_(mtime=time.time()))
        return real

    def add_blob(
        self,
        path: str,
        sha256: str,
        size: int,
        cwd: str = "/",
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
    ) -> str:
        """Place an already-stored upload (by SHA-256) at ``path``; returns the real path."""
        real, node = self._target(path, cwd)
        if node is not None and node.is_dir:
            real = real.rstrip("/") + "/" + vname(vnorm(path, cwd))
            real, node = self._target(real, "/")
        if not self.blobs.has(sha256):
            raise FsError(errno.ENOENT, path)
        if self.used + size > self.limits.max_owner_bytes:
            raise FsError(errno.ENOSPC, path)
        self._put(
            real,
            Node("file", mode=mode, uid=uid, gid=gid, mtime=time.time(), size=size, blob=sha256),
        )
        return real

    def mkdir(
        self,
        path: str,
        cwd: str = "/",
        parents: bool = False,
        mode: int = 0o755,
        uid: int = 0,
        gid: int = 0,
    ) -> None:
        real = vnorm(path, cwd)
        if parents and not self.is_dir(vparent(real)) and real != "/":
            self.mkdir(vparent(real), parents=True, mode=mode, uid=uid, gid=gid)
        if self.exists(real):
            if parents and self.is_dir(real):
                return
            raise FsError(errno.EEXIST, path)
        target = self._writable_parent(real, "/")
        opaque = target in self.overlay and self.overlay[target] is None
        self._put(
            target, Node("dir", mode=mode, uid=uid, gid=gid, mtime=time.time(), opaque=opaque)
        )

    def symlink(self, target: str, path: str, cwd: str = "/") -> None:
        real = vnorm(path, cwd)
        if self.lexists(real):
            raise FsError(errno.EEXIST, path)
        where = self._writable_parent(real, "/")
        self._put(
            where, Node("link", mode=0o777, mtime=time.time(), target=target, size=len(target))
        )

    def lexists(self, path: str, cwd: str = "/") -> bool:
        try:
            return self.resolve(path, cwd, follow=False)[1] is not None
        except FsError:
            return False

    def remove(
        self, path: str, cwd: str = "/", recursive: bool = False, dirs: bool = False
    ) -> None:
        """``unlink`` (or ``rmdir`` with ``dirs``; ``rm -r`` with ``recursive``)."""
        parent, _ = self.resolve(vparent(vnorm(path, cwd)))
        real = parent.rstrip("/") + "/" + vname(vnorm(path, cwd))
        node = self._get(real)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if real.startswith(tuple(p + "/" for p in READONLY_ROOTS)) or real in READONLY_ROOTS:
            raise FsError(errno.EPERM if node.is_dir else errno.EACCES, path)
        if node.is_dir:
            kids = self.listdir(real)
            if not (recursive or dirs):
                raise FsError(errno.EISDIR, path)
            if kids and not recursive:
                raise FsError(errno.ENOTEMPTY, path)
            for kid in kids:
                self.remove(real.rstrip("/") + "/" + kid, recursive=True)
        if real in self.base.nodes and not self._base_hidden(vparent(real)):
            self._put(real, None)
        else:
            old = self.overlay.pop(real, None)
            if old is not None and old.kind == "file":
                self.used -= old.size
            self.store.delete(self.owner, real)

    def rename(self, src: str, dst: str, cwd: str = "/") -> str:
        """``mv`` within the fake tree (copy then remove; directories recursively)."""
        s_real = vnorm(src, cwd)
        node = self.lstat(s_real)
        d_real = vnorm(dst, cwd)
        if self.is_dir(d_real):
            d_real = d_real.rstrip("/") + "/" + vname(s_real)
        self.copy(s_real, d_real, node)
        self.remove(s_real, recursive=True)
        return d_real

    def copy(self, src: str, dst: str, node: Node | None = None) -> None:
        node = node or self.stat(src)
        if node.is_dir:
            if not self.exists(dst):
                self.mkdir(dst, mode=node.mode, uid=node.uid, gid=node.gid)
            for kid in self.listdir(src):
                self.copy(src.rstrip("/") + "/" + kid, dst.rstrip("/") + "/" + kid)
            return
        if node.kind == "link":
            self.symlink(node.target or "/", dst)
            return
        if node.blob is not None:
            self.add_blob(dst, node.blob, node.size, mode=node.mode, uid=node.uid, gid=node.gid)
            return
        self.write(dst, self.read(src), mode=node.mode, uid=node.uid, gid=node.gid)

    def chmod(self, path: str, mode: int, cwd: str = "/") -> None:
        self._update(path, cwd, mode=mode & 0o7777)

    def chown(self, path: str, uid: int | None, gid: int | None, cwd: str = "/") -> None:
        node = self.stat(path, cwd)
        self._update(
            path, cwd, uid=node.uid if uid is None else uid, gid=node.gid if gid is None else gid
        )

    def touch(self, path: str, cwd: str = "/") -> None:
        if not self.exists(path, cwd):
            self.write(path, b"", cwd)
            return
        self._update(path, cwd, mtime=time.time())

    def _update(self, path: str, cwd: str, **changes: object) -> None:
        real, node = self.resolve(path, cwd)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if real.startswith(tuple(p + "/" for p in READONLY_ROOTS)):
            raise FsError(errno.EPERM, path)
        if node.gen is not None:
            data = self.generate(node.gen, self)
            node = node.with_(gen=None, content=data, size=len(data))
        elif node.in_db:
            node = node.with_(content=self.store.content(self.owner, real), in_db=False)
        self._put(real, node.with_(**changes))
