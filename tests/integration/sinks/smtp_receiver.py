"""A private SMTP receiver for the email sink tests: aiosmtpd's Controller, run as its own
process (so a test can SIGKILL it mid-stream) on 127.0.0.1.

    python smtp_receiver.py PORT OUTDIR [--tls CERT KEY | --smtps CERT KEY]

With ``--tls`` it offers STARTTLS and requires it (``require_starttls``), and AUTH LOGIN/PLAIN
is required (``auth_required``) and only accepted over TLS (``auth_require_tls``). Without it
it offers neither STARTTLS nor AUTH-over-plaintext refusal: AUTH is allowed in clear, so a
test can show that the *client* refuses to send credentials there. ``--smtps`` is implicit
TLS from the first byte (port 465 style), AUTH required.

The accepted ``user:password`` is read from ``OUTDIR/credentials`` at each attempt (a test may
change it). Every AUTH attempt is a JSON line in ``OUTDIR/auth.log`` (mechanism, login, ok,
whether the session was under TLS); every accepted message is ``OUTDIR/mail-<n>.eml``
(written to a temporary name, then renamed). ``OUTDIR/ready`` appears once it listens.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def under_tls(server: Any, session: Any) -> bool:
    """STARTTLS done (``session.ssl``) or implicit TLS (the transport is an SSL one)."""
    transport = getattr(server, "transport", None)
    implicit = transport is not None and transport.get_extra_info("ssl_object") is not None
    return session.ssl is not None or implicit


class Handler:
    def __init__(self, out: Path) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        tmp = self.out / f".{uuid.uuid4().hex}.tmp"
        head = f"X-Test-TLS: {under_tls(server, session)}\r\nX-Test-Rcpt: {','.join(envelope.rcpt_tos)}\r\n"
        tmp.write_bytes(head.encode() + data)
        tmp.rename(self.out / f"mail-{uuid.uuid4().hex}.eml")
        return "250 OK queued"


class Authenticator:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.lock = threading.Lock()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        user, _, password = (self.out / "credentials").read_text().strip().partition(":")
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
        line = {"mechanism": mechanism, "login": login, "ok": ok, "tls": under_tls(server, session)}
        with self.lock, (self.out / "auth.log").open("a") as f:
            f.write(json.dumps(line) + "\n")
        return AuthResult(success=ok, handled=False)


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    tls: ssl.SSLContext | None = None
    smtps: ssl.SSLContext | None = None
    for flag in ("--tls", "--smtps"):
        if flag in sys.argv:
            i = sys.argv.index(flag)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
            tls, smtps = (ctx, None) if flag == "--tls" else (None, ctx)
    controller = Controller(
        Handler(out),
        hostname="127.0.0.1",
        port=port,
        ssl_context=smtps,
        tls_context=tls,
        require_starttls=tls is not None,
        auth_required=True,
        auth_require_tls=tls is not None,
        authenticator=Authenticator(out),
    )
    controller.start()
    (out / "ready").write_text(str(os.getpid()))
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main()
