"""SSH identification line and the first binary packet's KEXINIT (RFC 4253 §4.2, §7.1).

One parser for the monitor (a stream seen on the wire) and the SSH door (what its client
sent): pure, never raise.

* :func:`parse_ssh`: banner and KEXINIT from the start of one stream direction (monitor).
* :func:`check_identification` applies OpenSSH 9.2's rules to a client's first line
  (``kex_exchange_identification`` in kex.c) and says what OpenSSH would answer (SSH door).
* :func:`parse_kexinit_packet`: the first binary packet after the identification line.
* :class:`KexInit` gives the HASSH / HASSHServer inputs and HASSH itself.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Literal

from phantomnet.analyzers.base import Anomaly, Cursor, Short

MAX_BANNER = 255
MAX_PRE_LINES = 16
MAX_PACKET = 35000
KEXINIT = 20
NAMES = (
    "kex",
    "hostkey",
    "enc_cs",
    "enc_sc",
    "mac_cs",
    "mac_sc",
    "comp_cs",
    "comp_sc",
    "lang_cs",
    "lang_sc",
)


@dataclass(frozen=True, slots=True)
class KexInit:
    lists: dict[str, str]

    def client_string(self) -> str:
        """HASSH input: kex;enc_cs;mac_cs;comp_cs."""
        k = self.lists
        return ";".join((k["kex"], k["enc_cs"], k["mac_cs"], k["comp_cs"]))

    def server_string(self) -> str:
        """HASSHServer input: kex;enc_sc;mac_sc;comp_sc."""
        k = self.lists
        return ";".join((k["kex"], k["enc_sc"], k["mac_sc"], k["comp_sc"]))

    def names(self, key: str) -> tuple[str, ...]:
        """One name-list as a tuple (``()`` when empty)."""
        text = self.lists.get(key, "")
        return tuple(text.split(",")) if text else ()

    @property
    def kex(self) -> tuple[str, ...]:
        return self.names("kex")

    @property
    def host_key(self) -> tuple[str, ...]:
        return self.names("hostkey")

    def hassh_string(self) -> str:
        return self.client_string()

    def hassh_server_string(self) -> str:
        return self.server_string()

    def hassh(self, server: bool = False) -> str:
        """HASSH (or HASSHServer): MD5 of the input string (Salesforce's definition)."""
        text = self.server_string() if server else self.client_string()
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class SshResult:
    banner: str | None
    kexinit: KexInit | None
    more: bool
    anomaly: Anomaly | None = None

    @property
    def version(self) -> str:
        """Protocol version from the banner ("2.0", "1.99", "1.5"...)."""
        if not self.banner:
            return ""
        return self.banner[4:].split("-", 1)[0]


def looks_like_ssh(payload: bytes) -> bool:
    return payload[:4] == b"SSH-"


def _banner(data: bytes) -> tuple[str | None, int, bool]:
    """(banner, offset after it, need more)."""
    pos = 0
    for _ in range(MAX_PRE_LINES):
        end = data.find(b"\n", pos, pos + MAX_BANNER + 2)
        if end < 0:
            return None, pos, len(data) - pos <= MAX_BANNER
        line = data[pos:end].rstrip(b"\r")
        pos = end + 1
        if line.startswith(b"SSH-"):
            return line.decode("utf-8", "backslashreplace"), pos, False
    return None, pos, False


def _kexinit(body: bytes) -> KexInit:
    """The KEXINIT body after the message number (raises :class:`Short` when cut)."""
    cur = Cursor(body)
    cur.take(16)  # cookie
    lists = {}
    for name in NAMES:
        lists[name] = cur.take(cur.u32()).decode("ascii", "backslashreplace")
    return KexInit(lists)


def parse_ssh(data: bytes) -> SshResult:
    """Banner and KEXINIT from the start of a stream direction (never raises)."""
    banner, pos, more = _banner(data)
    if banner is None:
        return SshResult(None, None, more)
    if banner[4:].startswith("1.") and not banner[4:].startswith("1.99"):
        return SshResult(banner, None, False)  # SSH v1: no KEXINIT, empty HASSH
    if len(data) - pos < 5:
        return SshResult(banner, None, True)
    length = int.from_bytes(data[pos : pos + 4], "big")
    if length > MAX_PACKET or length < 2:
        return SshResult(banner, None, False, Anomaly("ssh", "bad_packet_length", str(length)))
    if len(data) - pos - 4 < length:
        return SshResult(banner, None, True)
    pad = data[pos + 4]
    payload = data[pos + 5 : pos + 4 + length - pad] if pad < length - 1 else b""
    if payload[:1] != bytes([KEXINIT]):
        return SshResult(banner, None, False)
    kex = parse_kexinit_payload(payload)
    if kex is None:
        return SshResult(banner, None, False, Anomaly("ssh", "malformed_kexinit"))
    return SshResult(banner, kex, False)


def parse_kexinit_payload(payload: bytes) -> KexInit | None:
    """A KEXINIT payload (starting with message number 20), or None if malformed."""
    if payload[:1] != bytes([KEXINIT]):
        return None
    try:
        return _kexinit(payload[1:])
    except Short:
        return None


def parse_kexinit_packet(buf: bytes) -> tuple[Literal["incomplete", "ok", "bad"], KexInit | None]:
    """The first binary packet after the identification line (unencrypted)."""
    if len(buf) < 5:
        return "incomplete", None
    (length,) = struct.unpack_from(">I", buf, 0)
    if length < 12 or length > MAX_PACKET:
        return "bad", None
    if len(buf) < 4 + length:
        return "incomplete", None
    pad = buf[4]
    if pad + 1 > length:
        return "bad", None
    kex = parse_kexinit_payload(buf[5 : 4 + length - pad])
    return ("ok", kex) if kex is not None else ("bad", None)


MAX_LINE = 8192
_IDENT = re.compile(rb"SSH-\s*[+-]?(\d+)\.\s*[+-]?(\d+)-([^\n]+)")

Verdict = Literal["incomplete", "ok", "invalid", "major_differs", "too_long"]


@dataclass(frozen=True)
class Identification:
    verdict: Verdict
    line: bytes = b""
    consumed: int = 0


def check_identification(buf: bytes) -> Identification:
    """Judge the client's identification line at the start of ``buf``.

    OpenSSH (server side) accepts only ``SSH-<major>.<minor>-<text>`` as the first line;
    anything else gets ``Invalid SSH identification string.``; a major version other than 2
    (or 1.99) gets ``Protocol major versions differ.``.
    """
    end = buf.find(b"\n", 0, MAX_LINE)
    if end < 0:
        return Identification("too_long" if len(buf) >= MAX_LINE else "incomplete")
    line = buf[:end].rstrip(b"\r")
    if not line.startswith(b"SSH-"):
        return Identification("invalid", line, end + 1)
    m = _IDENT.fullmatch(line)
    if m is None:
        return Identification("invalid", line, end + 1)
    major, minor = int(m.group(1)), int(m.group(2))
    if major == 2 or (major == 1 and minor == 99):
        return Identification("ok", line, end + 1)
    return Identification("major_differs", line, end + 1)
