"""Pure analyzers over bytes and request text, shared by the sensors and the monitor.

Protocol parsers (ARP, DNS, HTTP, QUIC, SSH, TLS, X.509) return a parsed message, ``None``
(incomplete or not this protocol) or an :class:`~phantomnet.analyzers.base.Anomaly`, and
never raise. :mod:`~phantomnet.analyzers.fingerprints` computes JA3/JA3S/JA4/HASSH and
:mod:`~phantomnet.analyzers.web` classifies web attacks. This is a leaf layer: it imports
only ``phantomnet.events`` and ``phantomnet.errors`` (and third-party libraries).
"""
