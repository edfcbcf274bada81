"""DNS answers agree by network as well as by address (OONI Web Connectivity): two honest
resolvers handing out different addresses of one AS (as a CDN does) are consistent once
the verifier knows each address's AS, from the offline geolocator the runtime hands it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from phantomnet.intel.geo import GeoLocator
from phantomnet.runtime.services import build_verifier
from phantomnet.settings import load_settings
from phantomnet.verify.config import verify_config
from phantomnet.verify.path import Question
from phantomnet.verify.verifier import Verifier
from tests.integration.verify.servers import dnsmasq

pytestmark = pytest.mark.integration

NAME = "cdn.example.test"
#: two addresses of one AS (Google) and one of another (Cloudflare), in the bundled data
SAME_AS = ("8.8.8.8", "8.8.4.4")
OTHER_AS = "1.1.1.1"


def _section(servers: dict[str, str]) -> dict[str, object]:
    return {
        "timeout_s": 60,
        "cache_ttl_s": 0,
        "early_stop": False,
        "paths": [
            {"name": n, "kind": "dns", "settings": {"server": s, "types": ["A"]}}
            for n, s in servers.items()
        ],
    }


def _asn_of(geo: GeoLocator):  # type: ignore[no-untyped-def]
    return lambda ip: geo.lookup(ip).get("asn") or None


async def test_same_network_agrees_other_network_does_not(tmp_path: Path) -> None:
    geo = GeoLocator()
    assert geo.lookup(SAME_AS[0]).get("asn") == geo.lookup(SAME_AS[1]).get("asn")
    with ExitStack() as stack:
        servers = {
            "a": stack.enter_context(dnsmasq(tmp_path, SAME_AS[0], NAME)),
            "b": stack.enter_context(dnsmasq(tmp_path, SAME_AS[1], NAME)),
            "c": stack.enter_context(dnsmasq(tmp_path, SAME_AS[0], NAME)),
        }
        cfg = verify_config(_section(servers))
        by_address = await Verifier(cfg).ask(Question("dns", NAME))
        assert by_address is not None and by_address.attack_detected
        assert by_address.compromised_paths == ("b",)
        by_network = await Verifier(cfg, asn_of=_asn_of(geo)).ask(Question("dns", NAME))
        assert by_network is not None and by_network.verified
        assert by_network.attack_detected is False and by_network.confidence == "HIGH"
        servers["d"] = stack.enter_context(dnsmasq(tmp_path, OTHER_AS, NAME))
        cfg = verify_config(_section(servers))
        lying = await Verifier(cfg, asn_of=_asn_of(geo)).ask(Question("dns", NAME))
        assert lying is not None and lying.compromised_paths == ("d",)


async def test_the_runtime_hands_the_verifier_the_geolocator(tmp_path: Path) -> None:
    with ExitStack() as stack:
        servers = {
            "a": stack.enter_context(dnsmasq(tmp_path, SAME_AS[0], NAME)),
            "b": stack.enter_context(dnsmasq(tmp_path, SAME_AS[1], NAME)),
        }
        settings = load_settings(None, data_dir=tmp_path, verify=_section(servers))
        verifier = build_verifier(settings)
        assert verifier is not None
        verdict = await verifier.ask(Question("dns", NAME))
        assert verdict is not None and verdict.verified and not verdict.attack_detected
