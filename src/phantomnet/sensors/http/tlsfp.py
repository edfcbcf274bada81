"""JA3 and JA4 of a client's raw ClientHello, with the monitor's parser and fingerprints
(one implementation for wire captures and for the HTTPS honeypot)."""

from __future__ import annotations


def fingerprints(raw: bytes) -> tuple[str | None, str | None]:
    """(JA3, JA4) of the first ClientHello in ``raw``; (None, None) when there is none."""
    from phantomnet.monitor.fingerprints import ja3, ja4
    from phantomnet.monitor.parsers.tls import ClientHello, parse_tls

    result = parse_tls(raw)
    for message in result.messages:
        if isinstance(message, ClientHello):
            return ja3(message)[0], ja4(message)
    return None, None
