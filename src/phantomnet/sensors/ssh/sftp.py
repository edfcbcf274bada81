"""SFTP (and SCP, which asyncssh serves through the same object) over the fake filesystem.

Nothing touches the real filesystem: every method maps to the attacker's :class:`FsView`.
Uploaded bodies are buffered up to ``upload_max_bytes`` (the rest is counted but dropped),
stored by SHA-256 under ``<data_dir>/uploads/``, placed in the attacker's tree and reported as
``file.upload``. The attacker's quota and the host's disk budget are checked at every write,
before anything is kept: past them the write fails (FX_FAILURE, "No space left on device"),
nothing reaches the disk, and ``file.upload`` still records the attempt (``refused``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import inspect
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from phantomnet.deception.disk import Refusal
from phantomnet.deception.fakefs import FsError, FsView, Node, vnorm
from phantomnet.events import FileUpload, attacker_text

if TYPE_CHECKING:
    from phantomnet.sensors.ssh.front import ConnState
    from phantomnet.sensors.ssh.sensor import SshSensor

_FILETYPE = {
    "dir": asyncssh.FILEXFER_TYPE_DIRECTORY,
    "file": asyncssh.FILEXFER_TYPE_REGULAR,
    "link": asyncssh.FILEXFER_TYPE_SYMLINK,
    "chr": asyncssh.FILEXFER_TYPE_SPECIAL,
}


def _sftp_error(exc: FsError) -> asyncssh.SFTPError:
    if exc.code == errno.ENOENT:
        return asyncssh.SFTPNoSuchFile(exc.strerror)
    if exc.code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return asyncssh.SFTPPermissionDenied(exc.strerror)
    return asyncssh.SFTPFailure(exc.strerror)


class _Handle:
    __slots__ = ("closed", "data", "path", "received", "refused", "truncated", "writing")

    def __init__(self, path: str, data: bytes, writing: bool) -> None:
        self.path = path
        self.data = bytearray(data)
        self.writing = writing
        self.received = 0
        self.truncated = False
        #: why the body is refused (checked at every write, before anything is kept)
        self.refused: Refusal | None = None
        self.closed = False


class PhantomSFTP(asyncssh.SFTPServer):
    def __init__(self, chan: Any, sensor: SshSensor) -> None:
        super().__init__(chan)
        self.sensor = sensor
        self.state: ConnState = chan.get_connection().state
        src = self.state.session.src
        self.fs: FsView = sensor.host.fs(src.ip if src else "0.0.0.0")
        user = chan.get_extra_info("username") or "root"
        entry = sensor.host.persona.user(user)
        self.home = entry.home if entry else f"/home/{user}"
        self.uid = entry.uid if entry else 1000
        if not self.fs.is_dir(self.home):
            self.home = "/"
        self._open: set[_Handle] = set()
        self.state.session_request("subsystem", "sftp", accepted=True)

    def _path(self, path: bytes) -> str:
        return vnorm(path.decode("utf-8", "replace"), self.home)

    def _attrs(self, node: Node) -> SFTPAttrs:
        size = 4096 if node.is_dir else node.size
        return SFTPAttrs(
            type=_FILETYPE[node.kind],
            size=size,
            uid=node.uid,
            gid=node.gid,
            permissions=node.st_mode,
            atime=int(node.mtime),
            mtime=int(node.mtime),
        )

    def format_user(self, uid: int | None) -> str:
        return "root" if not uid else str(uid)

    def format_group(self, gid: int | None) -> str:
        return "root" if not gid else str(gid)

    def realpath(self, path: bytes) -> bytes:
        return self._path(path).encode()

    def stat(self, path: bytes) -> SFTPAttrs:
        try:
            return self._attrs(self.fs.stat(self._path(path)))
        except FsError as exc:
            raise _sftp_error(exc) from None

    def lstat(self, path: bytes) -> SFTPAttrs:
        try:
            return self._attrs(self.fs.lstat(self._path(path)))
        except FsError as exc:
            raise _sftp_error(exc) from None

    def fstat(self, file_obj: object) -> SFTPAttrs:
        assert isinstance(file_obj, _Handle)
        if file_obj.writing:
            return SFTPAttrs(
                type=asyncssh.FILEXFER_TYPE_REGULAR, size=len(file_obj.data), permissions=0o100644
            )
        return self.stat(file_obj.path.encode())

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        if attrs.permissions is not None:
            try:
                self.fs.chmod(self._path(path), attrs.permissions & 0o7777)
            except FsError as exc:
                raise _sftp_error(exc) from None

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self.setstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        return None

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        real = self._path(path)
        try:
            names = [".", "..", *self.fs.listdir(real)]
        except FsError as exc:
            raise _sftp_error(exc) from None
        for name in names:
            try:
                node = self.fs.lstat(vnorm(name, real))
            except FsError:
                continue
            attrs = self._attrs(node)
            sftp_name = SFTPName(name.encode(), attrs=attrs)
            pending = self.format_longname(sftp_name)
            if inspect.isawaitable(pending):
                await pending
            yield sftp_name

    def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> _Handle:
        real = self._path(path)
        writing = bool(pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT))
        try:
            if writing:
                data = b""
                if self.fs.exists(real) and not pflags & asyncssh.FXF_TRUNC:
                    data = self.fs.read(real, limit=self.sensor.config.upload_max_bytes)
                self.fs.write(real, data, uid=self.uid, gid=self.uid)
                handle = _Handle(real, data, True)
                self._open.add(handle)
                return handle
            return _Handle(
                real, self.fs.read(real, limit=self.sensor.config.upload_max_bytes), False
            )
        except FsError as exc:
            raise _sftp_error(exc) from None

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        assert isinstance(file_obj, _Handle)
        return bytes(file_obj.data[offset : offset + size])

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        assert isinstance(file_obj, _Handle)
        file_obj.received += len(data)
        if file_obj.refused is None:
            file_obj.refused = self._over_budget(max(len(file_obj.data), offset + len(data)))
        if file_obj.refused is not None:
            # like a full disk: the write fails, nothing more is kept (nor written anywhere)
            raise asyncssh.SFTPFailure("No space left on device")
        cap = self.sensor.config.upload_max_bytes
        if offset >= cap:
            file_obj.truncated = True
            return len(data)
        if offset + len(data) > cap:
            file_obj.truncated = True
            data = data[: cap - offset]
        if offset > len(file_obj.data):
            file_obj.data.extend(b"\x00" * (offset - len(file_obj.data)))
        file_obj.data[offset : offset + len(data)] = data
        return len(data)

    def _over_budget(self, size: int) -> Refusal | None:
        """Would a body of ``size`` bytes go over the attacker's quota or the disk budget?"""
        host = self.sensor.host
        if self.fs.used + size > host.limits.max_owner_bytes:
            return "quota"
        if size > host.disk.room():
            return "disk"
        return None

    def close(self, file_obj: object) -> None:
        assert isinstance(file_obj, _Handle)
        if not file_obj.writing or file_obj.closed:
            return
        file_obj.closed = True
        self._open.discard(file_obj)
        body = bytes(file_obj.data)
        host = self.sensor.host
        if file_obj.refused is None:
            verdict = host.accept_upload(self.fs.owner, body, file_obj.received)
            file_obj.refused = verdict.refused
        sha = hashlib.sha256(body).hexdigest()
        placed = file_obj.refused is None
        if placed:
            try:
                self.fs.add_blob(file_obj.path, sha, len(body), uid=self.uid, gid=self.uid)
            except FsError as exc:
                self._report(file_obj, sha, len(body), "quota")
                raise _sftp_error(exc) from None
        self._report(file_obj, sha, len(body), file_obj.refused)
        if not placed:
            with contextlib.suppress(FsError):
                self.fs.remove(file_obj.path)  # the empty file open() created
            raise asyncssh.SFTPFailure("No space left on device")

    def _report(self, handle: _Handle, sha: str, kept: int, refused: Refusal | None) -> None:
        """``file.upload`` for every upload, stored or refused (with the reason)."""
        self.sensor.post(
            self.state.session.build(
                FileUpload,
                protocol="ssh",
                filename=attacker_text(handle.path),
                sha256=sha,
                size=max(handle.received, kept),
                truncated=handle.truncated or refused is not None,
                stored_as=self.sensor.host.upload_path(sha) if refused is None else None,
                refused=refused,
            )
        )

    def remove(self, path: bytes) -> None:
        self._fs_call(lambda p: self.fs.remove(p), path)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._fs_call(lambda p: self.fs.mkdir(p, uid=self.uid, gid=self.uid), path)

    def rmdir(self, path: bytes) -> None:
        self._fs_call(lambda p: self.fs.remove(p, dirs=True), path)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        new = self._path(newpath)
        self._fs_call(lambda p: self.fs.rename(p, new), oldpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self.rename(oldpath, newpath)

    def readlink(self, path: bytes) -> bytes:
        try:
            node = self.fs.lstat(self._path(path))
        except FsError as exc:
            raise _sftp_error(exc) from None
        if node.kind != "link":
            raise asyncssh.SFTPInvalidParameter("Invalid argument")
        return (node.target or "").encode()

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        target = oldpath.decode("utf-8", "replace")
        self._fs_call(lambda p: self.fs.symlink(target, p), newpath)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("Operation unsupported")

    def statvfs(self, path: bytes) -> asyncssh.SFTPVFSAttrs:
        return asyncssh.SFTPVFSAttrs(
            4096,
            4096,
            10_000_000,
            6_000_000,
            6_000_000,
            2_600_000,
            1_900_000,
            1_900_000,
            2049,
            0,
            255,
        )

    def fsync(self, file_obj: object) -> None:
        return None

    def exit(self) -> None:
        """Like OpenSSH's sftp-server, end with exit status 0 (``scp -s`` checks it).

        Uploads the client never closed (it hung up) are still finished and reported."""
        for handle in list(self._open):
            with contextlib.suppress(asyncssh.SFTPError):
                self.close(handle)
        with contextlib.suppress(OSError, asyncssh.Error):
            self.channel.exit(0)

    def _fs_call(self, fn: Any, path: bytes) -> None:
        try:
            fn(self._path(path))
        except FsError as exc:
            raise _sftp_error(exc) from None
