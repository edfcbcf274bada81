"""The parsed request every web handler receives, and the site state they share."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from phantomnet.deception.host import FakeHost
    from phantomnet.sensors.base import Session
    from phantomnet.sensors.http.shopdb import ShopDb

MAX_FILES = 10


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    """One request as the honeypot saw it (raw target and header order kept)."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    session: Session
    port: int
    tls: bool
    path: str = ""
    query: str = ""
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path, self.query = split_target(self.target)
        self.params = dict(parse_qsl(self.query, keep_blank_values=True))
        ctype = self.header("content-type") or ""
        if ctype.startswith("application/x-www-form-urlencoded"):
            self.form = dict(parse_qsl(self.body.decode("latin-1"), keep_blank_values=True))
        elif ctype.startswith("multipart/form-data"):
            self.form, self.files = parse_multipart(ctype, self.body)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    @property
    def host_name(self) -> str:
        host = self.header("host") or ""
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)

    @property
    def client_ip(self) -> str:
        return self.session.src.ip


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of an origin-form target. Not ``urlsplit``: it reads ``//[`` as a
    broken IPv6 netloc and raises, and ``//host/x`` is a path to httpd, not an authority."""
    rest = target if target.startswith("/") else "/" + target
    rest = rest.split("#", 1)[0]
    path, _, query = rest.partition("?")
    return path, query


def parse_multipart(ctype: str, body: bytes) -> tuple[dict[str, str], list[Upload]]:
    """Form fields and files of a multipart body (lenient: bad parts are skipped)."""
    raw = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    fields: dict[str, str] = {}
    files: list[Upload] = []
    if not msg.is_multipart():
        return fields, files
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        payload: Any = part.get_payload(decode=True) or b""
        if filename is not None and len(files) < MAX_FILES:
            files.append(Upload(name, filename, part.get_content_type(), bytes(payload)))
        else:
            fields[name] = bytes(payload).decode("utf-8", "replace")
    return fields, files


@dataclass
class Site:
    """What the handlers share: the fake host, its database, names and versions."""

    host: FakeHost
    db: ShopDb
    server: str
    company: str
    hostname: str
    wp_users: tuple[str, ...]
    max_upload_bytes: int
    tls_port: int | None = None
    counters: dict[str, int] = field(default_factory=dict)
