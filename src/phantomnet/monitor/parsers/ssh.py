"""SSH identification banner and the first binary packet's KEXINIT (RFC 4253 §4.2, §7.1).

Input is the start of one direction of the TCP stream (reassembled by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass

from phantomnet.monitor.parsers.base import Anomaly, Cursor, Short

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
    try:
        return SshResult(banner, _kexinit(payload[1:]), False)
    except Short:
        return SshResult(banner, None, False, Anomaly("ssh", "malformed_kexinit"))
