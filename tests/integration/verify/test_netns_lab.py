"""The vote through real independent paths: namespaces, resolvers, SOCKS5, HTTP proxies, WireGuard.

The lab (``lab.py``) is built once for the module. Every path is a ``netns`` path wrapping a
``dns`` or ``http`` path, exactly as an operator would configure the seed's VPN namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from phantomnet.verify.config import PathConfig, verify_config
from phantomnet.verify.engine import Verdict, ask_all
from phantomnet.verify.path import Question, VerifyPath, build_path
from phantomnet.verify.service import verify_url
from tests.integration.verify.lab import AUTH_DNS, EVIL_IP, PATHS, SITE_IP, Lab, build

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(600)]

#: generous per question: a busy 2-core machine never decides a verdict
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield build(tmp_path_factory.mktemp("vlab"), stack)


def netns(lab: Lab, name: str, where: str, kind: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "netns",
        "settings": {"namespace": lab.ns(where), "path": {"kind": kind, "settings": settings}},
        "labels": {"namespace": where},
    }


def dns_paths(lab: Lab, *, wg: bool = True) -> list[dict[str, Any]]:
    out = [netns(lab, f"{p}-dns", p, "dns", server=f"{lab.addr(p)}:53", types=["A"]) for p in PATHS]
    if wg and lab.wg_ok:
        out.append(netns(lab, "wg-dns", "wg", "dns", server=f"{AUTH_DNS}:53", types=["A"]))
    return out


def http_paths(lab: Lab) -> list[dict[str, Any]]:
    """p0/p1 fetch directly with their own resolver, p2 and p5 through Privoxy, p3 with the
    poisoned resolver, p4 through dante (SOCKS5, dante resolves)."""
    direct = {p: {"resolver": lab.addr(p)} for p in ("p0", "p1", "p3")}
    via = {
        "p2": {"proxy": f"http://{lab.addr('p2')}:8118"},
        "p4": {"proxy": f"socks5h://{lab.addr('p4')}:1080"},
        "p5": {"proxy": f"http://{lab.addr('p5')}:8118"},
    }
    out = [netns(lab, f"{p}-http", p, "http", **s) for p, s in (direct | via).items()]
    if lab.wg_ok:
        out.append(netns(lab, "wg-http", "wg", "http", resolver=AUTH_DNS))
    return out


def built(specs: list[dict[str, Any]]) -> list[VerifyPath]:
    return [build_path(PathConfig.model_validate(s)) for s in specs]


async def vote(
    kind: str, target: str, specs: list[dict[str, Any]], *, early_stop: bool = True
) -> Verdict:
    question = Question(kind, target)  # type: ignore[arg-type]
    return await ask_all(question, built(specs), timeout_s=TIMEOUT_S, early_stop=early_stop)


def test_wireguard_path_exists_or_says_why(lab: Lab) -> None:
    assert lab.wg_ok, lab.wg_why


async def test_the_poisoned_resolver_is_named(lab: Lab) -> None:
    verdict = await vote("dns", "www.lab.test", dns_paths(lab))
    d = verdict.as_dict()
    assert d["attack_detected"] is True and d["attack_type"] == "DNS_HIJACKING"
    assert d["compromised_paths"] == ["p3-dns"]
    assert d["verified_ips"] == [SITE_IP] and d["verified_data"] == [SITE_IP]
    assert "p3-dns" not in d["safe_paths"] and d["safe_paths"] == d["agreed_paths"]
    assert d["paths"]["p3-dns"]["addresses"] == [EVIL_IP]
    assert d["confidence"] == "HIGH"


async def test_the_wireguard_path_answers_through_its_tunnel(lab: Lab) -> None:
    assert lab.wg_ok, lab.wg_why
    specs = [s for s in dns_paths(lab) if s["name"] in ("p0-dns", "p1-dns", "wg-dns")]
    http = [s for s in http_paths(lab) if s["name"] in ("p0-http", "p1-http", "wg-http")]
    for kind, target, chosen in (
        ("dns", "www.lab.test", specs),
        ("http", "http://www.lab.test/", http),
    ):
        verdict = await ask_all(
            Question(kind, target),
            built(chosen),
            timeout_s=TIMEOUT_S,
            early_stop=False,  # type: ignore[arg-type]
        )
        wg = verdict.per_path[f"wg-{kind}"]
        assert wg["agrees"] is True, wg
        assert verdict.attack_detected is False and verdict.confidence == "HIGH"


async def test_a_name_nobody_poisons_is_clean(lab: Lab) -> None:
    verdict = await vote("dns", "ok.lab.test", dns_paths(lab))
    assert verdict.attack_detected is False and verdict.confidence == "HIGH"
    assert verdict.verified_ips == (SITE_IP,)


async def test_tampering_proxy_and_hijacked_fetch_are_named(lab: Lab) -> None:
    # without early stop: a liar answering last would otherwise be cancelled, not named
    verdict = await vote("http", "http://www.lab.test/", http_paths(lab), early_stop=False)
    d = verdict.as_dict()
    assert d["attack_detected"] is True and d["attack_type"] == "CONTENT_TAMPERING"
    assert d["compromised_paths"] == ["p2-http", "p3-http"]
    assert set(d["agreed_paths"]) >= {"p0-http", "p1-http", "p4-http", "p5-http"}
    # the honest answers are not byte-identical (a nonce per answer) and still agree
    hashes = {d["paths"][p]["body_sha256"] for p in ("p0-http", "p1-http", "p4-http")}
    assert len(hashes) == 3


async def test_all_honest_paths_agree_despite_variance(lab: Lab) -> None:
    honest = [s for s in http_paths(lab) if s["name"] not in ("p2-http", "p3-http")]
    verdict = await vote("http", "http://www.lab.test/", honest)
    assert verdict.attack_detected is False
    assert verdict.verified and verdict.confidence == "HIGH"


async def test_half_the_paths_timing_out_is_low_and_names_nobody(lab: Lab) -> None:
    cut = ("p0", "p1", "p4")
    for path in cut:
        lab.set_link(path, up=False)
    try:
        specs = dns_paths(lab, wg=False)
        for spec in specs:
            spec["settings"]["path"]["settings"]["timeout_s"] = 3
        verdict = await ask_all(Question("dns", "ok.lab.test"), built(specs), timeout_s=20)
    finally:
        for path in cut:
            lab.set_link(path, up=True)
    assert verdict.confidence == "LOW"
    assert verdict.verified is False and verdict.attack_detected is False
    assert verdict.compromised_paths == ()
    assert set(verdict.failed_paths) == {f"{p}-dns" for p in cut}


async def test_consistent_local_liar_loses(lab: Lab) -> None:
    """The poisoned path is the "local" one and says the same every time: still outvoted."""
    for _ in range(3):
        verdict = await vote("dns", "www.lab.test", dns_paths(lab))
        assert verdict.compromised_paths == ("p3-dns",)


async def test_verify_url_asks_both_questions(lab: Lab, tmp_path: Path) -> None:
    paths = dns_paths(lab) + http_paths(lab)
    cfg = verify_config({"timeout_s": TIMEOUT_S, "early_stop": False, "paths": paths})
    report = await verify_url("http://www.lab.test/", cfg)
    assert report["attack_detected"] is True
    assert report["verified_ip"] == SITE_IP
    assert report["compromised_paths"] == ["p2-http", "p3-dns", "p3-http"]


async def test_a_missing_namespace_fails_closed(lab: Lab) -> None:
    specs = dns_paths(lab, wg=False)[:3]
    specs.append(netns(lab, "gone", "nosuch", "dns", server="10.77.0.2:53"))
    verdict = await vote("dns", "ok.lab.test", specs)
    assert "gone" in verdict.failed_paths
    assert "does not exist" in verdict.per_path["gone"]["reason"]
    # 3 corroborate, 1 fails: quorum (2-5 paths, 1 may fail) with a margin of 2
    assert verdict.verified and not verdict.attack_detected and verdict.confidence == "HIGH"


async def test_path_diversity_is_enforced(lab: Lab) -> None:
    """A quorum of paths that all share one provider (or RIR) verifies nothing."""
    specs = dns_paths(lab, wg=False)
    for spec in specs:
        spec["labels"] = {"namespace": spec["labels"]["namespace"], "rir": "ripe"}
    question = Question("dns", "www.lab.test")
    spread = await ask_all(question, built(specs), timeout_s=TIMEOUT_S, diversity=("namespace", 2))
    assert spread.verified and spread.compromised_paths == ("p3-dns",)
    one_rir = await ask_all(question, built(specs), timeout_s=TIMEOUT_S, diversity=("rir", 2))
    assert not one_rir.verified and one_rir.confidence == "LOW"
    assert one_rir.compromised_paths == () and one_rir.attack_detected is False
    assert one_rir.note == "the agreeing paths span 1 rir(s); 2 are required"
    specs[0]["labels"]["rir"] = "arin"
    two = await ask_all(question, built(specs), timeout_s=TIMEOUT_S, diversity=("rir", 2))
    assert two.verified and two.compromised_paths == ("p3-dns",)
