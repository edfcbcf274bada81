"""GeoLocator: special addresses, the bundled offline data, and MaxMind mmdb files (a tiny
database written here in the MaxMind DB format and read by the real ``maxminddb`` reader)."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path
from typing import Any

import pytest

from phantomnet.errors import ConfigError
from phantomnet.intel.geo import KEYS, GeoLocator
from phantomnet.scoring.config import GeoConfig


def enc(value: Any) -> bytes:
    """MaxMind DB data-section encoding of str / int (uint32) / float / dict."""
    if isinstance(value, str):
        raw = value.encode()
        if len(raw) < 29:
            return bytes([(2 << 5) | len(raw)]) + raw
        assert len(raw) < 29 + 256
        return bytes([(2 << 5) | 29, len(raw) - 29]) + raw
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        raw = value.to_bytes(4, "big").lstrip(b"\0")
        return bytes([(6 << 5) | len(raw)]) + raw
    if isinstance(value, float):
        return bytes([(3 << 5) | 8]) + struct.pack(">d", value)
    if isinstance(value, dict):
        body = b"".join(enc(k) + enc(v) for k, v in value.items())
        return bytes([(7 << 5) | len(value)]) + body
    raise TypeError(value)


def enc_meta(value: Any) -> bytes:
    """Metadata needs uint16 and uint64 and arrays too."""
    kind, inner = value if isinstance(value, tuple) else ("auto", value)
    if kind == "u16":
        raw = inner.to_bytes(2, "big").lstrip(b"\0")
        return bytes([(5 << 5) | len(raw)]) + raw
    if kind == "u64":
        raw = inner.to_bytes(8, "big").lstrip(b"\0")
        return bytes([len(raw), 9 - 7]) + raw
    if kind == "array":
        return bytes([len(inner), 11 - 7]) + b"".join(enc(v) for v in inner)
    if isinstance(inner, dict):
        body = b"".join(enc(k) + enc_meta(v) for k, v in inner.items())
        return bytes([(7 << 5) | len(inner)]) + body
    return enc(inner)


def write_mmdb(path: Path, network: str, record: dict[str, Any], db_type: str) -> None:
    """An IPv4 database (record size 24) holding ``record`` for one ``network``."""
    net = ipaddress.ip_network(network)
    bits = format(int(net.network_address), "032b")[: net.prefixlen]
    nodes = len(bits)
    data = enc(record)
    tree = b""
    for depth, bit in enumerate(bits):
        nxt = depth + 1 if depth + 1 < nodes else nodes + 16  # last: data at offset 0
        left, right = (nxt, nodes) if bit == "0" else (nodes, nxt)
        tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
    meta = enc_meta(
        {
            "node_count": nodes,
            "record_size": ("u16", 24),
            "ip_version": ("u16", 4),
            "database_type": db_type,
            "languages": ("array", ["en"]),
            "binary_format_major_version": ("u16", 2),
            "binary_format_minor_version": ("u16", 0),
            "build_epoch": ("u64", 1_700_000_000),
            "description": {"en": "PhantomNet test"},
        }
    )
    path.write_bytes(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta)


def test_special_addresses_are_labelled_without_lookup() -> None:
    geo = GeoLocator(enabled=False)
    cases = {
        "127.0.0.1": "Loopback",
        "::1": "Loopback",
        "10.1.2.3": "Private network",
        "192.168.0.9": "Private network",
        "100.64.3.4": "Shared address space",
        "169.254.1.1": "Link-local",
        "fe80::1": "Link-local",
        "224.0.0.5": "Multicast",
        "::ffff:10.0.0.1": "Private network",
        "0.0.0.0": "Unspecified",
    }
    for ip, label in cases.items():
        info = geo.lookup(ip)
        assert set(info) == set(KEYS)
        assert info["private"] is True and info["country"] == label, ip


def test_malformed_addresses_give_the_empty_answer() -> None:
    for bad in ("not-an-ip", "", "999.1.1.1", "1.2.3.4/24"):
        info = GeoLocator().lookup(bad)
        assert info == dict.fromkeys(KEYS) | {"private": False}


def test_bundled_offline_data() -> None:
    geo = GeoLocator.from_config(GeoConfig())
    google = geo.lookup("8.8.8.8")
    assert google["country_code"] == "US" and google["country"] == "United States"
    assert google["asn"] == "GOOGLE" and google["private"] is False
    v6 = geo.lookup("2001:4860:4860::8888")
    assert v6["country_code"] == "US"
    assert geo.lookup("::ffff:8.8.8.8")["country_code"] == "US"  # mapped -> IPv4
    assert geo("8.8.8.8") == google  # usable directly as the writer's enrich callable
    google["country"] = "changed"
    assert geo.lookup("8.8.8.8")["country"] == "United States"  # cache is not aliased


def test_mmdb_city_and_asn(tmp_path: Path) -> None:
    city = tmp_path / "city.mmdb"
    asn = tmp_path / "asn.mmdb"
    write_mmdb(
        city,
        "81.2.69.0/24",
        {
            "country": {"iso_code": "DE", "names": {"en": "Germany"}},
            "city": {"names": {"en": "Berlin"}},
            "location": {"latitude": 52.52, "longitude": 13.405},
        },
        "GeoLite2-City",
    )
    write_mmdb(
        asn,
        "81.2.69.0/24",
        {"autonomous_system_number": 64500, "autonomous_system_organization": "Example Net"},
        "GeoLite2-ASN",
    )
    geo = GeoLocator.from_config(GeoConfig(mmdb_path=city, asn_mmdb_path=asn))
    assert geo.source_name == "mmdb"
    assert geo.lookup("81.2.69.160") == {
        "country": "Germany",
        "country_code": "DE",
        "city": "Berlin",
        "asn": "AS64500 Example Net",
        "latitude": 52.52,
        "longitude": 13.405,
        "private": False,
    }
    miss = geo.lookup("198.18.0.1")  # benchmark range: reserved -> labelled, not looked up
    assert miss["private"] is True
    outside = geo.lookup("8.8.8.8")
    assert outside["country"] is None and outside["asn"] is None


def test_unreadable_mmdb_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="mmdb"):
        GeoLocator(mmdb_path=bad).lookup("8.8.8.8")


def test_smaller_country_dataset() -> None:
    geo = GeoLocator.from_config(GeoConfig(dataset="country"))
    info = geo.lookup("8.8.8.8")
    assert info["country_code"] == "US" and info["asn"] is None
    with pytest.raises(ConfigError, match="dataset"):
        GeoLocator(dataset="everything")
