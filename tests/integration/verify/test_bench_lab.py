"""The benchmark's lab (``bench/verify_bench.py``) works and leaves nothing behind.

No timing here (figures belong to the bench): the lab's resolvers answer, the poisoned one
lies, and after ``close`` no namespace of the lab is listed and none of its daemons runs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.integration.verify.lab import need, sh

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(300)]

BENCH = Path(__file__).resolve().parents[3] / "bench" / "verify_bench.py"


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_lab_answers_then_leaves_no_namespace_nor_daemon(tmp_path: Path) -> None:
    need("ip", "dnsmasq", "dig")
    vb = bench()
    paths = vb.POISONED + 1  # the smallest lab that has the poisoned path
    lab = vb.build_lab(tmp_path, paths=paths)
    try:
        listed = sh("ip", "netns", "list").stdout
        assert sum(f"pnv{lab.tag}" in line for line in listed.splitlines()) == paths + 1
        # dig_once raises unless p0 answers the site and the poisoned path the attacker
        vb.dig_once(lab, 0)
        vb.dig_once(lab, vb.POISONED)
        assert lab.procs and all(p.poll() is None for p in lab.procs)
    finally:
        lab.close()
    assert vb.leftovers(lab) == []
    assert not list(Path("/run/netns").glob(f"pnv{lab.tag}*"))
