"""Block targets: one address or a network, validated and in canonical text.

A target is an IPv4/IPv6 address (``203.0.113.7``) or a network in CIDR form
(``203.0.113.0/24``) no wider than the configured minimum prefix. Nothing else: no IPv6 zone
id (``fe80::1%eth0`` would be accepted by :mod:`ipaddress` but no firewall set takes it), no
host name, no netmask form. IPv4-mapped IPv6 addresses
become IPv4. Canonical text never carries ``/32`` or ``/128``: that is how targets are compared
with the database and with what the firewall lists.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from phantomnet.errors import BlockRefused, InvalidInput

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: what a literal target may look like before ipaddress reads it: hex digits, dots and colons,
#: then an optional decimal prefix length (no zone ids, host names, masks or spaces)
_SHAPE = re.compile(r"[0-9A-Fa-f:.]{2,45}(/[0-9]{1,3})?")


@dataclass(frozen=True)
class Target:
    """A validated block target."""

    network: IPNetwork

    @property
    def version(self) -> int:
        return self.network.version

    @property
    def single(self) -> bool:
        """True for one address (a /32 or /128)."""
        return self.network.prefixlen == self.network.max_prefixlen

    @cached_property
    def text(self) -> str:
        return canonical(self.network)

    def __str__(self) -> str:
        return self.text


def canonical(network: IPNetwork) -> str:
    """``10.0.0.1`` for a host, ``10.0.0.0/24`` for a network."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _unmap(network: IPNetwork) -> IPNetwork:
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None and network.prefixlen >= 96:
            return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


@lru_cache(maxsize=262_144)
def parse_target(text: str, *, min_prefix_v4: int = 16, min_prefix_v6: int = 48) -> Target:
    """Validate ``text`` as a block target.

    Raises :class:`InvalidInput` when it is not an address or network (or has host bits set),
    and :class:`BlockRefused` when it is wider than allowed or can never be a valid source
    (unspecified, multicast, broadcast).
    """
    raw = text.strip()
    if not raw or len(raw) > 64:
        raise InvalidInput(f"not an IP address or network: {text[:64]!r}")
    if "%" in raw:
        raise InvalidInput(
            f"not a block target: {raw!r} carries an IPv6 zone id (%...); give the address "
            "without it"
        )
    if not _SHAPE.fullmatch(raw):
        raise InvalidInput(
            f"not an IP address or network: {raw!r} (a literal address, optionally /prefix; "
            "no host names)"
        )
    try:
        network = _unmap(ipaddress.ip_network(raw, strict=True))
    except ValueError as exc:
        raise InvalidInput(f"not an IP address or network: {raw!r} ({exc})") from exc
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.scope_id:
        raise InvalidInput(f"not a block target: {raw!r} carries an IPv6 zone id")
    limit = min_prefix_v4 if network.version == 4 else min_prefix_v6
    if network.prefixlen < limit:
        raise BlockRefused(
            f"{raw} is wider than allowed: IPv{network.version} blocks must be /{limit} or "
            "narrower (response.min_prefix_v4 / min_prefix_v6)"
        )
    address = network.network_address
    if address.is_unspecified or address.is_multicast or raw == "255.255.255.255":
        raise BlockRefused(f"{raw} is not a valid source to block")
    return Target(network)


_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_PLAIN_V4 = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}")


def try_canonical(text: str) -> str | None:
    """Canonical text of an address/network as listed by a firewall, or None if unreadable.

    A plain dotted quad without leading zeros is already canonical (the common case, checked
    without building objects: a reconciliation pass reads tens of thousands of them).
    """
    if _PLAIN_V4.fullmatch(text):
        return text
    return _canonical_slow(text)


@lru_cache(maxsize=65_536)
def _canonical_slow(text: str) -> str | None:
    try:
        return canonical(_unmap(ipaddress.ip_network(text.strip(), strict=False)))
    except ValueError:
        return None
