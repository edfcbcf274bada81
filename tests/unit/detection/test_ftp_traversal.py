"""ftp_traversal over the FTP door's facts: path escapes, /etc in an anonymous (chrooted)
session, once per session; other verbs, protocols and plain navigation stay quiet."""

from __future__ import annotations

from uuid import uuid4

from phantomnet.detection.config import DetectorConfig
from phantomnet.detection.ftp_traversal import FtpTraversal, path_argument
from phantomnet.events import AuthAttempt, CommandInput, Endpoint, Event, SensorRef

REF = SensorRef(node="n", component="ftp")
SRC, DST = Endpoint(ip="198.51.100.4", port=40000), Endpoint(ip="10.0.0.1", port=2121)


def cmd(session: object, line: str, protocol: str = "ftp") -> CommandInput:
    return CommandInput(sensor=REF, session_id=session, src=SRC, dst=DST,  # type: ignore[arg-type]
                        protocol=protocol, command=line)  # fmt: skip


def login(session: object, anonymous: bool) -> AuthAttempt:
    return AuthAttempt(
        sensor=REF, session_id=session, src=SRC, dst=DST, protocol="ftp",  # type: ignore[arg-type]
        username="anonymous" if anonymous else "root", password="x", accepted=True,
        method="anonymous" if anonymous else "password",
    )  # fmt: skip


def rules(events: list[Event]) -> list[str]:
    det = FtpTraversal(DetectorConfig(), "n")
    return [d.rule for e in events for d in det.observe(e)]


def test_escape_once_per_session() -> None:
    s = uuid4()
    assert rules([cmd(s, "CWD .."), cmd(s, "RETR ../../etc/shadow")]) == ["ftp_traversal"]
    assert rules([cmd(uuid4(), "LIST -la ~root")]) == ["ftp_traversal"]


def test_etc_counts_only_in_an_anonymous_session() -> None:
    anon, user = uuid4(), uuid4()
    assert rules([login(anon, True), cmd(anon, "CWD /etc")]) == ["ftp_traversal"]
    assert rules([login(user, False), cmd(user, "CWD /etc")]) == []


def test_quiet_cases() -> None:
    s = uuid4()
    quiet = [cmd(s, "CWD pub"), cmd(s, "CWD pub/../incoming"), cmd(s, "USER .."),
             cmd(s, "cd ../..", protocol="ssh")]  # fmt: skip
    assert rules(quiet) == []
    assert path_argument("PASS ../..") is None and path_argument("list -l /x") == "/x"
