"""Offline IP geolocation.

Default source: the ``geoip2fast`` package (MIT), which ships its own data files built from
MaxMind GeoLite2 CSVs (country and ASN name, IPv4 and IPv6; no city, no coordinates). When
``scoring.geo.mmdb_path`` (a GeoLite2/GeoIP2 City or Country ``.mmdb``) and optionally
``asn_mmdb_path`` are configured, they are read with ``maxminddb`` instead and give city and
coordinates too. Nothing is ever fetched from the network.

Private, loopback, link-local, shared (CGNAT), multicast and reserved addresses are labelled
from the address itself (``private: True``, ``country: "Private network"`` etc.) and never
looked up. ``GeoLocator.lookup`` never raises for a malformed address: it returns the empty
answer, so the storage writer's ``enrich`` callable cannot break a batch.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from phantomnet.errors import ConfigError

GeoInfo = dict[str, Any]
KEYS = ("country", "country_code", "city", "asn", "latitude", "longitude", "private")


def empty() -> GeoInfo:
    return dict.fromkeys(KEYS) | {"private": False}


def special_label(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """A label for addresses that have no geography, else None."""
    checks = (
        (ip.is_loopback, "Loopback"),
        (ip.is_link_local, "Link-local"),
        (ip.is_multicast, "Multicast"),
        (ip.is_unspecified, "Unspecified"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "Shared address space"),
        (ip.is_private, "Private network"),
        (ip.is_reserved, "Reserved"),
    )
    for hit, label in checks:
        if hit:
            return label
    return None


_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class _Source(Protocol):
    def find(self, ip: str) -> GeoInfo: ...


DATA_FILES = {
    "asn-ipv6": "geoip2fast-asn-ipv6.dat.gz",
    "asn": "geoip2fast-asn.dat.gz",
    "country-ipv6": "geoip2fast-ipv6.dat.gz",
    "country": "geoip2fast.dat.gz",
}


class PackageSource:
    """geoip2fast's bundled data (country, and the AS name with the ``asn`` datasets)."""

    def __init__(self, dataset: str = "asn-ipv6") -> None:
        from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]

        self._db = GeoIP2Fast(verbose=False, geoip2fast_data_file=DATA_FILES[dataset])

    def find(self, ip: str) -> GeoInfo:
        r = self._db.lookup(ip)
        info = empty()
        code = getattr(r, "country_code", "") or ""
        if len(code) == 2 and code != "--":
            info["country_code"] = code
            info["country"] = getattr(r, "country_name", None) or None
        info["asn"] = getattr(r, "asn_name", None) or None
        city = getattr(getattr(r, "city", None), "name", None)
        info["city"] = city if isinstance(city, str) and city else None
        return info


class MmdbSource:
    """MaxMind DB files (City or Country, and optionally ASN)."""

    def __init__(self, path: Path, asn_path: Path | None = None) -> None:
        import maxminddb

        try:
            self._db = maxminddb.open_database(str(path))
            self._asn = maxminddb.open_database(str(asn_path)) if asn_path else None
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise ConfigError(f"scoring.geo: cannot open mmdb file: {exc}") from exc

    def find(self, ip: str) -> GeoInfo:
        info = empty()
        rec: Any = self._db.get(ip)
        if isinstance(rec, dict):
            country = rec.get("country") or rec.get("registered_country") or {}
            info["country_code"] = country.get("iso_code")
            info["country"] = (country.get("names") or {}).get("en")
            info["city"] = ((rec.get("city") or {}).get("names") or {}).get("en")
            loc = rec.get("location") or {}
            info["latitude"], info["longitude"] = loc.get("latitude"), loc.get("longitude")
        asn: Any = self._asn.get(ip) if self._asn is not None else None
        if isinstance(asn, dict) and asn.get("autonomous_system_number"):
            org = asn.get("autonomous_system_organization") or ""
            info["asn"] = f"AS{asn['autonomous_system_number']} {org}".strip()
        return info


class GeoLocator:
    """``lookup(ip) -> {country, country_code, city, asn, latitude, longitude, private}``.

    Build with ``GeoLocator.from_config(scoring_config.geo)``; sources are opened on first
    use (no import-time work). Results are cached (LRU, ``cache_size`` entries).
    """

    def __init__(
        self,
        mmdb_path: Path | None = None,
        asn_mmdb_path: Path | None = None,
        cache_size: int = 65_536,
        enabled: bool = True,
        dataset: str = "asn-ipv6",
    ) -> None:
        if dataset not in DATA_FILES:
            raise ConfigError(f"scoring.geo.dataset: unknown dataset {dataset!r}")
        self.dataset = dataset
        self.mmdb_path = mmdb_path
        self.asn_mmdb_path = asn_mmdb_path
        self.cache_size = cache_size
        self.enabled = enabled
        self._source: _Source | None = None
        self._cache: OrderedDict[str, GeoInfo] = OrderedDict()

    @classmethod
    def from_config(cls, config: Any) -> GeoLocator:
        """From a ``GeoConfig`` (``scoring.geo``)."""
        return cls(
            config.mmdb_path,
            config.asn_mmdb_path,
            config.cache_size,
            config.enabled,
            config.dataset,
        )

    @property
    def source_name(self) -> str:
        return "mmdb" if self.mmdb_path is not None else "geoip2fast"

    def _open(self) -> _Source:
        if self._source is None:
            if self.mmdb_path is not None:
                self._source = MmdbSource(self.mmdb_path, self.asn_mmdb_path)
            else:
                self._source = PackageSource(self.dataset)
        return self._source

    def lookup(self, ip: str) -> GeoInfo:
        try:
            addr = ipaddress.ip_address(ip.strip())
        except (ValueError, AttributeError):
            return empty()
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        label = special_label(addr)
        if label is not None:
            return empty() | {"country": label, "private": True}
        key = str(addr)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return dict(hit)
        info = self._open().find(key) if self.enabled else empty()
        if self.cache_size:
            self._cache[key] = info
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return dict(info)

    __call__ = lookup


def enricher(settings: Any) -> GeoLocator | None:
    """The storage writer's ``enrich`` callable for ``settings`` (None when geo is off)."""
    from phantomnet.scoring.config import scoring_config

    config = scoring_config(settings.scoring).geo
    return GeoLocator.from_config(config) if config.enabled else None
