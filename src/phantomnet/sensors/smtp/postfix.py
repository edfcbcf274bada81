"""Postfix wording (Debian 12, Postfix 3.7) for everything the SMTP sensor says.

aiosmtpd speaks its own dialect ("500 Error: command "X" not recognized", "250 OK"...), which
honeypot detectors match on. Every reply passes through :func:`translate`, a table from
aiosmtpd's fixed texts to what Postfix says in the same situation.
"""

from __future__ import annotations

import secrets

EXACT: dict[str, str] = {
    "250 OK": "250 2.0.0 Ok",
    "221 Bye": "221 2.0.0 Bye",
    "500 Error: bad syntax": "500 5.5.2 Error: bad syntax",
    "500 Command line too long": "500 5.5.2 Error: command too long",
    "500 Error: strict ASCII mode": "500 5.5.2 Error: bad UTF-8 syntax",
    "503 Error: send HELO first": "503 5.5.1 Error: send HELO/EHLO first",
    "503 Error: send EHLO first": "503 5.5.1 Error: send HELO/EHLO first",
    "503 Error: need MAIL command": "503 5.5.1 Error: need MAIL command",
    "503 Error: need RCPT command": "503 5.5.1 Error: need RCPT command",
    "503 Error: nested MAIL command": "503 5.5.1 Error: nested MAIL command",
    "501 Syntax: HELO hostname": "501 Syntax: HELO hostname",
    "501 Syntax: EHLO hostname": "501 Syntax: EHLO hostname",
    "501 Syntax: MAIL FROM: <address>": "501 5.5.4 Syntax: MAIL FROM:<address>",
    "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]": (
        "501 5.5.4 Syntax: MAIL FROM:<address>"
    ),
    "501 Syntax: RCPT TO: <address>": "501 5.5.4 Syntax: RCPT TO:<address>",
    "501 Syntax: RCPT TO: <address> [SP <mail-parameters>]": (
        "501 5.5.4 Syntax: RCPT TO:<address>"
    ),
    "501 Syntax: DATA": "501 5.5.4 Syntax: DATA",
    "501 Syntax: QUIT": "501 5.5.4 Syntax: QUIT",
    "501 Syntax: RSET": "501 5.5.4 Syntax: RSET",
    "501 Syntax: STARTTLS": "501 5.5.4 Syntax: STARTTLS",
    "501 Syntax: VRFY <address>": "501 5.5.4 Syntax: VRFY address [SMTPUTF8]",
    "220 Ready to start TLS": "220 2.0.0 Ready to start TLS",
    "454 TLS not available": "454 4.7.0 TLS not available due to local problem",
    "503 Already authenticated": "503 5.5.1 Error: already authenticated",
    "501 Not enough value": "501 5.5.4 Syntax: AUTH mechanism",
    "501 Too many values": "501 5.5.4 Syntax: AUTH mechanism",
    "504 5.5.4 Unrecognized authentication type": (
        "535 5.7.8 Error: authentication failed: Invalid authentication mechanism"
    ),
    "501 5.7.0 Auth aborted": "501 5.7.0 Authentication aborted",
    "501 5.5.2 Can't decode base64": "501 5.5.2 Cannot decode response",
    "501 5.5.2 Can't split auth value": (
        "535 5.7.8 Error: authentication failed: Invalid authentication mechanism"
    ),
    "535 5.7.8 Authentication credentials invalid": (
        "535 5.7.8 Error: authentication failed: authentication failure"
    ),
    "553 5.1.3 Error: malformed address": "501 5.1.7 Bad sender address syntax",
    "552 Error: Too much mail data": "552 5.3.4 Error: message file too big",
    "500 Line too long (see RFC5321 4.5.3.1.6)": "500 5.5.2 Error: line too long",
    "554 Command refused due to lack of security": "554 5.7.0 Error: TLS handshake failed",
}

PREFIXES: tuple[tuple[str, str], ...] = (
    ("500 Error: command ", "502 5.5.2 Error: command not recognized"),
    ("502 5.5.1 Too many unrecognized commands", "421 4.7.0 Error: too many errors"),
    ("500 Error: (", "451 4.3.0 Error: queue file write error"),
    ("502 Could not VRFY", "501 5.1.3 Bad recipient address syntax"),
    ("501 Syntax: VRFY", "501 5.5.4 Syntax: VRFY address [SMTPUTF8]"),
)


def translate(reply: str) -> str:
    """aiosmtpd's reply → Postfix's reply (unchanged when already Postfix-shaped)."""
    if reply in EXACT:
        return EXACT[reply]
    for prefix, postfix in PREFIXES:
        if reply.startswith(prefix):
            return postfix
    return reply


def ehlo_lines(hostname: str, *, size: int, starttls: bool, auth: bool) -> list[str]:
    """The EHLO answer of a stock Debian 12 Postfix with SASL enabled."""
    ext = ["PIPELINING", f"SIZE {size}", "VRFY", "ETRN"]
    if starttls:
        ext.append("STARTTLS")
    if auth:
        ext.append("AUTH PLAIN LOGIN")
    ext += ["ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"]
    lines = [f"250-{hostname}"] + [f"250-{e}" for e in ext[:-1]]
    return [*lines, f"250 {ext[-1]}"]


def queue_id() -> str:
    """A Postfix short queue id: 10 upper-case hex digits, new every message."""
    return secrets.token_hex(5).upper()


def greeting(hostname: str) -> str:
    return f"220 {hostname} ESMTP Postfix (Debian/GNU)"


def vrfy_reply(local_part: str, known: bool) -> str:
    if known:
        return f"252 2.0.0 {local_part}"
    return (
        f"550 5.1.1 <{local_part}>: Recipient address rejected: "
        "User unknown in local recipient table"
    )
