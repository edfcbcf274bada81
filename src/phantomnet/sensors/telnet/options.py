"""The Telnet wire (RFC 854/855): a byte-level parser that never raises.

:class:`TelnetParser` turns whatever a client sends into data bytes and option items
(WILL/WONT/DO/DONT, subnegotiations). IAC IAC is a data 0xFF; CR NUL becomes CR (the NVT's
bare carriage return); a subnegotiation is capped at :data:`MAX_SB` bytes (the rest of it is
dropped, and counted); a stray IAC command (NOP, AYT, GA...) is an item of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NOP, DM, BRK, IP, AO, AYT, EC, EL, GA = 241, 242, 243, 244, 245, 246, 247, 248, 249

BINARY, ECHO, SGA, STATUS, TM = 0, 1, 3, 5, 6
TTYPE, NAWS, TSPEED, LFLOW, LINEMODE, XDISPLOC, OLD_ENVIRON, AUTH, ENCRYPT, NEW_ENVIRON = (
    24, 31, 32, 33, 34, 35, 36, 37, 38, 39,
)  # fmt: skip
#: subnegotiation verbs
IS, SEND, INFO = 0, 1, 2
#: the longest subnegotiation kept (a terminal type, an environment, a window size)
MAX_SB = 1024

VERBS = {WILL: "WILL", WONT: "WONT", DO: "DO", DONT: "DONT"}


@dataclass(frozen=True)
class Negotiation:
    verb: int  # WILL WONT DO DONT
    option: int


@dataclass(frozen=True)
class Subneg:
    option: int
    payload: bytes
    truncated: bool = False


@dataclass(frozen=True)
class Command:
    """A bare IAC command (NOP, AYT, IP, BRK, GA...)."""

    code: int


Item = Negotiation | Subneg | Command


class TelnetParser:
    """Incremental: bytes in, (data, items) out. Holds at most one partial item."""

    def __init__(self) -> None:
        self.state = "data"
        self.verb = 0
        self.sb_option = -1
        self.sb = bytearray()
        self.sb_truncated = False
        self.after_cr = False
        self.dropped = 0

    def feed(self, chunk: bytes) -> tuple[bytes, list[Item]]:
        data = bytearray()
        items: list[Item] = []
        for b in chunk:
            st = self.state
            if st == "data":
                if b == IAC:
                    self.state = "iac"
                    continue
                if self.after_cr:
                    self.after_cr = False
                    if b == 0:  # CR NUL: a bare CR
                        continue
                self.after_cr = b == 13
                data.append(b)
            elif st == "iac":
                self.state = "data"
                if b == IAC:
                    data.append(IAC)
                    self.after_cr = False
                elif b in VERBS:
                    self.verb = b
                    self.state = "opt"
                elif b == SB:
                    self.state = "sbopt"
                elif b == SE:
                    pass  # an SE without SB: ignored, like telnetd
                else:
                    items.append(Command(b))
            elif st == "opt":
                items.append(Negotiation(self.verb, b))
                self.state = "data"
            elif st == "sbopt":
                self.sb_option = b
                self.sb.clear()
                self.sb_truncated = False
                self.state = "sb"
            elif st == "sb":
                if b == IAC:
                    self.state = "sbiac"
                else:
                    self._sb_byte(b)
            else:  # sbiac
                if b == SE:
                    items.append(Subneg(self.sb_option, bytes(self.sb), self.sb_truncated))
                    self.sb.clear()
                    self.state = "data"
                elif b == IAC:
                    self._sb_byte(IAC)
                    self.state = "sb"
                else:
                    # IAC x inside SB (not SE, not IAC): telnetd ends the SB there
                    items.append(Subneg(self.sb_option, bytes(self.sb), self.sb_truncated))
                    self.sb.clear()
                    self.state = "data"
                    if b in VERBS:
                        self.verb = b
                        self.state = "opt"
                    elif b == SB:
                        self.state = "sbopt"
                    else:
                        items.append(Command(b))
        return bytes(data), items

    def _sb_byte(self, b: int) -> None:
        if len(self.sb) < MAX_SB:
            self.sb.append(b)
        else:
            self.sb_truncated = True
            self.dropped += 1


def escape(data: bytes) -> bytes:
    """Data to send: every 0xFF doubled."""
    return data.replace(b"\xff", b"\xff\xff")


def neg(verb: int, option: int) -> bytes:
    return bytes((IAC, verb, option))


def subneg(option: int, payload: bytes) -> bytes:
    return bytes((IAC, SB, option)) + escape(payload) + bytes((IAC, SE))


def parse_naws(payload: bytes) -> tuple[int, int] | None:
    """(width, height) of a NAWS subnegotiation, or None if malformed."""
    if len(payload) != 4:
        return None
    return (payload[0] << 8) | payload[1], (payload[2] << 8) | payload[3]


def parse_is_text(payload: bytes, limit: int = 128) -> str | None:
    """The text of a ``<IS> text`` reply (TTYPE, TSPEED, XDISPLOC)."""
    if not payload or payload[0] != IS:
        return None
    return payload[1 : 1 + limit].decode("latin-1")


def parse_environ(payload: bytes, limit: int = 32) -> list[tuple[str, str]]:
    """NEW-ENVIRON / OLD-ENVIRON ``IS``/``INFO`` pairs (RFC 1572): VAR/USERVAR name VALUE
    value, with ESC quoting. At most ``limit`` pairs; names and values capped at 256 bytes."""
    if not payload or payload[0] not in (IS, INFO):
        return []
    pairs: list[tuple[str, str]] = []
    name: bytearray | None = None
    value: bytearray | None = None
    cur: bytearray | None = None
    i = 1
    while i < len(payload) and len(pairs) < limit:
        b = payload[i]
        if b in (0, 3):  # VAR, USERVAR
            if name is not None:
                pairs.append((name.decode("latin-1"), (value or b"").decode("latin-1")))
            name, value = bytearray(), None
            cur = name
        elif b == 1:  # VALUE
            value = bytearray()
            cur = value
        elif b == 2 and i + 1 < len(payload):  # ESC
            i += 1
            if cur is not None and len(cur) < 256:
                cur.append(payload[i])
        elif cur is not None and len(cur) < 256:
            cur.append(b)
        i += 1
    if name is not None and len(pairs) < limit:
        pairs.append((name.decode("latin-1"), (value or b"").decode("latin-1")))
    return pairs
