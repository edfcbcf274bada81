"""FTP data transfers: passive/active channels, listings, downloads and the upload trap.

Uploads are stored by SHA-256 (size-capped) and placed in the attacker's copy-on-write view
of the fake host, so the shell and the web root show them.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import TYPE_CHECKING

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.node import mode_string, vname
from phantomnet.errors import SensorError
from phantomnet.events import (
    FileUpload,
    attacker_text,
    normalise_ip,
)
from phantomnet.sensors.ftp import protocol as p
from phantomnet.sensors.ftp.abort import abortable
from phantomnet.sensors.ftp.data import finish

if TYPE_CHECKING:
    from phantomnet.sensors.ftp.sensor import FtpConversation

log = logging.getLogger(__name__)
ANON_ROOT = "/srv/ftp"
ANON_INCOMING = "/srv/ftp/incoming"
FTP_UID = 107  # the Debian ``ftp`` user of the persona's passwd


# -- data connections ---------------------------------------------------------------------
async def pasv(c: FtpConversation, arg: str) -> None:
    local = normalise_ip(str(c.writer.get_extra_info("sockname")[0]))  # dual stack: plain v4
    host = c.cfg.pasv_address or local
    port = await _passive(c, local)
    if port is not None:
        await c.reply(p.pasv_reply(host, port))


async def epsv(c: FtpConversation, arg: str) -> None:
    local = normalise_ip(str(c.writer.get_extra_info("sockname")[0]))
    port = await _passive(c, local)
    if port is not None:
        await c.reply(p.R["epsv"].format(port=port))


async def _passive(c: FtpConversation, local_ip: str) -> int | None:
    """A passive listener's port, or None after answering 425 (every passive port taken)."""
    try:
        return await c.data.listen(local_ip, c.session.src.ip, c.cfg.pasv_ports)
    except SensorError as exc:
        log.warning("ftp: %s", exc)
        await c.reply(p.R["data_fail"])
        return None


async def port(c: FtpConversation, arg: str) -> None:
    await _active(c, p.parse_port(arg), p.R["port_ok"], p.R["port_bad"])


async def eprt(c: FtpConversation, arg: str) -> None:
    await _active(c, p.parse_eprt(arg), p.R["eprt_ok"], p.R["eprt_bad"])


async def _active(c: FtpConversation, addr: p.Address | None, ok: str, bad: str) -> None:
    """Active mode only back to the client itself: a PORT elsewhere is an FTP bounce."""
    if addr is None or addr.host != c.session.src.ip or addr.port < 1024:
        await c.reply(bad)
        return
    await c.data.close()
    c.data.connect_to(addr.host, addr.port)
    await c.reply(ok)


async def _send(c: FtpConversation, start: str, payload: bytes, done: str) -> None:
    if not c.data.ready:
        await c.reply(p.R["no_data"])
        return
    await c.reply(start)
    pair = await c.data.open()
    if pair is None:
        await c.reply(p.R["data_fail"])
        return
    _, writer = pair

    async def write() -> None:
        writer.write(payload)
        await writer.drain()

    aborted = False
    try:
        aborted = await abortable(c, write())
    except (ConnectionError, OSError):
        await c.reply(p.R["xfer_fail"])
        return
    finally:
        if aborted:
            writer.transport.abort()  # what is still buffered is not sent
        await finish(writer)
    if not aborted:
        await c.reply(done)


def _listing(c: FtpConversation, real: str, names_only: bool) -> bytes:
    node = c.fs.stat(real)
    entries = [(vname(real), node)] if not node.is_dir else [
        (name, c.fs.lstat(real.rstrip("/") + "/" + name)) for name in c.fs.listdir(real)
    ]  # fmt: skip
    if names_only:
        return "".join(f"{name}\r\n" for name, _ in entries).encode()
    lines = [
        p.list_line(mode_string(n), 2 if n.is_dir else 1, n.uid, n.gid,
                    4096 if n.is_dir else n.size, n.mtime, name)
        for name, n in entries
    ]  # fmt: skip
    return "".join(f"{line}\r\n" for line in lines).encode()


