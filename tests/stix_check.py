"""Validate STIX text with the OASIS validator (PyPI stix2-validator): no error, and only the
warnings docs/sinks.md explains."""

from __future__ import annotations

import re

#: validator warning codes our bundles keep on purpose (docs/sinks.md, "STIX mapping"):
EXPLAINED = {
    # deterministic (uuid5) ids on SDOs/SROs/bundles: STIX prefers uuid4 there, but the
    # same event must yield the same objects (idempotent retries, TAXII de-duplication)
    "103": "id is not a UUIDv4",
    # the ATT&CK external reference carries the technique page URL without a hash of it,
    # as MITRE's own ATT&CK STIX data does
    "302": "external reference URL without hash",
    # network-traffic without both ports: the event had no port (ICMP, ARP, honeytokens)
    "301": "network-traffic lacks a port",
}
_CODE = re.compile(r"\{(\d{3})\}")


def validate(text: str) -> list[str]:
    """The warnings of a valid bundle; fails the test on any error or unexplained warning."""
    from stix2validator import ValidationOptions, validate_string

    result = validate_string(text, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    assert result.is_valid and not errors, errors
    warnings = [str(w) for w in result.warnings]
    for warning in warnings:
        m = _CODE.search(warning)
        assert m is not None and m.group(1) in EXPLAINED, warning
    return warnings
