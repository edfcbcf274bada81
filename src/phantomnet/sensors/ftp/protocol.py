"""Pure FTP pieces: command lines, vsftpd's replies and listings, PORT/EPRT/PASV encoding.

Nothing here touches a socket; every function is total (bad input gives ``None`` or a reply,
never an exception), so the session code can stay a thin dispatch table.
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass

#: vsftpd 3.0.3 wording (Debian 12), keyed by situation.
R = {
    "banner": "220 (vsFTPd {version})",
    "user_ok": "331 Please specify the password.",
    "anon_only": "530 This FTP server is anonymous only.",
    "login_ok": "230 Login successful.",
    "login_bad": "530 Login incorrect.",
    "user_first": "503 Login with USER first.",
    "login_first": "530 Please login with USER and PASS.",
    "already": "230 Already logged in.",
    "syst": "215 UNIX Type: L8",
    "unknown": "500 Unknown command.",
    "noop": "200 NOOP ok.",
    "quit": "221 Goodbye.",
    "type_i": "200 Switching to Binary mode.",
    "type_a": "200 Switching to ASCII mode.",
    "type_bad": "500 Unrecognised TYPE command.",
    "cwd_ok": "250 Directory successfully changed.",
    "cwd_bad": "550 Failed to change directory.",
    "pwd": '257 "{path}" is the current directory',
    "mkd_ok": '257 "{path}" created',
    "mkd_bad": "550 Create directory operation failed.",
    "rmd_ok": "250 Remove directory operation successful.",
    "rmd_bad": "550 Remove directory operation failed.",
    "dele_ok": "250 Delete operation successful.",
    "dele_bad": "550 Delete operation failed.",
    "rnfr_ok": "350 Ready for RNTO.",
    "rnfr_bad": "550 RNFR command failed.",
    "rnto_first": "503 RNFR required first.",
    "rnto_ok": "250 Rename successful.",
    "rnto_bad": "550 Rename failed.",
    "size_bad": "550 Could not get file size.",
    "mdtm_bad": "550 Could not get file modification time.",
    "pasv": "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2}).",
    "epsv": "229 Entering Extended Passive Mode (|||{port}|)",
    "port_ok": "200 PORT command successful. Consider using PASV.",
    "eprt_ok": "200 EPRT command successful. Consider using EPSV.",
    "port_bad": "500 Illegal PORT command.",
    "eprt_bad": "500 Bad EPRT command.",
    "no_data": "425 Use PORT or PASV first.",
    "data_fail": "425 Failed to establish connection.",
    "list_start": "150 Here comes the directory listing.",
    "list_done": "226 Directory send OK.",
    "retr_start": "150 Opening BINARY mode data connection for {name} ({size} bytes).",
    "retr_bad": "550 Failed to open file.",
    "stor_start": "150 Ok to send data.",
    "stor_bad": "553 Could not create file.",
    "xfer_done": "226 Transfer complete.",
    "xfer_fail": "426 Failure writing network stream.",
    "rest_ok": "350 Restart position accepted ({pos}).",
    "rest_bad": "501 REST: invalid parameter",
    "opts_utf8": "200 Always in UTF8 mode.",
    "opts_bad": "501 Option not understood.",
    "auth_tls": "530 Please login with USER and PASS.",
    "abor": "225 No transfer to ABOR.",
    "abor_ok": "226 ABOR successful.",
    "mode_ok": "200 Mode set to S.",
    "mode_bad": "504 Bad MODE command.",
    "stru_ok": "200 Structure set to F.",
    "stru_bad": "504 Bad STRU command.",
    "pbsz": "530 Please login with USER and PASS.",
    "site_bad": "500 Unknown SITE command.",
    "timeout": "421 Timeout.",
    "too_many": "421 There are too many connections from your internet address.",
    "perm": "550 Permission denied.",
}

FEAT = ["211-Features:", " EPRT", " EPSV", " MDTM", " PASV", " REST STREAM", " SIZE", " TVFS",
        " UTF8", "211 End"]  # fmt: skip

HELP = [
    "214-The following commands are recognized.",
    " ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD",
    " MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR",
    " RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD",
    " XPWD XRMD",
    "214 Help OK.",
]

ANONYMOUS = frozenset({"anonymous", "ftp"})


#: Telnet commands (RFC 854) a client puts before a command line: IAC NOP/DM/BRK/IP/AO/AYT,
#: a bare DM or a bare IAC before the verb (what stays in the stream when the urgent byte of
#: the Synch was taken out of band).
_TELNET_PREFIX = re.compile(rb"\A(?:\xff[\xf1-\xf6]|\xf2|\xff(?=[A-Za-z]))+")


def strip_telnet(line: bytes) -> bytes:
    """Drop the Telnet "Interrupt Process" + "Synch" an FTP client sends before ``ABOR``
    (RFC 959 4.1.3: ``IAC IP IAC DM``), as vsftpd accepts ``\\377\\364\\377\\362ABOR``.

    Only a leading run is removed: an ``\\xff`` inside an argument is attacker data.
    """
    return _TELNET_PREFIX.sub(b"", line)


def parse_line(line: bytes) -> tuple[str, str]:
    """``b"RETR a b\\r\\n"`` → (``"RETR"``, ``"a b"``). Bytes are decoded leniently;
    a leading Telnet IP/Synch is dropped."""
    text = strip_telnet(line.rstrip(b"\r\n")).decode("utf-8", "surrogateescape")
    verb, _, arg = text.partition(" ")
    return verb.upper()[:16], arg


def fs_name(arg: str) -> str:
    """A path argument as storable text: the bytes ``parse_line`` kept as surrogates become
    ``\\xHH`` (deterministic, so RETR of the same bytes finds the file STOR made)."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Address:
    host: str
    port: int


def parse_port(arg: str) -> Address | None:
    """``h1,h2,h3,h4,p1,p2`` → address, or None when malformed."""
    parts = arg.strip().split(",")
    if len(parts) != 6 or not all(p.strip().isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts]
    if any(n > 255 for n in nums):
        return None
    return Address(".".join(map(str, nums[:4])), nums[4] * 256 + nums[5])


def parse_eprt(arg: str) -> Address | None:
    """``|1|h|port|`` or ``|2|h|port|`` → address, or None when malformed."""
    if len(arg) < 7:
        return None
    delim = arg[0]
    parts = arg.split(delim)
    if len(parts) != 5 or parts[1] not in ("1", "2") or not parts[3].isdigit():
        return None
    try:
        host = ipaddress.ip_address(parts[2])
    except ValueError:
        return None
    port = int(parts[3])
    if not 0 < port < 65536 or (host.version == 4) != (parts[1] == "1"):
        return None
    return Address(str(host), port)


def pasv_reply(host: str, port: int) -> str:
    h = host.split(".") if "." in host else ["127", "0", "0", "1"]
    return R["pasv"].format(h1=h[0], h2=h[1], h3=h[2], h4=h[3], p1=port // 256, p2=port % 256)


def list_line(
    mode: str, nlink: int, uid: int, gid: int, size: int, mtime: float, name: str,
    now: float | None = None,
) -> str:  # fmt: skip
    """One ``LIST`` line exactly as vsftpd formats it (numeric ids, ls-style date)."""
    now = time.time() if now is None else now
    tm = time.gmtime(mtime)
    recent = now - 182 * 86400 < mtime <= now + 3600
    when = time.strftime("%b %d %H:%M" if recent else "%b %d  %Y", tm)
    return f"{mode} {nlink:4d} {uid:<8d} {gid:<8d} {size:8d} {when} {name}"


def mdtm(mtime: float) -> str:
    return "213 " + time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime))
