"""FTP sensor: vsftpd 3.0.3 on the wire, the shared fake host underneath.

Anonymous logins land chrooted in ``/srv/ftp`` with a writable ``incoming/`` (the classic
bait); user logins go through the fake host's credential policy and see the whole fake
filesystem from their home. Uploads are stored by SHA-256 (size-capped), placed in the
attacker's own copy-on-write filesystem (so the SSH shell shows them) and reported as
``file.upload``. Paths never leave the fake tree; climbing attempts are reported.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field

from phantomnet.deception.fakefs import FsError, FsView
from phantomnet.deception.fakefs.node import mode_string, vname, vnorm
from phantomnet.deception.host import FakeHost
from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    Detection,
    Endpoint,
    FileUpload,
    HoneytokenTriggered,
    attacker_text,
)
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session, wait_closed
from phantomnet.sensors.ftp import protocol as p
from phantomnet.sensors.ftp.data import DataChannel, finish

log = logging.getLogger(__name__)

ANON_ROOT = "/srv/ftp"
ANON_INCOMING = "/srv/ftp/incoming"
FTP_UID = 107  # the Debian ``ftp`` user of the persona's passwd


class FtpConfig(SensorConfig):
    """``[sensors.ftp]``"""

    port: int = Field(default=2121, ge=0, le=65535)
    anonymous: bool = True
    anonymous_upload: bool = True
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=1)
    pasv_ports: tuple[int, int] = (0, 0)
    pasv_address: str | None = None
    failed_login_delay_s: float = Field(default=1.0, ge=0)
    max_login_fails: int = Field(default=3, ge=1)
    idle_timeout_s: float = Field(default=300, gt=0)
    max_line_bytes: int = Field(default=4096, ge=64)


Handler = Callable[["FtpConversation", str], Awaitable[None]]


class FtpConversation:
    """One control connection: state, replies, and a handler per verb."""

    def __init__(
        self, sensor: FtpSensor, session: Session, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:  # fmt: skip
        self.sensor, self.session, self.reader, self.writer = sensor, session, reader, writer
        self.cfg: FtpConfig = sensor.config
        self.host: FakeHost = sensor.host
        self.user: str | None = None
        self.logged_in = False
        self.anonymous = False
        self.root = "/"
        self.cwd = "/"
        self.fails = 0
        self.rest = 0
        self.rnfr: str | None = None
        self.data = DataChannel()
        self.traversal_reported = False
        self.fs: FsView = self.host.fs(session.src.ip)

    async def reply(self, *lines: str) -> None:
        self.writer.write("".join(f"{line}\r\n" for line in lines).encode("utf-8", "replace"))
        self.session.bytes_out += sum(len(line) + 2 for line in lines)
        await self.writer.drain()

    async def serve(self) -> None:
        await self.reply(
            p.R["banner"].format(version=self.sensor.host.persona.software("vsftpd", "3.0.3"))
        )
        while not self.writer.is_closing():
            try:
                line = await asyncio.wait_for(self.reader.readline(), self.cfg.idle_timeout_s)
            except TimeoutError:
                await self.reply(p.R["timeout"])
                return
            except ValueError:  # line over the limit
                await self.reply(p.R["unknown"])
                return
            if not line:
                return
            self.session.bytes_in += len(line)
            verb, arg = p.parse_line(line)
            shown = "PASS" if verb == "PASS" else f"{verb} {arg}".strip()
            await self.session.emit(
                CommandInput, protocol="ftp", command=attacker_text(shown), known=verb in HANDLERS
            )
            if await self.dispatch(verb, arg):
                return

    async def dispatch(self, verb: str, arg: str) -> bool:
        """Run one command; True when the conversation is over."""
        if verb == "QUIT":
            await self.reply(p.R["quit"])
            return True
        handler = HANDLERS.get(verb)
        if handler is None:
            await self.reply(p.R["unknown"])
        elif not self.logged_in and verb not in BEFORE_LOGIN:
            await self.reply(p.R["login_first"])
        else:
            await handler(self, arg)
        return self.fails >= self.cfg.max_login_fails

    # -- paths ---------------------------------------------------------------------------
    def real(self, arg: str) -> str:
        """The fake-FS path of a client path, confined to the login's root."""
        inside = vnorm(arg or ".", self.cwd)
        return vnorm(self.root.rstrip("/") + inside) if self.root != "/" else inside

    def shown(self, real: str) -> str:
        if self.root == "/":
            return real
        return real[len(self.root.rstrip("/")) :] or "/"

    async def check_traversal(self, arg: str) -> None:
        climbing = p.escapes_root(arg) or (self.root != "/" and arg.startswith("/etc"))
        if not climbing or self.traversal_reported:
            return
        self.traversal_reported = True
        at = datetime.now(UTC)
        await self.session.emit(
            Detection, rule="ftp_traversal", severity="medium", protocol="ftp",
            target=self.session.dst, first_seen=at, last_seen=at, count=1,
            summary=attacker_text(f"FTP path escape attempt: {arg}", 512),
            detector="ftp", evidence=(),
        )  # fmt: skip


