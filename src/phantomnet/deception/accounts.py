"""Accounts on the fake host: well-formed yescrypt hashes for ``/etc/shadow`` and the
``/etc/passwd``, ``/etc/group``, ``/etc/shadow`` lines and home of a login the doors accept
for a user the persona does not have (``wpuser`` from the leaked ``wp-config.php``).

Hashes are real yescrypt (``$y$j9T$<salt>$<hash>``, Debian 12's default) made by the system's
libxcrypt through ctypes (Python's ``crypt`` module is deprecated), from per-install random
bytes, so they are stable across restarts and differ between installs. Without libcrypt the
hash has the same shape, drawn from the same bytes.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
from functools import cache
from typing import TYPE_CHECKING

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.persona import UserEntry

if TYPE_CHECKING:
    from phantomnet.deception.fakefs import FsView

CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
YESCRYPT = re.compile(r"^\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}$")
#: What adduser accepts on Debian with --allow-bad-names (no ``:``, ``/``, spaces...).
USER_NAME = re.compile(r"^[A-Za-z_][-A-Za-z0-9_.]{0,31}$")
FIRST_UID, LAST_UID = 1000, 59999
SKEL = ((".bashrc", b"# ~/.bashrc\n"), (".profile", b"# ~/.profile\n"),
        (".bash_logout", b"clear_console -q\n"))  # fmt: skip


class _Crypt:
    def __init__(self, lib: ctypes.CDLL) -> None:
        self.crypt = lib.crypt
        self.crypt.restype = ctypes.c_char_p
        self.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.gensalt = lib.crypt_gensalt
        self.gensalt.restype = ctypes.c_char_p
        self.gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]


@cache
def _libcrypt() -> _Crypt | None:
    try:
        return _Crypt(ctypes.CDLL("libcrypt.so.1"))
    except (OSError, AttributeError):
        return None


def _b64(data: bytes, length: int) -> str:
    """crypt's base-64 (little-endian 6-bit groups), ``length`` characters."""
    value = int.from_bytes(data, "little")
    return "".join(CRYPT64[(value >> (6 * i)) & 63] for i in range(length))


@cache
def yescrypt(secret: bytes) -> str:
    """A yescrypt hash of a password derived from ``secret``, salt derived from it too
    (deterministic: the same install shows the same line after a restart)."""
    digest = hashlib.sha512(b"phantomnet-shadow|" + secret).digest()
    salt_bytes, password = digest[:16], digest[16:40].hex().encode()
    lib = _libcrypt()
    if lib is not None:
        setting = lib.gensalt(b"$y$", 0, salt_bytes, len(salt_bytes))
        out: bytes | None = lib.crypt(password, setting) if setting else None
        text = out.decode("ascii", "replace") if out else ""
        if YESCRYPT.match(text):
            return text
    # Same shape without libcrypt: 16 salt bytes -> 22 chars, 32 hash bytes -> 43 chars.
    return f"$y$j9T${_b64(salt_bytes, 22)}${_b64(digest[32:64], 43)}"


def shadow_line(name: str, hashed: str, day: int) -> str:
    return f"{name}:{hashed}:{day}:0:99999:7:::\n"


def _rows(view: FsView, path: str) -> list[list[str]]:
    try:
        return [r.split(":") for r in view.read_text(path).splitlines()]
    except FsError:
        return []


def ensure_account(view: FsView, name: str, seed: int, now: float) -> UserEntry | None:
    """The ``/etc/passwd`` entry of ``name`` in ``view``, adding the account (passwd, group,
    shadow lines and a home with the skeleton files) as ``adduser`` would if it is missing.
    None when ``name`` is not a valid user name or the view cannot take the writes."""
    passwd = _rows(view, "/etc/passwd")
    for f in passwd:
        if len(f) >= 7 and f[0] == name and f[2].isdigit() and f[3].isdigit():
            return UserEntry(name=f[0], uid=int(f[2]), gid=int(f[3]), gecos=f[4], home=f[5],
                             shell=f[6])  # fmt: skip
    if not USER_NAME.match(name):
        return None
    used_uids = {int(f[2]) for f in passwd if len(f) > 2 and f[2].isdigit()}
    used_gids = {int(f[2]) for f in _rows(view, "/etc/group") if len(f) > 2 and f[2].isdigit()}
    uid = next((u for u in range(FIRST_UID, LAST_UID) if u not in used_uids), None)
    if uid is None:
        return None
    gid = uid if uid not in used_gids else next(g for g in range(FIRST_UID, LAST_UID)
                                               if g not in used_gids)  # fmt: skip
    home = f"/home/{name}"
    entry = UserEntry(name=name, uid=uid, gid=gid, gecos=",,,", home=home)
    day = int(now // 86400)
    hashed = yescrypt(f"{seed}|{name}".encode())
    try:
        view.write("/etc/passwd", f"{name}:x:{uid}:{gid}:,,,:{home}:/bin/bash\n".encode(),
                   append=True)  # fmt: skip
        view.write("/etc/group", f"{name}:x:{gid}:\n".encode(), append=True)
        view.write("/etc/shadow", shadow_line(name, hashed, day).encode(), append=True)
        if not view.exists(home):
            view.mkdir(home, parents=True, mode=0o755, uid=uid, gid=gid)
            for file, body in SKEL:
                view.write(f"{home}/{file}", body, mode=0o644, uid=uid, gid=gid)
    except FsError:
        return None
    return entry