async def _list_common(c: FtpConversation, arg: str, names_only: bool) -> None:
    path = " ".join(a for a in arg.split() if not a.startswith("-"))
    try:
        payload = _listing(c, c.real(path), names_only)
    except FsError:
        payload = b""
    await _send(c, p.R["list_start"], payload, p.R["list_done"])


async def list_files(c: FtpConversation, arg: str) -> None:
    await _list_common(c, arg, names_only=False)


async def nlst(c: FtpConversation, arg: str) -> None:
    await _list_common(c, arg, names_only=True)


async def retr(c: FtpConversation, arg: str) -> None:
    real = c.real(arg)
    try:
        node = c.fs.stat(real)
        if node.is_dir:
            raise FsError(errno.EISDIR, real)
        data = c.fs.read(real)[c.rest :]
    except FsError:
        await c.reply(p.R["retr_bad"])
        return
    finally:
        c.rest = 0
    start = p.R["retr_start"].format(name=vname(real), size=len(data))
    await _send(c, start, data, p.R["xfer_done"])


async def stor(c: FtpConversation, arg: str) -> None:
    await _receive(c, arg, append=False)


async def appe(c: FtpConversation, arg: str) -> None:
    await _receive(c, arg, append=True)


def may_write(c: FtpConversation, real: str) -> bool:
    if not c.anonymous:
        return True
    return c.cfg.anonymous_upload and real.startswith(ANON_INCOMING + "/")


async def _receive(c: FtpConversation, arg: str, append: bool) -> None:
    real = c.real(arg)
    if not arg.strip() or not may_write(c, real) or c.fs.is_dir(real):
        await c.reply(p.R["stor_bad"] if arg.strip() else "501 Invalid argument.")
        return
    if not c.data.ready:
        await c.reply(p.R["no_data"])
        return
    await c.reply(p.R["stor_start"])
    pair = await c.data.open()
    if pair is None:
        await c.reply(p.R["data_fail"])
        return
    reader, writer = pair
    chunks: list[bytes] = []
    drained: list[int] = [0]
    aborted = await abortable(c, _read_capped(reader, c.cfg.max_upload_bytes, chunks, drained))
    await finish(writer)
    data = b"".join(chunks)  # what arrived before an ABOR is kept, as vsftpd keeps it
    stored = await _store_upload(c, arg, real, data, aborted or drained[0] > 0, append)
    if not aborted:
        await c.reply(p.R["xfer_done"] if stored else "552 Exceeded storage allocation.")


async def _read_capped(
    reader: asyncio.StreamReader, cap: int, chunks: list[bytes], drained: list[int]
) -> None:
    """Read a whole upload into ``chunks``, keeping at most ``cap`` bytes (the rest is
    drained, bounded, and counted in ``drained[0]``)."""
    kept = 0
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        if kept < cap:
            piece = chunk[: cap - kept]
            chunks.append(piece)
            kept += len(piece)
            drained[0] += len(chunk) - len(piece)
        else:
            drained[0] += len(chunk)
        if drained[0] > cap * 4:
            return


async def _store_upload(
    c: FtpConversation, arg: str, real: str, data: bytes, truncated: bool, append: bool
) -> bool:
    if append and c.fs.exists(real):
        data = c.fs.read(real) + data
    verdict = c.host.accept_upload(c.fs.owner, data)  # quota and disk budget, before writing
    sha = verdict.sha256
    uid = FTP_UID if c.anonymous else 0
    if verdict.stored:
        try:
            c.fs.add_blob(real, sha, len(data), uid=uid, gid=uid)
        except FsError as exc:  # the body is kept and reported even when the fake disk is "full"
            log.info("ftp upload %s kept but not placed: %s", sha[:12], exc.strerror)
    c.sensor.uploads += 1
    await c.session.emit(
        FileUpload, protocol="ftp", filename=attacker_text(arg, 512), sha256=sha,
        size=len(data), truncated=truncated or not verdict.stored,
        stored_as=c.host.upload_path(sha) if verdict.stored else None, refused=verdict.refused,
    )  # fmt: skip
    return verdict.stored
