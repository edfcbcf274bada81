"""JA3 and JA4 of a client's raw ClientHello, with the monitor's parser and fingerprints
(one implementation for wire captures and for the HTTPS honeypot)."""

from __future__ import annotations

import importlib
from typing import Any


def _monitor() -> tuple[Any, Any] | None:
    """The monitor's TLS parser and fingerprint modules, or None while they are absent."""
    try:
        tls = importlib.import_module("phantomnet.monitor.parsers.tls")
        fp = importlib.import_module("phantomnet.monitor.fingerprints")
    except ImportError:
        return None
    return tls, fp


def fingerprints(raw: bytes) -> tuple[str | None, str | None]:
    """(JA3, JA4) of the first ClientHello in ``raw``; (None, None) when there is none
    (or when the monitor package that computes them is not installed)."""
    modules = _monitor()
    if modules is None:
        return None, None
    tls, fp = modules
    result = tls.parse_tls(raw)
    for message in result.messages:
        if isinstance(message, tls.ClientHello):
            return str(fp.ja3(message)[0]), str(fp.ja4(message))
    return None, None
