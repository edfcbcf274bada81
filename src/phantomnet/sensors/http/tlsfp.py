"""JA3 and JA4 of a client's raw ClientHello, with the shared TLS parser and fingerprints
(``phantomnet.analyzers``: one implementation for wire captures and the HTTPS honeypot)."""

from __future__ import annotations

from phantomnet.analyzers.fingerprints import ja3, ja4
from phantomnet.analyzers.tls import ClientHello, parse_tls


def fingerprints(raw: bytes) -> tuple[str | None, str | None]:
    """(JA3, JA4) of the first ClientHello in ``raw``; (None, None) when there is none."""
    for message in parse_tls(raw).messages:
        if isinstance(message, ClientHello):
            return ja3(message)[0], ja4(message)
    return None, None
