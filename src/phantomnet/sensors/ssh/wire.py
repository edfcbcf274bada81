"""Pure parsers for the clear-text start of an SSH connection (never raise).

* :func:`check_identification` applies OpenSSH 9.2's rules to the client's first line
  (``kex_exchange_identification`` in kex.c) and says what OpenSSH would answer.
* :func:`parse_kexinit_packet` reads the client's first binary packet (KEXINIT) so we can
  compute HASSH ourselves from exactly what the client sent.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True)
class KexInit:
    kex: tuple[str, ...]
    host_key: tuple[str, ...]
    enc_cs: tuple[str, ...]
    enc_sc: tuple[str, ...]
    mac_cs: tuple[str, ...]
    mac_sc: tuple[str, ...]
    cmp_cs: tuple[str, ...]
    cmp_sc: tuple[str, ...]

    def hassh_string(self) -> str:
        """The HASSH input: kex;enc(c->s);mac(c->s);comp(c->s) (Salesforce's definition)."""
        return ";".join(",".join(x) for x in (self.kex, self.enc_cs, self.mac_cs, self.cmp_cs))

    def hassh(self) -> str:
        return hashlib.md5(self.hassh_string().encode(), usedforsecurity=False).hexdigest()

    def hassh_server_string(self) -> str:
        return ";".join(",".join(x) for x in (self.kex, self.enc_sc, self.mac_sc, self.cmp_sc))


def _namelists(payload: bytes, off: int, count: int) -> tuple[list[tuple[str, ...]], int] | None:
    lists = []
    for _ in range(count):
        if off + 4 > len(payload):
            return None
        (n,) = struct.unpack_from(">I", payload, off)
        off += 4
        if n > 65536 or off + n > len(payload):
            return None
        text = payload[off : off + n].decode("ascii", "replace")
        lists.append(tuple(text.split(",")) if text else ())
        off += n
    return lists, off


def parse_kexinit_payload(payload: bytes) -> KexInit | None:
    """A KEXINIT payload (starting with message number 20) or None if malformed."""
    if len(payload) < 17 or payload[0] != 20:
        return None
    parsed = _namelists(payload, 17, 10)
    if parsed is None:
        return None
    lists = parsed[0]
    return KexInit(*lists[:8])


def parse_kexinit_packet(buf: bytes) -> tuple[Literal["incomplete", "ok", "bad"], KexInit | None]:
    """The first binary packet after the identification line (unencrypted)."""
    if len(buf) < 5:
        return "incomplete", None
    (length,) = struct.unpack_from(">I", buf, 0)
    if length < 12 or length > 35000:
        return "bad", None
    if len(buf) < 4 + length:
        return "incomplete", None
    pad = buf[4]
    if pad + 1 > length:
        return "bad", None
    kex = parse_kexinit_payload(buf[5 : 4 + length - pad])
    return ("ok", kex) if kex is not None else ("bad", None)
