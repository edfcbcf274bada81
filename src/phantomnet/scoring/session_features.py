"""Honeypot-session features: sensor events grouped by ``session_id``.

A session is scored when it closes (``connection.closed``), at checkpoints while it is long
(16, 64, 256, ... events, so a brute-force session is scored before it ends) and when it has
been idle for ``idle_s``. Events without a ``session_id`` (e.g. an HTTP sensor that does not
track connections) are grouped by source address and component instead.

Usernames, passwords, user agents and addresses are never features; only their behaviour is
(how many distinct usernames, how often authentication failed, how random commands look...).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from uuid import UUID

from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    ConnectionClosed,
    DbQuery,
    Endpoint,
    Event,
    FileDownload,
    FileUpload,
    HoneytokenTriggered,
    HttpRequest,
    SmtpMessage,
)
from phantomnet.scoring.features import FeatureSpec, SourceTally, Subject, shannon_entropy

SESSION_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("duration_s", "first to last event of the session, seconds"),
    FeatureSpec("events", "number of sensor events in the session"),
    FeatureSpec("events_per_s", "events per second (duration floored at 1 s)"),
    FeatureSpec("iat_mean_s", "mean time between consecutive events, seconds"),
    FeatureSpec("iat_std_s", "standard deviation of the time between events, seconds"),
    FeatureSpec("auth_attempts", "authentication attempts"),
    FeatureSpec("auth_failed_ratio", "failed attempts / attempts (0 without attempts)"),
    FeatureSpec("auth_accepted", "1 if any attempt was accepted"),
    FeatureSpec("distinct_usernames", "distinct usernames tried (capped at 256)"),
    FeatureSpec("distinct_passwords", "distinct passwords tried (capped at 256)"),
    FeatureSpec("commands", "command lines entered"),
    FeatureSpec("command_distinct_ratio", "distinct commands / commands"),
    FeatureSpec("command_entropy", "mean Shannon entropy of command lines (bits/char)"),
    FeatureSpec("command_len", "mean command line length (chars)"),
    FeatureSpec("http_requests", "HTTP requests"),
    FeatureSpec("http_error_ratio", "share of HTTP answers with status >= 400"),
    FeatureSpec("http_distinct_path_ratio", "distinct paths / requests"),
    FeatureSpec("http_post_ratio", "share of requests that are not GET/HEAD"),
    FeatureSpec("payload_entropy", "mean entropy of query + body excerpt (bits/char)"),
    FeatureSpec("payload_len", "mean length of path + query + body excerpt (chars)"),
    FeatureSpec(
        "special_char_ratio",
        "share of quote/angle/pipe/semicolon/dollar/percent"
        " characters in paths, queries, bodies and commands",
    ),
    FeatureSpec("uploads", "files uploaded"),
    FeatureSpec("upload_bytes_log", "log1p of bytes uploaded"),
    FeatureSpec("downloads", "download requests (wget/curl/tftp inside the honeypot)"),
    FeatureSpec("db_queries", "database queries"),
    FeatureSpec("smtp_messages", "e-mail messages accepted"),
    FeatureSpec("honeytokens", "honeytokens triggered"),
    FeatureSpec("bytes_in_log", "log1p of bytes received (from connection.closed)"),
    FeatureSpec("bytes_out_log", "log1p of bytes sent (from connection.closed)"),
    FeatureSpec("proto_ssh", "session protocol is SSH or Telnet"),
    FeatureSpec("proto_http", "session protocol is HTTP(S)"),
    FeatureSpec("proto_mail_ftp", "session protocol is FTP or SMTP"),
    FeatureSpec("proto_db", "session protocol is MySQL or PostgreSQL"),
    FeatureSpec("ctx_sessions", "sessions the same source opened in the context window"),
    FeatureSpec(
        "ctx_auth_failed",
        "failed authentications of that source in the window, "
        "across all its sessions (hydra spreads attempts over connections)",
    ),
    FeatureSpec("ctx_requests", "HTTP requests of that source in the window"),
)

SPECIAL = frozenset("'\"<>;|&$`(){}\\%")
_DISTINCT_CAP = 256
SESSION_KINDS = frozenset(
    {
        "connection.opened",
        "connection.closed",
        "auth.attempt",
        "command.input",
        "file.upload",
        "file.download",
        "http.request",
        "smtp.message",
        "db.query",
        "honeytoken.triggered",
        "client.fingerprint",
    }
)
_PROTO_GROUP = {
    "ssh": 0,
    "telnet": 0,
    "http": 1,
    "https": 1,
    "ftp": 2,
    "smtp": 2,
    "mysql": 3,
    "postgresql": 3,
}


@dataclass(slots=True)
class _Session:
    key: UUID | str
    session_id: UUID | None
    src: Endpoint | None
    dst: Endpoint | None
    first: float
    last: float
    protocol: str | None = None
    events: int = 0
    iat_n: int = 0
    iat_mean: float = 0.0
    iat_m2: float = 0.0
    auth: int = 0
    auth_failed: int = 0
    auth_ok: bool = False
    usernames: set[str] = field(default_factory=set)
    passwords: set[str] = field(default_factory=set)
    commands: int = 0
    command_set: set[str] = field(default_factory=set)
    command_entropy: float = 0.0
    command_len: int = 0
    http: int = 0
    http_err: int = 0
    http_post: int = 0
    paths: set[str] = field(default_factory=set)
    payload_entropy: float = 0.0
    payload_len: int = 0
    special: int = 0
    chars: int = 0
    uploads: int = 0
    upload_bytes: int = 0
    downloads: int = 0
    db: int = 0
    smtp: int = 0
    tokens: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    checkpoint: int = 16
    last_event: UUID | None = None

    def tick(self, t: float) -> None:
        if self.events:
            gap = max(t - self.last, 0.0)
            self.iat_n += 1
            delta = gap - self.iat_mean
            self.iat_mean += delta / self.iat_n
            self.iat_m2 += delta * (gap - self.iat_mean)
        self.events += 1
        self.last = max(self.last, t)

    def text(self, value: str) -> None:
        self.chars += len(value)
        self.special += sum(1 for ch in value if ch in SPECIAL)

    def vector(self) -> tuple[float, ...]:
        dur = max(self.last - self.first, 0.0)
        iat_std = math.sqrt(self.iat_m2 / self.iat_n) if self.iat_n > 1 else 0.0
        group = _PROTO_GROUP.get(self.protocol or "", -1)
        return (
            dur,
            float(self.events),
            self.events / max(dur, 1.0),
            self.iat_mean,
            iat_std,
            float(self.auth),
            self.auth_failed / self.auth if self.auth else 0.0,
            float(self.auth_ok),
            float(len(self.usernames)),
            float(len(self.passwords)),
            float(self.commands),
            len(self.command_set) / self.commands if self.commands else 0.0,
            self.command_entropy / self.commands if self.commands else 0.0,
            self.command_len / self.commands if self.commands else 0.0,
            float(self.http),
            self.http_err / self.http if self.http else 0.0,
            len(self.paths) / self.http if self.http else 0.0,
            self.http_post / self.http if self.http else 0.0,
            self.payload_entropy / self.http if self.http else 0.0,
            self.payload_len / self.http if self.http else 0.0,
            self.special / self.chars if self.chars else 0.0,
            float(self.uploads),
            math.log1p(self.upload_bytes),
            float(self.downloads),
            float(self.db),
            float(self.smtp),
            float(self.tokens),
            math.log1p(self.bytes_in),
            math.log1p(self.bytes_out),
            float(group == 0),
            float(group == 1),
            float(group == 2),
            float(group == 3),
        )


def _add_capped(values: set[str], value: str) -> None:
    if len(values) < _DISTINCT_CAP:
        values.add(value)


def _auth(s: _Session, e: AuthAttempt) -> None:
    s.auth += 1
    s.auth_failed += not e.accepted
    s.auth_ok = s.auth_ok or e.accepted
    _add_capped(s.usernames, e.username)
    if e.password is not None:
        _add_capped(s.passwords, e.password)


def _command(s: _Session, e: CommandInput) -> None:
    s.commands += 1
    _add_capped(s.command_set, e.command)
    s.command_entropy += shannon_entropy(e.command)
    s.command_len += len(e.command)
    s.text(e.command)


def _http(s: _Session, e: HttpRequest) -> None:
    s.protocol = s.protocol or ("https" if e.tls else "http")
    s.http += 1
    s.http_err += e.status >= 400
    s.http_post += e.method not in ("GET", "HEAD")
    _add_capped(s.paths, e.path)
    payload = e.query + e.body_excerpt
    s.payload_entropy += shannon_entropy(payload)
    s.payload_len += len(e.path) + len(payload)
    s.text(e.path + payload)


def _closed(s: _Session, e: ConnectionClosed) -> None:
    s.bytes_in += e.bytes_in
    s.bytes_out += e.bytes_out


def _upload(s: _Session, e: FileUpload) -> None:
    s.uploads += 1
    s.upload_bytes += e.size


def _download(s: _Session, e: FileDownload) -> None:
    s.downloads += 1
    s.text(e.url)


def _db(s: _Session, e: DbQuery) -> None:
    s.db += 1
    s.text(e.query)


def _smtp(s: _Session, _e: SmtpMessage) -> None:
    s.smtp += 1


def _token(s: _Session, _e: HoneytokenTriggered) -> None:
    s.tokens += 1


_TALLY: dict[type, str] = {AuthAttempt: "auth_failed", HttpRequest: "request"}
_UPDATES: dict[type, object] = {
    AuthAttempt: _auth,
    CommandInput: _command,
    HttpRequest: _http,
    ConnectionClosed: _closed,
    FileUpload: _upload,
    FileDownload: _download,
    DbQuery: _db,
    SmtpMessage: _smtp,
    HoneytokenTriggered: _token,
}


class SessionFeatures:
    """Bounded per-session accumulators (LRU); see the module docstring for when it emits."""

    def __init__(
        self, *, idle_s: float = 300.0, max_sessions: int = 20_000, context_window_s: float = 120.0
    ) -> None:
        self.idle_s = idle_s
        self.max_sessions = max_sessions
        self._open: OrderedDict[UUID | str, _Session] = OrderedDict()
        self.context = SourceTally(("session", "auth_failed", "request"), context_window_s)
        self.names = tuple(s.name for s in SESSION_FEATURES)

    def observe(self, event: Event) -> list[Subject]:
        if event.kind not in SESSION_KINDS:
            return []
        key: UUID | str
        if event.session_id is not None:
            key = event.session_id
        else:
            key = f"{event.src.ip if event.src else '?'}|{event.sensor.component}"
        t = event.occurred_at.timestamp()
        out: list[Subject] = []
        src = event.src.ip if event.src else "?"
        sess = self._open.get(key)
        if sess is None:
            sess = _Session(key, event.session_id, event.src, event.dst, t, t)
            self._open[key] = sess
            self.context.add(src, t, "session")
            if len(self._open) > self.max_sessions:
                out.append(self._subject(self._open.popitem(last=False)[1]))
        else:
            self._open.move_to_end(key)
        sess.tick(t)
        sess.last_event = event.event_id
        sess.protocol = sess.protocol or getattr(event, "protocol", None)
        update = _UPDATES.get(type(event))
        if update is not None:
            update(sess, event)  # type: ignore[operator]
        tally = _TALLY.get(type(event))
        if tally is not None and (not isinstance(event, AuthAttempt) or not event.accepted):
            self.context.add(src, t, tally)
        if isinstance(event, ConnectionClosed):
            del self._open[key]
            out.append(self._subject(sess))
        elif sess.events >= sess.checkpoint:
            sess.checkpoint *= 4
            out.append(self._subject(sess))
        return out

    def expire(self, now: float) -> list[Subject]:
        """Close and return sessions idle since before ``now - idle_s``."""
        out: list[Subject] = []
        while self._open:
            sess = next(iter(self._open.values()))
            if sess.last >= now - self.idle_s:
                break
            self._open.popitem(last=False)
            out.append(self._subject(sess))
        return out

    def _subject(self, s: _Session) -> Subject:
        proto = s.protocol if s.protocol is not None else ("http" if s.http else None)
        ctx = self.context.counts(s.src.ip if s.src else "?", s.last)
        return Subject(
            "session",
            "session",
            s.last_event,
            s.session_id,
            s.src,
            s.dst,
            proto,
            (*s.vector(), *ctx),
        )

    def __len__(self) -> int:
        return len(self._open)