class FtpSensor(Sensor):
    """The ``ftp`` sensor plug-in."""

    name: ClassVar[str] = "ftp"
    protocol: ClassVar[str] = "ftp"
    Config: ClassVar[type[SensorConfig]] = FtpConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, FtpConfig)
        self.config: FtpConfig = config
        self.host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        self._server: asyncio.Server | None = None
        self.uploads = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, self.config.host, self.config.port, limit=self.config.max_line_bytes
        )
        self.bound_port = int(self._server.sockets[0].getsockname()[1])

    async def run(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        local = writer.get_extra_info("sockname")
        source = str(peer[0])
        if not self.limiter.acquire(source):
            writer.write(f"{p.R['too_many']}\r\n".encode())
            await wait_closed(writer)
            return
        session = self.open_session(
            Endpoint(ip=source, port=int(peer[1])), Endpoint(ip=str(local[0]), port=int(local[1]))
        )
        reason = "peer"
        try:
            await session.open()
            conv = FtpConversation(self, session, reader, writer)
            async with asyncio.timeout(self.config.session_timeout_s):
                await conv.serve()
            await conv.data.close()
        except TimeoutError:
            reason = "timeout"
        except (ConnectionError, OSError):
            reason = "error"
        finally:
            self.limiter.release(source)
            await wait_closed(writer)
            await session.close(reason)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "events": self.uploads}


# -- login ------------------------------------------------------------------------------
async def _user(c: FtpConversation, arg: str) -> None:
    if c.logged_in:
        await c.reply("530 Can't change to another user.")
        return
    c.user = arg
    if arg.lower() in p.ANONYMOUS and not c.cfg.anonymous:
        await c.reply(p.R["login_bad"])
        return
    await c.reply(p.R["user_ok"])


async def _pass(c: FtpConversation, arg: str) -> None:
    if c.logged_in:
        await c.reply(p.R["already"])
        return
    if c.user is None:
        await c.reply(p.R["user_first"])
        return
    anonymous = c.user.lower() in p.ANONYMOUS and c.cfg.anonymous
    if anonymous:
        ok, token = True, None
    else:
        decision = c.host.policy.check_password(c.session.src.ip, c.user, arg)
        ok, token = decision.accepted, decision.token
    await c.session.emit(
        AuthAttempt, protocol="ftp", method="anonymous" if anonymous else "password",
        username=attacker_text(c.user, 256), password=attacker_text(arg, 256), accepted=ok,
    )  # fmt: skip
    if token is not None:
        await c.session.emit(
            HoneytokenTriggered,
            token_id=token.token_id,
            token_kind=token.kind,
            protocol="ftp",
            detail=attacker_text(f"login as {c.user}"),
        )
    if not ok:
        c.fails += 1
        await asyncio.sleep(c.cfg.failed_login_delay_s)
        await c.reply(p.R["login_bad"])
        c.user = None
        return
    _login(c, anonymous)
    await c.reply(p.R["login_ok"])


def _login(c: FtpConversation, anonymous: bool) -> None:
    c.logged_in, c.anonymous = True, anonymous
    if anonymous:
        c.root, c.cwd = ANON_ROOT, "/"
        for folder in (ANON_ROOT, ANON_INCOMING):
            if not c.fs.exists(folder):
                c.fs.mkdir(
                    folder,
                    parents=True,
                    mode=0o755 if folder == ANON_ROOT else 0o733,
                    uid=0,
                    gid=0 if folder == ANON_ROOT else FTP_UID,
                )
        return
    entry = c.host.persona.user(c.user or "")
    home = entry.home if entry is not None else ("/root" if c.user == "root" else "/")
    c.cwd = home if c.fs.is_dir(home) else "/"


# -- navigation ---------------------------------------------------------------------------
async def _pwd(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["pwd"].format(path=c.cwd))


async def _cwd(c: FtpConversation, arg: str) -> None:
    await c.check_traversal(arg)
    real = c.real(arg)
    if not c.fs.is_dir(real):
        await c.reply(p.R["cwd_bad"])
        return
    c.cwd = c.shown(real)
    await c.reply(p.R["cwd_ok"])


