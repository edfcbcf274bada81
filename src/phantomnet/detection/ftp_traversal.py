"""``ftp_traversal``: an FTP client tries to climb out of its root.

Reads the FTP door's ``command.input`` facts (``CWD ../..``, ``RETR ~root/x``...) and applies
:func:`phantomnet.analyzers.web.path_escape` to the path argument of the verbs that take
one; in an anonymous session (the door chroots it, which its accepted ``auth.attempt`` with
``method = "anonymous"`` tells) an absolute ``/etc`` path counts too. One detection per FTP
session (the first attempt), as the door used to report it.
"""

from __future__ import annotations

from typing import ClassVar

from phantomnet.analyzers.web import path_escape
from phantomnet.detection.base import Detector
from phantomnet.detection.common import Lru
from phantomnet.detection.config import DetectorConfig
from phantomnet.events import AuthAttempt, CommandInput, Detection, Event, attacker_text

#: FTP verbs whose argument is a path on the server (RFC 959, RFC 3659, vsftpd's X-forms).
PATH_VERBS = frozenset(
    {"CWD", "XCWD", "MKD", "XMKD", "RMD", "XRMD", "DELE", "RNFR", "RNTO", "RETR", "STOR",
     "APPE", "LIST", "NLST", "SIZE", "MDTM"}
)  # fmt: skip


def path_argument(command: str) -> str | None:
    """The path argument of one FTP command line, or None when the verb takes none."""
    verb, _, arg = command.strip().partition(" ")
    if verb.upper() not in PATH_VERBS:
        return None
    if verb.upper() in ("LIST", "NLST"):  # ``LIST -la /x``: options are not the path
        arg = " ".join(a for a in arg.split() if not a.startswith("-"))
    return arg.strip()


class FtpTraversal(Detector):
    name: ClassVar[str] = "ftp_traversal"
    consumes: ClassVar[frozenset[str]] = frozenset({"command.input", "auth.attempt"})
    reports: ClassVar[tuple[str, ...]] = ("ftp_traversal",)

    def __init__(self, config: DetectorConfig, node: str) -> None:
        super().__init__(config, node)
        self.reported: Lru[str, bool] = Lru(100_000)
        self.chrooted: Lru[str, bool] = Lru(100_000)

    @staticmethod
    def _session(event: Event) -> str:
        return str(event.session_id or (event.src.ip if event.src else event.event_id))

    def observe(self, event: Event) -> list[Detection]:
        if not isinstance(event, CommandInput | AuthAttempt) or event.protocol != "ftp":
            return []
        session = self._session(event)
        if isinstance(event, AuthAttempt):
            if event.accepted and event.method == "anonymous":
                self.chrooted.set(session, True)
            return []
        arg = path_argument(str(event.command))
        if not arg:
            return []
        jailed = bool(self.chrooted.peek(session)) and arg.startswith("/etc")
        if not (path_escape(arg) or jailed):
            return []
        if event.src is not None and self.config.allowed(event.src.ip):
            return []
        if self.reported.peek(session):
            return []
        self.reported.set(session, True)
        return [
            self.detection(
                rule="ftp_traversal",
                protocol="ftp",
                src=event.src,
                target=event.dst,
                first_seen=event.occurred_at,
                last_seen=event.occurred_at,
                count=1,
                summary=attacker_text(f"FTP path escape attempt: {arg}", 300),
                evidence=(f"event:{event.event_id}",),
            )
        ]
