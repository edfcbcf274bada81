"""The DNS vote against real dnsmasq resolvers on loopback, one or more of them lying."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from phantomnet.verify.config import PathConfig
from phantomnet.verify.engine import Verdict, ask_all
from phantomnet.verify.path import Question, build_path
from tests.integration.verify.servers import black_hole, dead_port, dnsmasq

pytestmark = pytest.mark.integration

TRUE_IP = "192.0.2.10"
LIE_IP = "203.0.113.66"
#: generous: a path's answer is never raced against a busy machine
TIMEOUT_S = 60.0


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


def _paths(servers: dict[str, str]) -> list:  # type: ignore[type-arg]
    return [
        build_path(PathConfig(name=n, kind="dns", settings={"server": s, "types": ["A"]}))
        for n, s in servers.items()
    ]


async def _ask(servers: dict[str, str], timeout_s: float = TIMEOUT_S) -> Verdict:
    return await ask_all(Question("dns", "www.example.test"), _paths(servers), timeout_s=timeout_s)


def _resolvers(stack: ExitStack, tmp: Path, honest: int, liars: int) -> dict[str, str]:
    servers = {f"honest-{i}": stack.enter_context(dnsmasq(tmp, TRUE_IP)) for i in range(honest)}
    servers |= {
        f"vpn-ns-{i}-direct": stack.enter_context(dnsmasq(tmp, LIE_IP)) for i in range(liars)
    }
    return servers


async def test_all_honest_is_verified_clean(stack: ExitStack, tmp_path: Path) -> None:
    verdict = await _ask(_resolvers(stack, tmp_path, 3, 0))
    assert verdict.attack_detected is False
    assert verdict.attack_type == "NONE"
    assert verdict.confidence == "HIGH"
    assert verdict.verified_ips == (TRUE_IP,)
    assert verdict.outcome == "refuted"


async def test_the_liar_is_the_compromised_path(stack: ExitStack, tmp_path: Path) -> None:
    verdict = await _ask(_resolvers(stack, tmp_path, 3, 1))
    d = verdict.as_dict()
    assert d["attack_detected"] is True
    assert d["attack_type"] == "DNS_HIJACKING"
    assert d["compromised_paths"] == ["vpn-ns-0-direct"]
    assert d["verified_ip"] == TRUE_IP
    assert d["confidence"] == "HIGH"  # 3 against 1
    assert d["paths"]["vpn-ns-0-direct"]["addresses"] == [LIE_IP]
    event = verdict.event("node-1")
    assert event.outcome == "confirmed"
    assert event.method == "multipath-dns"


async def test_two_against_one_is_medium(stack: ExitStack, tmp_path: Path) -> None:
    verdict = await _ask(_resolvers(stack, tmp_path, 2, 1))
    assert verdict.attack_detected and verdict.confidence == "MEDIUM"
    assert verdict.verified_ips == (TRUE_IP,)


async def test_a_dead_resolver_counts_as_failure(stack: ExitStack, tmp_path: Path) -> None:
    servers = _resolvers(stack, tmp_path, 2, 1) | {"dead": dead_port()}
    verdict = await _ask(servers)
    # 4 paths, 1 may fail to corroborate: the liar and the dead one are 2 -> no quorum
    assert verdict.failed_paths == ("dead",)
    assert verdict.verified is False
    assert verdict.verified_ips == ()
    assert verdict.confidence == "LOW"
    assert verdict.attack_detected is True
    assert verdict.outcome == "inconclusive"
    assert "dead" not in verdict.compromised_paths


@pytest.mark.parametrize(("honest", "liars"), [(2, 2), (2, 3), (3, 3)])
async def test_too_many_liars_never_verify_the_lie(
    stack: ExitStack, tmp_path: Path, honest: int, liars: int
) -> None:
    # a tie, and a lying majority short of the quorum (5 paths need 4 agreeing)
    verdict = await _ask(_resolvers(stack, tmp_path, honest, liars))
    assert verdict.verified is False
    assert verdict.verified_ips == ()
    assert verdict.confidence == "LOW"
    assert verdict.attack_detected is True
    assert verdict.compromised_paths == ()
    assert verdict.verified_data_hash is None


async def test_stragglers_are_cancelled_once_settled(stack: ExitStack, tmp_path: Path) -> None:
    # 6 paths: 2 may fail. 4 honest + 1 liar settle the verdict; the hanging one is cancelled
    servers = _resolvers(stack, tmp_path, 4, 1) | {"hang": stack.enter_context(black_hole())}
    verdict = await _ask(servers, timeout_s=600)
    assert verdict.cancelled_paths == ("hang",)
    assert verdict.compromised_paths == ("vpn-ns-0-direct",)
    assert verdict.verified_ips == (TRUE_IP,)


async def test_a_hanging_path_fails_closed_at_the_deadline(
    stack: ExitStack, tmp_path: Path
) -> None:
    servers = _resolvers(stack, tmp_path, 2, 0) | {"hang": stack.enter_context(black_hole())}
    verdict = await _ask(servers, timeout_s=1.0)
    # the honest ones may or may not beat a 1 s deadline on a busy machine; the hanging one
    # never does, and it is a failure, not a vote
    assert "hang" in verdict.failed_paths
    assert verdict.attack_detected is False
