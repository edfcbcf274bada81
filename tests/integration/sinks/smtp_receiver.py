"""A private SMTP receiver for the email sink tests: aiosmtpd's Controller, run as its own
process (so a test can SIGKILL it mid-stream) on 127.0.0.1.

    python smtp_receiver.py PORT OUTDIR [--tls CERT KEY]

With ``--tls`` it offers STARTTLS and requires it (``require_starttls``), and AUTH LOGIN/PLAIN
is required (``auth_required``) and only accepted over TLS (``auth_require_tls``). Without it
it offers neither STARTTLS nor AUTH-over-plaintext refusal: AUTH is allowed in clear, so a
test can show that the *client* refuses to send credentials there.

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


class Handler:
    def __init__(self, out: Path) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        tmp = self.out / f".{uuid.uuid4().hex}.tmp"
        head = f"X-Test-TLS: {session.ssl is not None}\r\nX-Test-Rcpt: {','.join(envelope.rcpt_tos)}\r\n"
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
        line = {"mechanism": mechanism, "login": login, "ok": ok, "tls": session.ssl is not None}
        with self.lock, (self.out / "auth.log").open("a") as f:
            f.write(json.dumps(line) + "\n")
        return AuthResult(success=ok, handled=False)


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    tls: ssl.SSLContext | None = None
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    controller = Controller(
        Handler(out),
        hostname="127.0.0.1",
        port=port,
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
