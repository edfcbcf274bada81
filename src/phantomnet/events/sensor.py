"""Events produced by honeypot sensors (one model per kind)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from phantomnet.events.base import AttackerText, EventBase, Frozen

#: Protocols a sensor or the monitor may name.
Protocol = Literal[
    "ssh",
    "telnet",
    "http",
    "https",
    "ftp",
    "smtp",
    "mysql",
    "postgresql",
    "tcp",
    "udp",
    "icmp",
    "dns",
    "tls",
    "other",
]


class ConnectionOpened(EventBase):
    """A client connected to a sensor."""

    kind: Literal["connection.opened"] = "connection.opened"
    protocol: Protocol


class ConnectionClosed(EventBase):
    """A sensor connection ended. ``reason``: peer, timeout, limit, shutdown, error, tarpit."""

    kind: Literal["connection.closed"] = "connection.closed"
    protocol: Protocol
    reason: str = Field(default="peer", max_length=64)
    duration_s: float = Field(default=0.0, ge=0)
    bytes_in: int = Field(default=0, ge=0)
    bytes_out: int = Field(default=0, ge=0)
    recording: str | None = Field(default=None, max_length=256)


class AuthAttempt(EventBase):
    """A client offered credentials. ``accepted`` is what the sensor answered."""

    kind: Literal["auth.attempt"] = "auth.attempt"
    protocol: Protocol
    method: Literal[
        "password",
        "publickey",
        "keyboard-interactive",
        "anonymous",
        "plain",
        "login",
        "cram-md5",
        "form",
        "basic",
        "native",
        "other",
    ] = "password"
    username: AttackerText
    password: AttackerText | None = None
    key_fingerprint: str | None = Field(default=None, max_length=128)
    key_type: str | None = Field(default=None, max_length=64)
    accepted: bool
    client_version: AttackerText | None = None
    hassh: str | None = Field(default=None, max_length=64)


class CommandInput(EventBase):
    """A command line an attacker entered (shell, FTP verb, SMTP verb, SQL is ``db.query``)."""

    kind: Literal["command.input"] = "command.input"
    protocol: Protocol
    command: AttackerText
    known: bool = True


class CommandError(EventBase):
    """A command line failed inside the emulator or went over a budget of the fake shell.

    ``reason``: ``memory`` (string/variable budget), ``cpu``, ``time`` (wall time of the
    line), ``emulator`` (a command's emulation raised). The session goes on; the line's
    ``command.input`` was published before it ran."""

    kind: Literal["command.error"] = "command.error"
    protocol: Protocol
    command: AttackerText
    reason: Literal["memory", "cpu", "time", "emulator"]
    detail: AttackerText = ""


class SessionRequest(EventBase):
    """A client asked for more than a shell: port forwarding, agent or X11 forwarding, a
    subsystem, an environment variable. ``accepted`` is what the sensor answered."""

    kind: Literal["session.request"] = "session.request"
    protocol: Protocol
    request: Literal[
        "direct-tcpip", "forwarded-tcpip", "tcpip-forward", "streamlocal", "agent", "x11",
        "subsystem", "env", "other",
    ]  # fmt: skip
    target: AttackerText = ""
    accepted: bool = False


class FileUpload(EventBase):
    """An attacker sent a file; it is stored under its SHA-256 name, size-capped."""

    kind: Literal["file.upload"] = "file.upload"
    protocol: Protocol
    filename: AttackerText
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    truncated: bool = False
    stored_as: str | None = Field(default=None, max_length=256)
    #: why the body was not (fully) stored: ``quota`` (the attacker's), ``disk`` (the
    #: global budget of uploads, recordings and mail), ``size`` (one file's cap)
    refused: Literal["quota", "disk", "size"] | None = None


class FileDownload(EventBase):
    """An attacker asked the host to fetch something (wget/curl/tftp). ``fetched`` is false
    unless the operator enabled real downloads."""

    kind: Literal["file.download"] = "file.download"
    protocol: Protocol
    url: AttackerText
    filename: AttackerText | None = None
    fetched: bool = False
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(default=None, ge=0)


class HttpRequest(EventBase):
    """One HTTP request received by the HTTP(S) sensor."""

    kind: Literal["http.request"] = "http.request"
    method: AttackerText
    path: AttackerText
    query: AttackerText = ""
    host: AttackerText | None = None
    headers: tuple[tuple[AttackerText, AttackerText], ...] = ()
    body_excerpt: AttackerText = ""
    body_size: int = Field(default=0, ge=0)
    user_agent: AttackerText | None = None
    status: int = Field(default=200, ge=100, le=599)
    tls: bool = False
    ja3: str | None = Field(default=None, max_length=64)
    ja4: str | None = Field(default=None, max_length=64)
    tags: tuple[str, ...] = ()
    #: URLs the request made the emulated server try to load (XXE entities, pingback
    #: sources): recorded, never fetched
    outbound: tuple[AttackerText, ...] = ()


class SmtpAttachment(Frozen):
    filename: AttackerText
    content_type: AttackerText
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class SmtpMessage(EventBase):
    """A message accepted by the SMTP sensor (never delivered)."""

    kind: Literal["smtp.message"] = "smtp.message"
    helo: AttackerText | None = None
    mail_from: AttackerText
    rcpt_to: tuple[AttackerText, ...]
    header_from: AttackerText | None = None
    subject: AttackerText | None = None
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    truncated: bool = False
    attachments: tuple[SmtpAttachment, ...] = ()
    spoofing: tuple[str, ...] = ()
    spam_trap: bool = False
    authenticated_as: AttackerText | None = None
    stored_as: str | None = Field(default=None, max_length=256)


class DbQuery(EventBase):
    """A query sent to a database honeypot."""

    kind: Literal["db.query"] = "db.query"
    protocol: Protocol
    query: AttackerText
    database: AttackerText | None = None
    #: rows returned or changed; None when the statement failed
    rows: int | None = None
    #: the server's error code as the client saw it (MySQL errno, PostgreSQL SQLSTATE)
    error_code: str | None = None
    duration_ms: float | None = None


class ClientFingerprint(EventBase):
    """A fingerprint of the client software (HASSH, JA3, JA4, user agent, SSH version...)."""

    kind: Literal["client.fingerprint"] = "client.fingerprint"
    protocol: Protocol
    method: Literal[
        "hassh",
        "hassh_server",
        "ja3",
        "ja3s",
        "ja4",
        "user_agent",
        "ssh_version",
        "smtp_ehlo",
        "ftp_client",
    ]
    value: AttackerText
    raw: AttackerText | None = None


class HoneytokenTriggered(EventBase):
    """A planted credential, file or URL was used."""

    kind: Literal["honeytoken.triggered"] = "honeytoken.triggered"
    token_id: str = Field(max_length=128)
    token_kind: str = Field(max_length=64)
    protocol: Protocol
    detail: AttackerText = ""


class SensorStatus(EventBase):
    """Heartbeat of a running component (sensor, monitor, writer...), every few seconds."""

    kind: Literal["sensor.status"] = "sensor.status"
    state: Literal["starting", "up", "degraded", "stopping", "down"]
    listen: str | None = Field(default=None, max_length=128)
    connections: int = Field(default=0, ge=0)
    events: int = Field(default=0, ge=0)
    detail: str = Field(default="", max_length=512)
