"""Pure analysis of a received message: headers, attachments, spoofing signs.

Never raises on malformed mail: the stdlib parser is lenient and every access is guarded;
a message we cannot make sense of is still stored and reported with what could be read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

MAX_ATTACHMENTS = 50


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class Analysis:
    header_from: str | None
    subject: str | None
    attachments: tuple[Attachment, ...]
    spoofing: tuple[str, ...] = field(default=())


def domain_of(address: str | None) -> str:
    if not address or "@" not in address:
        return ""
    return address.rsplit("@", 1)[1].strip().strip(">").lower()


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):  # malformed header
        return None
    return None if value is None else str(value)


def _attachments(msg: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    try:
        parts = list(msg.walk())
    except (ValueError, TypeError, AttributeError):
        return ()
    for part in parts[: MAX_ATTACHMENTS * 4]:
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except (ValueError, TypeError, IndexError, AttributeError):
            continue
        if not filename and disposition != "attachment":
            continue
        try:
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
        except (ValueError, TypeError, AssertionError):
            payload = b""
        found.append(Attachment(str(filename or "unnamed"), part.get_content_type(), payload))
        if len(found) >= MAX_ATTACHMENTS:
            break
    return tuple(found)


def spoofing_signs(
    mail_from: str,
    header_from: str | None,
    reply_to: str | None,
    local_domains: set[str],
    authenticated: bool,
) -> tuple[str, ...]:
    """Why this message looks forged (empty when it does not).

    * ``envelope_mismatch``: envelope sender's domain differs from the From: header's.
    * ``display_name_spoof``: the display name shows an address other than the real one.
    * ``local_domain_spoof``: From: claims one of our own domains without authentication.
    * ``reply_to_mismatch``: replies would go to another domain than From:.
    """
    signs: list[str] = []
    name, addr = parseaddr(header_from or "")
    env_domain, hdr_domain = domain_of(mail_from), domain_of(addr)
    if env_domain and hdr_domain and env_domain != hdr_domain:
        signs.append("envelope_mismatch")
    shown = [a for _, a in getaddresses([name]) if "@" in a] if "@" in name else []
    if any(a.lower() != addr.lower() for a in shown):
        signs.append("display_name_spoof")
    if hdr_domain in local_domains and not authenticated:
        signs.append("local_domain_spoof")
    rt_domain = domain_of(parseaddr(reply_to or "")[1])
    if rt_domain and hdr_domain and rt_domain != hdr_domain:
        signs.append("reply_to_mismatch")
    return tuple(signs)


def analyse(
    raw: bytes, *, mail_from: str, local_domains: set[str], authenticated: bool
) -> Analysis:
    msg: EmailMessage | Message = BytesParser(policy=policy.compat32).parsebytes(raw)
    header_from = _header(msg, "From")
    return Analysis(
        header_from=header_from,
        subject=_header(msg, "Subject"),
        attachments=_attachments(msg),
        spoofing=spoofing_signs(
            mail_from, header_from, _header(msg, "Reply-To"), local_domains, authenticated
        ),
    )


__all__ = ["Analysis", "Attachment", "analyse", "domain_of", "spoofing_signs"]
