"""Budgets inside builtins (issue 11): one heavy builtin over big input is time-sliced and
CPU-budgeted in its own loop, not only between commands. Pure: no sockets.

"Yields" is measured by interleaving, not time: a concurrent task counts how often the event
loop ran it while one builtin processed ~600 KB; without checks inside the builtin it runs
at most at the command boundaries (once or twice)."""

from __future__ import annotations

import asyncio
import resource
from dataclasses import replace
from pathlib import Path

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import Shell
from phantomnet.deception.shell.budget import ShellLimits
from phantomnet.deception.shell.context import MAX_OUTPUT

#: every tick ends the slice and yields (no penalty wait): the interleaving is counted
YIELD_ALWAYS = replace(ShellLimits(), slice_s=0.0, penalty=0.0, cpu_s=600.0)

HEAVY = [
    "sort -r /tmp/n",
    "sort -n /tmp/n",
    "grep 9 /tmp/n",
    "grep -c -E '(1|2)+$' /tmp/n",
    "sed 's/1/x/g' /tmp/n",
    "awk '{print $1}' /tmp/n",
    "awk '/7/{print $1}' /tmp/n",
    "cat /tmp/n | tr 0-9 a-j",
    "cat /tmp/n | tr -d 5",
    "base64 /tmp/n",
    "rev /tmp/n",
    "tac /tmp/n",
    "uniq -c /tmp/n",
    "cut -c1-3 /tmp/n",
    "cut -d 1 -f 2 /tmp/n",
    "od /tmp/n",
    "seq 100000",
]


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost.load(tmp_path)


async def _prepared(host: FakeHost, ip: str, limits: ShellLimits | None = None) -> Shell:
    shell = Shell(host, ip)
    assert (await shell.run("seq 100000 > /tmp/n; wc -l /tmp/n")).output.endswith(
        b"100000 /tmp/n\n"
    )
    if limits is not None:
        shell.limits = limits
    return shell


@pytest.mark.parametrize("line", HEAVY)
async def test_one_heavy_builtin_lets_the_loop_run_others(host: FakeHost, line: str) -> None:
    shell = await _prepared(host, "192.0.2.40", YIELD_ALWAYS)
    turns = 0
    done = asyncio.Event()

    async def other() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    start = turns
    result = await shell.run(line)
    done.set()
    await task
    assert result.status == 0, result.output[-300:]
    assert result.stdout  # the builtin really did its work
    assert turns - start >= 10, f"{line}: the loop ran others {turns - start} times"


async def test_cpu_budget_ends_a_single_heavy_builtin(host: FakeHost) -> None:
    shell = await _prepared(host, "192.0.2.41", replace(ShellLimits(), cpu_s=0.002,
                                                        slice_s=0.0005, penalty=0.0))  # fmt: skip
    result = await shell.run("sort -r /tmp/n")
    assert result.status == 137 and b"Killed" in result.output
    assert result.errors and result.errors[0][0] == "cpu"
    assert not result.stdout.startswith(b"99999\n")
    shell.limits = ShellLimits()
    assert (await shell.run("sort -r /tmp/n | head -2")).output == b"99999\n99998\n"


async def test_sorting_in_runs_keeps_sort_semantics(host: FakeHost) -> None:
    shell = await _prepared(host, "192.0.2.42")
    out = (await shell.run("sort /tmp/n | head -3; sort -n /tmp/n | tail -1")).output
    assert out == b"1\n10\n100\n100000\n"
    out = (await shell.run("seq 5000 | sort -rn | head -2; seq 9000 | sort -u | wc -l")).output
    assert out == b"5000\n4999\n9000\n"
    assert (await shell.run("printf 'b\\nB\\na\\n' | sort -f")).output == b"a\nb\nB\n"


async def test_sed_substitutes_line_by_line(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.43")
    assert (await shell.run("printf 'a a\\nb a\\n' | sed 's/a/X/'")).output == b"X a\nb X\n"
    assert (await shell.run("printf 'a a\\n' | sed 's/a/X/g'")).output == b"X X\n"
    assert (await shell.run("printf 'x\\n' | sed 's/^/>/'")).output == b">x\n"


async def test_cut_and_tr_keep_their_answers(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.44")
    cases = {
        "echo abcdef | cut -c 5-,1-2,2": b"abef\n",
        "echo a:b:c:d | cut -d: -f3,1": b"a:c\n",
        "echo nodelim | cut -d: -f2": b"nodelim\n",
        "echo hello | tr a-z A-Z": b"HELLO\n",
        "echo hello | tr -d l": b"heo\n",
        "echo hello | tr -cd l": b"ll",
        "echo heeello | tr -s e": b"hello\n",
        "printf '' | base64": b"\n",
        "echo hi | base64": b"aGkK\n",
    }
    for line, want in cases.items():
        assert (await shell.run(line)).output == want, line


async def test_yes_output_is_capped_before_it_is_built(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.45")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    result = await shell.run("yes $(head -c 900000 /dev/zero | tr '\\0' a) | wc -c")
    assert int(result.output) <= MAX_OUTPUT
    # 2000 copies of 900 kB would be 1.8 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - before < 200
