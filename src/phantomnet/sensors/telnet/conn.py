"""One Telnet connection: option state (RFC 1143 style, no loops), the telnetd negotiation,
and decoded data for login and the shell.

The negotiation copies Debian 12's inetutils telnetd 2.4 byte for byte (captured against the
real daemon by tests/integration/sensors/telnet/test_conformance.py): first WILL AUTHENTICATION,
WILL ENCRYPT, DO TTYPE/TSPEED/XDISPLOC/NEW-ENVIRON/OLD-ENVIRON; once answered, a SEND for each
option the client agreed to; then WILL SGA, DO ECHO, DO LINEMODE, DO NAWS, WILL STATUS,
DO LFLOW; then the linemode/flow-control settings, WILL ECHO and DO BINARY. What the client
sends in its environment is recorded, never honoured (no ``USER`` auto-login: telnetd does
not pass it to login(1) either).
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable

from phantomnet.sensors.telnet import options as t
from phantomnet.sensors.telnet.options import (
    IAC,
    IS,
    SB,
    SE,
    SEND,
    Command,
    Negotiation,
    Subneg,
    TelnetParser,
)

#: options the client may enable (we answer DO), and the ones we may enable (WILL)
HIM_OK = frozenset(
    {t.TTYPE, t.TSPEED, t.XDISPLOC, t.NEW_ENVIRON, t.OLD_ENVIRON, t.NAWS, t.LINEMODE, t.LFLOW,
     t.BINARY}
)  # fmt: skip
US_OK = frozenset({t.ECHO, t.SGA, t.STATUS, t.BINARY, t.AUTH, t.ENCRYPT})

PHASE1 = (
    t.neg(t.WILL, t.AUTH)
    + t.neg(t.WILL, t.ENCRYPT)
    + b"".join(
        t.neg(t.DO, o) for o in (t.TTYPE, t.TSPEED, t.XDISPLOC, t.NEW_ENVIRON, t.OLD_ENVIRON)
    )
)
#: telnetd's answer to a client's SLC list (RFC 1184): the pty's special characters
SLC_REPLY = bytes.fromhex(
    "fffa220303e20304820f07e21c08820409c21a0a827f0b82150c82170d82120e82160f8211108213fff0"
)
#: bare IAC commands as characters for the line discipline (telnetd writes them to the pty)
COMMAND_CHARS = {t.IP: "\x03", t.BRK: "\x03", t.EC: "\x7f", t.EL: "\x15"}


class TelnetConn:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        max_pending: int,
        on_bytes: Callable[[int, int], None] | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = TelnetParser()
        self.max_pending = max_pending
        self.on_bytes = on_bytes
        self.us: set[int] = set()
        self.him: set[int] = set()
        self.asked_us: set[int] = set()
        self.asked_him: set[int] = set()
        #: options the client answered (either way) since we asked
        self.answered: set[int] = set()
        self.subnegs: set[int] = set()
        self.pending = bytearray()
        self.dropped = 0
        self.eof = False
        self.width, self.height = 80, 24
        self.term = ""
        self.tspeed = ""
        self.environ: list[tuple[str, str]] = []
        self.options_seen: list[str] = []
        #: the client sent its linemode special characters (answered like telnetd)
        self.slc = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    # -- output ---------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        if data and not self.writer.is_closing():
            self.writer.write(data)
            if self.on_bytes is not None:
                self.on_bytes(0, len(data))

    def send_text(self, text: str) -> None:
        self.send_raw(t.escape(text.encode("utf-8", "replace")))

    async def drain(self) -> None:
        if not self.writer.is_closing():
            await self.writer.drain()

    def ask(self, verb: int, option: int) -> bytes:
        """A negotiation we start (remembered so the answer is not answered again)."""
        if verb in (t.DO, t.DONT):
            self.asked_him.add(option)
        else:
            self.asked_us.add(option)
        self.answered.discard(option)
        return t.neg(verb, option)

    # -- input ----------------------------------------------------------------------------
    async def pump(self) -> bool:
        """Read one chunk and process it; False at end of input."""
        if self.eof:
            return False
        try:
            chunk = await self.reader.read(4096)
        except (ConnectionError, OSError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        if self.on_bytes is not None:
            self.on_bytes(len(chunk), 0)
        data, items = self.parser.feed(chunk)
        for item in items:
            if isinstance(item, Negotiation):
                self._negotiation(item)
            elif isinstance(item, Subneg):
                self._subneg(item)
            else:
                self._command(item)
        if self.writer.transport.get_write_buffer_size() > 64 * 1024:
            await self.drain()  # a client that sends option storms but never reads waits here
        room = self.max_pending - len(self.pending)
        if len(data) > room:
            self.dropped += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        self.pending += data
        return True

    async def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Process input until ``done()`` (True), end of input or ``timeout`` (False)."""
        try:
            async with asyncio.timeout(timeout):
                while not done():
                    if not await self.pump():
                        return False
        except TimeoutError:
            return False
        return True

    async def read_text(self) -> str:
        """Decoded data for the line editor ('' at end of input)."""
        while not self.pending:
            if not await self.pump():
                return self._decoder.decode(b"", final=True)
        data = bytes(self.pending)
        self.pending.clear()
        text = self._decoder.decode(data)
        return text if text else await self.read_text()

    def _negotiation(self, item: Negotiation) -> None:
        verb, opt = item.verb, item.option
        if len(self.options_seen) < 64:
            self.options_seen.append(f"{t.VERBS[verb]} {opt}")
        if verb in (t.WILL, t.WONT):
            asked = opt in self.asked_him
            self.asked_him.discard(opt)
            self.answered.add(opt)
            if verb == t.WILL:
                if opt in self.him:
                    return
                if asked or opt in HIM_OK:
                    self.him.add(opt)
                    if not asked:
                        self.send_raw(t.neg(t.DO, opt))
                        if opt == t.LINEMODE:  # telnetd's answer to an offered linemode
                            self.send_raw(bytes((IAC, SB, t.LINEMODE, 1, 0x10, IAC, SE, 0)))
                else:
                    self.send_raw(t.neg(t.DONT, opt))
            else:
                if opt in self.him:
                    self.him.discard(opt)
                    if not asked:
                        self.send_raw(t.neg(t.DONT, opt))
        else:
            asked = opt in self.asked_us
            self.asked_us.discard(opt)
            if verb == t.DO:
                if opt in self.us:
                    return
                if asked or opt in US_OK:
                    self.us.add(opt)
                    if not asked:
                        self.send_raw(t.neg(t.WILL, opt))
                else:
                    self.send_raw(t.neg(t.WONT, opt))
            elif opt in self.us:
                self.us.discard(opt)
                if not asked:
                    self.send_raw(t.neg(t.WONT, opt))

    def _subneg(self, item: Subneg) -> None:
        self.subnegs.add(item.option)
        p = item.payload
        if item.option == t.LINEMODE and p[:1] == b"\x03":
            self.slc = True
        if item.option == t.NAWS:
            size = t.parse_naws(p)
            if size is not None:
                self.width = min(max(size[0], 1), 1000) if size[0] else 80
                self.height = min(max(size[1], 1), 1000) if size[1] else 24
        elif item.option == t.TTYPE:
            self.term = t.parse_is_text(p, 64) or self.term
        elif item.option == t.TSPEED:
            self.tspeed = t.parse_is_text(p, 32) or self.tspeed
        elif item.option in (t.NEW_ENVIRON, t.OLD_ENVIRON):
            for pair in t.parse_environ(p):
                if len(self.environ) < 32:
                    self.environ.append(pair)

    def _command(self, item: Command) -> None:
        if item.code == t.AYT:
            self.send_raw(b"\r\n[Yes]\r\n")
        elif item.code in COMMAND_CHARS and len(self.pending) < self.max_pending:
            self.pending += COMMAND_CHARS[item.code].encode()

    # -- telnetd's opening ----------------------------------------------------------------
    async def negotiate(self, timeout: float) -> None:
        """The option dialogue before login, like inetutils telnetd (each wait bounded)."""
        self.send_raw(PHASE1)
        for o in (t.AUTH, t.ENCRYPT):
            self.asked_us.add(o)
        queried = (t.TTYPE, t.TSPEED, t.XDISPLOC, t.NEW_ENVIRON, t.OLD_ENVIRON)
        self.asked_him.update(queried)
        await self.drain()
        await self.wait_until(lambda: all(o in self.answered for o in queried), timeout)
        order = [t.TSPEED, t.XDISPLOC, t.NEW_ENVIRON, t.TTYPE]
        if t.NEW_ENVIRON not in self.him:
            order.insert(3, t.OLD_ENVIRON)
        sends = [o for o in order if o in self.him]
        self.send_raw(b"".join(bytes((IAC, SB, o, SEND, IAC, SE)) for o in sends))
        self.subnegs.difference_update(sends)
        await self.wait_until(lambda: all(o in self.subnegs for o in sends), timeout)
        #: the client offered LINEMODE itself (answered at once with MODE LIT_ECHO)
        offered = t.LINEMODE in self.him
        # like telnetd's send_do/send_will: nothing is asked that is already so
        asks = ((t.WILL, t.SGA), (t.DO, t.ECHO), (t.DO, t.LINEMODE), (t.DO, t.NAWS),
                (t.WILL, t.STATUS), (t.DO, t.LFLOW))  # fmt: skip
        self.send_raw(
            b"".join(
                self.ask(verb, o)
                for verb, o in asks
                if o not in (self.us if verb == t.WILL else self.him)
            )
        )
        await self.drain()
        second = [o for o in (t.ECHO, t.LINEMODE, t.NAWS, t.LFLOW) if o in self.asked_him]
        await self.wait_until(lambda: all(o in self.answered for o in second), timeout)
        out = b""
        if t.LINEMODE in self.him and not offered:
            self.subnegs.discard(t.LINEMODE)
            self.send_raw(bytes((IAC, SB, t.LINEMODE, 1, 3, IAC, SE)) + b"\x00")
            await self.drain()
            await self.wait_until(lambda: t.LINEMODE in self.subnegs, timeout)
        if t.LFLOW in self.him:
            out += bytes((IAC, SB, t.LFLOW, 3, IAC, SE)) + b"\x00"
        out += self.ask(t.WILL, t.ECHO)
        if t.LINEMODE not in self.him:
            out += self.ask(t.DO, t.TM)
        out += self.ask(t.DO, t.BINARY)
        if t.LINEMODE in self.him:
            out += self.ask(t.DONT, t.LINEMODE)
            self.him.discard(t.LINEMODE)
            if self.slc:
                out += SLC_REPLY
        self.send_raw(out)
        await self.drain()


__all__ = ["IS", "TelnetConn"]