async def _cdup(c: FtpConversation, arg: str) -> None:
    await _cwd(c, "..")


async def _syst(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["syst"])


async def _feat(c: FtpConversation, arg: str) -> None:
    await c.reply(*p.FEAT)


async def _help(c: FtpConversation, arg: str) -> None:
    await c.reply(*p.HELP)


async def _noop(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["noop"])


async def _type(c: FtpConversation, arg: str) -> None:
    kind = arg.strip().upper()[:1]
    await c.reply(
        p.R["type_i"]
        if kind in "IL" and kind
        else p.R["type_a"]
        if kind == "A"
        else p.R["type_bad"]
    )


async def _opts(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["opts_utf8"] if arg.upper().startswith("UTF8") else p.R["opts_bad"])


async def _auth(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["auth_tls"])


async def _mode(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["mode_ok"] if arg.strip().upper() == "S" else p.R["mode_bad"])


async def _stru(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["stru_ok"] if arg.strip().upper() == "F" else p.R["stru_bad"])


async def _abor(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["abor"])


async def _rest(c: FtpConversation, arg: str) -> None:
    if not arg.strip().isdigit():
        await c.reply(p.R["rest_bad"])
        return
    c.rest = int(arg.strip())
    await c.reply(p.R["rest_ok"].format(pos=c.rest))


# -- data connections ---------------------------------------------------------------------
async def _pasv(c: FtpConversation, arg: str) -> None:
    local = c.writer.get_extra_info("sockname")
    host = c.cfg.pasv_address or str(local[0])
    port = await c.data.listen(str(local[0]), c.session.src.ip, c.cfg.pasv_ports)
    await c.reply(p.pasv_reply(host, port))


async def _epsv(c: FtpConversation, arg: str) -> None:
    local = c.writer.get_extra_info("sockname")
    port = await c.data.listen(str(local[0]), c.session.src.ip, c.cfg.pasv_ports)
    await c.reply(p.R["epsv"].format(port=port))


async def _port(c: FtpConversation, arg: str) -> None:
    await _active(c, p.parse_port(arg), p.R["port_ok"], p.R["port_bad"])


async def _eprt(c: FtpConversation, arg: str) -> None:
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
    try:
        writer.write(payload)
        await writer.drain()
    except (ConnectionError, OSError):
        await c.reply(p.R["xfer_fail"])
        return
    finally:
        await finish(writer)
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
    await c.check_traversal(path)
    try:
        payload = _listing(c, c.real(path), names_only)
    except FsError:
        payload = b""
    await _send(c, p.R["list_start"], payload, p.R["list_done"])


async def _list(c: FtpConversation, arg: str) -> None:
    await _list_common(c, arg, names_only=False)


async def _nlst(c: FtpConversation, arg: str) -> None:
    await _list_common(c, arg, names_only=True)


async def _retr(c: FtpConversation, arg: str) -> None:
    await c.check_traversal(arg)
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


async def _stor(c: FtpConversation, arg: str) -> None:
    await _receive(c, arg, append=False)


async def _appe(c: FtpConversation, arg: str) -> None:
    await _receive(c, arg, append=True)


def _may_write(c: FtpConversation, real: str) -> bool:
    if not c.anonymous:
        return True
    return c.cfg.anonymous_upload and real.startswith(ANON_INCOMING + "/")


async def _receive(c: FtpConversation, arg: str, append: bool) -> None:
    await c.check_traversal(arg)
    real = c.real(arg)
    if not arg.strip() or not _may_write(c, real) or c.fs.is_dir(real):
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
    data, truncated = await _read_capped(reader, c.cfg.max_upload_bytes)
    await finish(writer)
    await _store_upload(c, arg, real, data, truncated, append)
    await c.reply(p.R["xfer_done"])


