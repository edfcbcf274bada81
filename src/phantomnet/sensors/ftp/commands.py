"""FTP verbs of the vsftpd persona: login, navigation, file management, and the verb table.

Each handler is ``async (conversation, argument) -> None`` and answers with vsftpd's wording.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from phantomnet.deception.fakefs import FsError
from phantomnet.events import (
    AuthAttempt,
    HoneytokenTriggered,
    attacker_text,
)
from phantomnet.sensors.ftp import protocol as p
from phantomnet.sensors.ftp.transfer import (
    ANON_INCOMING,
    ANON_ROOT,
    FTP_UID,
    appe,
    eprt,
    epsv,
    list_files,
    may_write,
    nlst,
    pasv,
    port,
    retr,
    stor,
)  # fmt: skip

if TYPE_CHECKING:
    from phantomnet.sensors.ftp.sensor import FtpConversation

WEB_ROOT = "/var/www/html"

Handler = Callable[["FtpConversation", str], Awaitable[None]]


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
    # accounts that are not system users (the web/DB deploy logins leaked by the site) are
    # virtual vsftpd users whose local_root is the web root: what they put, Apache serves
    home = entry.home if entry is not None else ("/root" if c.user == "root" else WEB_ROOT)
    c.cwd = home if c.fs.is_dir(home) else "/"


# -- navigation ---------------------------------------------------------------------------
async def _pwd(c: FtpConversation, arg: str) -> None:
    await c.reply(p.R["pwd"].format(path=c.cwd))


async def _cwd(c: FtpConversation, arg: str) -> None:
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


# -- file management ------------------------------------------------------------------------
async def _fs_op(c: FtpConversation, arg: str, op: Callable[[str], Any], ok: str, bad: str) -> None:
    real = c.real(arg)
    if not arg.strip() or not may_write(c, real):
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
    ok = c.fs.exists(real) and may_write(c, real)
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
    "STRU": _stru, "ABOR": _abor, "REST": _rest, "PASV": pasv, "EPSV": epsv, "PORT": port,
    "EPRT": eprt, "LIST": list_files, "NLST": nlst, "RETR": retr, "STOR": stor, "APPE": appe,
    "MKD": _mkd, "XMKD": _mkd, "RMD": _rmd, "XRMD": _rmd, "DELE": _dele, "RNFR": _rnfr,
    "RNTO": _rnto, "SIZE": _size, "MDTM": _mdtm, "STAT": _stat,
}  # fmt: skip
BEFORE_LOGIN = frozenset({"USER", "PASS", "SYST", "FEAT", "HELP", "NOOP", "AUTH", "OPTS"})
