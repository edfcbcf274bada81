"""ABOR while a transfer runs, as vsftpd 3.0.3 answers it.

vsftpd (``postlogin.c``): ``ABOR`` with no transfer running is ``225 No transfer to ABOR.``;
one that arrives during a transfer stops it with ``426 Failure writing network stream.``
followed by ``226 ABOR successful.``. The door watches the control connection while it moves
data: ``ABOR`` (with or without the Telnet IP/Synch in front) cancels the transfer; any other
line is kept and answered after the transfer, in order, as vsftpd reads it then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from phantomnet.events import CommandInput, attacker_text
from phantomnet.sensors.ftp import protocol as p

if TYPE_CHECKING:
    from phantomnet.sensors.ftp.sensor import FtpConversation

#: control lines kept while a transfer runs (further ones wait in the socket)
MAX_PENDING = 8


async def abortable(c: FtpConversation, work: Coroutine[Any, Any, None]) -> bool:
    """Run ``work`` (a transfer); True when the client aborted it (replies already sent)."""
    task: asyncio.Future[None] = asyncio.ensure_future(work)
    watch: asyncio.Future[bytes] | None = asyncio.ensure_future(c.reader.readline())
    try:
        while watch is not None:
            both: list[asyncio.Future[Any]] = [task, watch]
            await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
            if not watch.done():
                break  # the transfer ended first
            try:
                line = watch.result()
            except (ValueError, ConnectionError):  # over-long line, reset: left to the loop
                watch = None
                break
            verb, _arg = p.parse_line(line) if line else ("", "")
            if verb == "ABOR" and not task.done():
                c.session.bytes_in += len(line)
                await c.session.emit(CommandInput, protocol="ftp",
                                     command=attacker_text("ABOR"), known=True)  # fmt: skip
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await c.reply(p.R["xfer_fail"], p.R["abor_ok"])
                return True
            # anything else (and an ABOR that came too late) is answered after the transfer;
            # b"" (control closed) ends the loop then
            c.pending.append(line)
            watch = None
            if line and len(c.pending) < MAX_PENDING and not task.done():
                watch = asyncio.ensure_future(c.reader.readline())
        await task
        return False
    finally:
        if watch is not None and not watch.done():
            watch.cancel()  # a line not complete yet stays in the reader's buffer
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