async def _read_capped(reader: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Read a whole upload, keeping at most ``cap`` bytes (the rest is drained, bounded)."""
    chunks: list[bytes] = []
    kept = drained = 0
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return b"".join(chunks), drained > 0
        if kept < cap:
            piece = chunk[: cap - kept]
            chunks.append(piece)
            kept += len(piece)
            drained += len(chunk) - len(piece)
        else:
            drained += len(chunk)
        if drained > cap * 4:
            return b"".join(chunks), True


async def _store_upload(
    c: FtpConversation, arg: str, real: str, data: bytes, truncated: bool, append: bool
) -> None:
    if append and c.fs.exists(real):
        data = c.fs.read(real) + data
    sha = c.host.store_upload(data)
    uid = FTP_UID if c.anonymous else 0
    try:
        c.fs.add_blob(real, sha, len(data), uid=uid, gid=uid)
    except FsError as exc:  # the body is kept and reported even when the fake disk is "full"
        log.info("ftp upload %s kept but not placed: %s", sha[:12], exc.strerror)
    c.sensor.uploads += 1
    await c.session.emit(
        FileUpload, protocol="ftp", filename=attacker_text(arg, 512), sha256=sha,
        size=len(data), truncated=truncated, stored_as=c.host.upload_path(sha),
    )  # fmt: skip


# -- file management ------------------------------------------------------------------------
async def _fs_op(c: FtpConversation, arg: str, op: Callable[[str], Any], ok: str, bad: str) -> None:
    await c.check_traversal(arg)
    real = c.real(arg)
    if not arg.strip() or not _may_write(c, real):
        await c.reply(p.R["perm"] if arg.strip() else bad)
        return
    try:
        op(real)
    except FsError:
        await c.reply(bad)
        return
    await c.reply(ok.format(path=c.shown(real)))


async def _mkd(c: FtpConversation, arg: str) -> None:
    await _fs_op(c, arg, lambda r: c.fs.mkdir(r), p.R["mkd_ok"], p.R["mkd_bad"])


async def _rmd(c: FtpConversation, arg: str) -> None:
    await _fs_op(c, arg, lambda r: c.fs.remove(r, dirs=True), p.R["rmd_ok"], p.R["rmd_bad"])


async def _dele(c: FtpConversation, arg: str) -> None:
    await _fs_op(c, arg, lambda r: c.fs.remove(r), p.R["dele_ok"], p.R["dele_bad"])


async def _rnfr(c: FtpConversation, arg: str) -> None:
    real = c.real(arg)
    ok = c.fs.exists(real) and _may_write(c, real)
    c.rnfr = real if ok else None
    await c.reply(p.R["rnfr_ok"] if ok else p.R["rnfr_bad"])


async def _rnto(c: FtpConversation, arg: str) -> None:
    if c.rnfr is None:
        await c.reply(p.R["rnto_first"])
        return
    source, c.rnfr = c.rnfr, None
    await _fs_op(c, arg, lambda r: c.fs.rename(source, r), p.R["rnto_ok"], p.R["rnto_bad"])


async def _size(c: FtpConversation, arg: str) -> None:
    try:
        node = c.fs.stat(c.real(arg))
    except FsError:
        node = None
    await c.reply(f"213 {node.size}" if node and not node.is_dir else p.R["size_bad"])


async def _mdtm(c: FtpConversation, arg: str) -> None:
    try:
        node = c.fs.stat(c.real(arg))
    except FsError:
        node = None
    await c.reply(p.mdtm(node.mtime) if node and not node.is_dir else p.R["mdtm_bad"])


async def _stat(c: FtpConversation, arg: str) -> None:
    await c.reply(
        "211-FTP server status:", f"     Connected to {c.session.src.ip}",
        f"     Logged in as {'ftp' if c.anonymous else c.user}", "     TYPE: BINARY",
        "     No session bandwidth limit", "     Session timeout in seconds is 300",
        "     Control connection is plain text", "     Data connections will be plain text",
        f"     vsFTPd {c.host.persona.software('vsftpd', '3.0.3')} - secure, fast, stable",
        "211 End of status",
    )  # fmt: skip


HANDLERS: dict[str, Handler] = {
    "USER": _user, "PASS": _pass, "SYST": _syst, "FEAT": _feat, "HELP": _help, "NOOP": _noop,
    "PWD": _pwd, "XPWD": _pwd, "CWD": _cwd, "XCWD": _cwd, "CDUP": _cdup, "XCUP": _cdup,
    "TYPE": _type, "OPTS": _opts, "AUTH": _auth, "PBSZ": _auth, "PROT": _auth, "MODE": _mode,
    "STRU": _stru, "ABOR": _abor, "REST": _rest, "PASV": _pasv, "EPSV": _epsv, "PORT": _port,
    "EPRT": _eprt, "LIST": _list, "NLST": _nlst, "RETR": _retr, "STOR": _stor, "APPE": _appe,
    "MKD": _mkd, "XMKD": _mkd, "RMD": _rmd, "XRMD": _rmd, "DELE": _dele, "RNFR": _rnfr,
    "RNTO": _rnto, "SIZE": _size, "MDTM": _mdtm, "STAT": _stat,
}  # fmt: skip
BEFORE_LOGIN = frozenset({"USER", "PASS", "SYST", "FEAT", "HELP", "NOOP", "AUTH", "OPTS"})
