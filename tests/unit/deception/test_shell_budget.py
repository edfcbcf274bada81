"""Budgets of the fake shell: memory, printf width, CPU and wall time, emulator failures.

Each bomb must end its own line with a bash-like answer, be recorded in ``result.errors``
and leave the session usable (the next line runs). Pure: no sockets.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import replace
from pathlib import Path

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import Shell
from phantomnet.deception.shell.budget import ShellLimits


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost.load(tmp_path)


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


async def test_doubling_string_bomb_ends_the_line_not_the_process(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.10")
    before = rss_mb()
    result = await shell.run("x=a; while true; do x=$x$x; done; echo never")
    assert b"xmalloc: cannot allocate" in result.output
    assert b"never" not in result.output
    assert result.status == 2 and not result.exit
    assert result.errors and result.errors[0][0] == "memory"
    # the cap is 1 MiB per string: the process grew by a few MB, not by gigabytes
    assert rss_mb() - before < 200
    again = await shell.run("echo still here")
    assert again.output == b"still here\n"


async def test_many_references_in_one_word_are_capped(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.11")
    await shell.run("x=$(head -c 900000 /dev/zero | tr '\\0' a)")
    result = await shell.run('y="' + "$x" * 2000 + '"; echo set')
    assert b"xmalloc" in result.output and b"set" not in result.output


async def test_printf_width_bomb(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.12")
    before = rss_mb()
    result = await shell.run("printf '%999999999d' 1; echo after")
    assert result.output.startswith(b"-bash: xmalloc: cannot allocate 999999999 bytes")
    assert rss_mb() - before < 200
    assert (await shell.run("printf '%5d|' 42")).output == b"   42|"


async def test_cpu_budget_kills_the_line_like_ulimit(host: FakeHost) -> None:
    limits = replace(ShellLimits(), cpu_s=0.05, slice_s=0.001, penalty=0.0)
    shell = Shell(host, "192.0.2.13", limits=limits)
    # nested loops: 2000 x 2000 commands would run for minutes without the CPU budget
    line = "for i in $(seq 2000); do for j in $(seq 2000); do echo $i$j >/dev/null; done; done"
    result = await shell.run(line)
    assert b"Killed" in result.output
    assert result.status == 137
    assert ("cpu", result.errors[0][1]) == result.errors[0]
    assert (await shell.run("echo ok")).output == b"ok\n"


async def test_wall_budget(host: FakeHost) -> None:
    limits = replace(ShellLimits(), wall_s=0.05)
    shell = Shell(host, "192.0.2.14", limits=limits)
    result = await shell.run("sleep 0.2; echo late")
    assert b"Killed" in result.output and b"late" not in result.output
    assert result.errors[0][0] == "time"


async def test_failing_command_answers_and_the_session_goes_on(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.15")
    result = await shell.run("echo a > /tmp/bot.sh; head -c 1K /dev/zero | wc -c; echo z")
    assert result.output == b"1024\nz\n"
    # an emulator bug (ping's count is parsed naively) is answered, recorded, survived
    result = await shell.run("ping -c zz 10.0.0.1; echo next")
    assert b"next\n" in result.output
    assert [code for code, _ in result.errors] == ["emulator"]
    assert not result.exit


async def test_one_source_gets_one_cpu_turn_at_a_time(host: FakeHost) -> None:
    """Eight busy sessions of one source share one turn: another source's short line runs
    while they are busy (it does not wait for them to finish)."""
    hog = "for i in $(seq 2000); do for j in $(seq 2000); do : ; done; done"
    hogs = [Shell(host, "192.0.2.16") for _ in range(8)]
    tasks = [asyncio.create_task(s.run(hog)) for s in hogs]
    await asyncio.sleep(0.05)
    other = await Shell(host, "192.0.2.17").run("echo hi")
    assert other.output == b"hi\n"
    assert not all(t.done() for t in tasks)
    assert host.scheduler.busy() >= 1
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert host.scheduler.busy() == 0


def test_names_known_is_static(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.18")
    assert shell.names_known("uname -a; id | grep root && cd /tmp")
    assert not shell.names_known("uname; nosuchcmd")
    assert not shell.names_known("for i in 1; do nosuch; done")


async def test_catastrophic_regex_is_cut_not_run_for_minutes(host: FakeHost) -> None:
    """``(a|aa)+$`` on 60 a's backtracks ~2^60 steps with ``re``; here it ends the line."""
    shell = Shell(host, "192.0.2.19")
    line = "echo " + "a" * 60 + "! | grep -E '(a|aa)+$'; echo after"
    result = await shell.run(line)
    assert b"Killed" in result.output and b"after" not in result.output
    assert result.errors[0][0] == "cpu"
    for ok in (
        "echo abc | grep -E 'b+'",
        "echo abc | sed 's/b/X/'",
        "echo ab | awk '/a/{print $1}'",
    ):
        assert (await shell.run(ok)).status == 0
    assert (await shell.run("echo abc | sed 's/b/X/'")).output == b"aXc\n"
