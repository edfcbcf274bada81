"""The fake host audited against this real Debian 12 machine: the same script of the commands
attackers type most (system and hardware queries, network configuration, process and login
listings, package managers, downloaders, interpreters, crypto tools, privilege checks) runs
in the fake shell and in a real bash, and the output SHAPES are compared (format, columns,
field types; values differ by design). Every command whose shape differs must be listed in
``docs/honeypots.md`` under "Known differences from a real Debian 12 host", and every listed
one must still differ, so the list stays true.

Only read-only, harmless commands run on the real machine (no network, no writes).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import SessionInfo, run_command
from tests.conftest import unavailable

pytestmark = pytest.mark.integration
DOC = Path(__file__).parents[3] / "docs" / "honeypots.md"
KNOWN_HEADING = "### Known differences from a real Debian 12 host"
Shape = Callable[[str], object]

# -- shape helpers -------------------------------------------------------------------------
TOKEN_CLASSES = (
    ("MAC", r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}"),
    ("T", r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?,?|[A-Z][a-z]{2}\d\d"),  # ps: 01:02 or Jul02
    ("D", r"\d{4}-\d{2}-\d{2}"),
    ("IP", r"\d+\.\d+\.\d+\.\d+(?:/\d+|:\d+|:\*)?"),
    ("IP6", r"[0-9a-f:]*::?[0-9a-f:]+(?:/\d+)?|\[::\]:[\d*]+|:::[\d*]+"),
    ("N", r"[-+]?\d+(?:[.,]\d+)?(?:%|[KMGTP]i?B?|B|[kmg])?,?"),
    ("X", r"[0-9a-fA-F]{8,}"),
)
_CLASSES = [(name, re.compile(rx)) for name, rx in TOKEN_CLASSES]


def token(tok: str, keep_words: bool) -> str:
    for name, rx in _CLASSES:
        if rx.fullmatch(tok):
            return name
    return tok if keep_words else "w"


def sig(line: str, keep_words: bool = False, cols: int | None = None) -> str:
    return " ".join(token(t, keep_words) for t in line.split()[:cols])


def head(n: int = 1) -> Shape:
    """The first ``n`` lines, words kept, numbers/addresses/times as classes."""
    return lambda out: tuple(sig(line, keep_words=True) for line in out.splitlines()[:n])


def table(header: int = 1, cols: int | None = None) -> Shape:
    """Header lines exactly, then the set of row signatures (first ``cols`` columns)."""
    return lambda out: (
        head(header)(out),
        frozenset(sig(line, cols=cols) for line in out.splitlines()[header:] if line.strip()),
    )


def keys(sep: str = ":", skip: str = "^$") -> Shape:
    """The set of keys, without those matching ``skip`` (vendor or kernel specific)."""
    rx = re.compile(skip)
    return lambda out: frozenset(
        k for line in out.splitlines() if sep in line
        if not rx.match(k := line.split(sep, 1)[0].strip())
    )  # fmt: skip


def fields(sep: str = ":") -> Shape:
    return lambda out: frozenset(len(line.split(sep)) for line in out.splitlines() if line)


def lines(*patterns: str) -> Shape:
    """Whether every line matches one of ``patterns`` (the expected format, checked on both
    hosts: a pattern the real host fails is a wrong pattern)."""
    rxs = [re.compile(p) for p in patterns]
    return lambda out: all(any(rx.fullmatch(line) for rx in rxs) for line in out.splitlines())


def whole(pattern: str) -> Shape:
    return lambda out: re.fullmatch(pattern, out, re.S) is not None


def shadow(out: str) -> object:
    """Field counts, and whether every password field is locked or a well-formed yescrypt."""
    rows = [line.split(":") for line in out.splitlines()]
    hashed = re.compile(r"\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}")
    ok = all(r[1] in ("*", "!", "!*", "") or hashed.fullmatch(r[1]) for r in rows if len(r) > 1)
    return frozenset(len(r) for r in rows), ok


LS_LINE = (r"total \d+", r"[dlcbps-][rwxsStT-]{9}\.? +\d+ \S+ +\S+ +\d+,? *\d* \w{3} [ \d]\d "
           r"(?: \d{4}|\d\d:\d\d) .+")  # fmt: skip

#: (command, shape). The real side runs in ``bash -c`` as this test's user.
SCRIPT: tuple[tuple[str, Shape], ...] = (
    # system and hardware
    ("uname -a", whole(r"Linux \S+ \S+ #\S+ SMP PREEMPT_DYNAMIC .+ x86_64 GNU/Linux\n")),
    ("uname -m", whole(r"x86_64\n")),
    ("uname -s -r", whole(r"Linux \d+\.\d+\.\d+\S*\n")),
    ("arch", whole(r"x86_64\n")),
    ("getconf LONG_BIT", whole(r"64\n")),
    ("nproc", whole(r"\d+\n")),
    ("cat /proc/cpuinfo", keys(skip="TLB size")),  # AMD only
    ("lscpu", keys(skip="Vulnerability ")),  # the list grows with the kernel
    ("cat /proc/version", whole(r"Linux version \S+ \(.+\) .+\n")),
    ("cat /proc/meminfo", keys()),
    ("free", table()),
    ("free -m", table()),
    ("free -h", table()),
    ("df -h", table(cols=6)),
    (
        "uptime",
        whole(
            r" \d\d:\d\d:\d\d up .+,  \d+ users?,  load average: \d+\.\d\d, "
            r"\d+\.\d\d, \d+\.\d\d\n"
        ),
    ),
    ("uptime -s", whole(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n")),
    ("cat /proc/uptime", whole(r"\d+\.\d\d \d+\.\d\d\n")),
    ("cat /proc/loadavg", whole(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+\n")),
    ("dmesg | head -3", lines(r"\[ *\d+\.\d{6}\] .+")),
    ("cat /etc/os-release", keys("=")),
    ("cat /etc/debian_version", whole(r"12\.\d+\n")),
    ("lsb_release -a 2>/dev/null", keys()),
    ("hostname", whole(r"[a-z0-9][-a-z0-9]*\n")),
    ("date", whole(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}\n")),
    ("mount | head -3", lines(r"\S+ on \S+ type \S+ \(\S+\)")),
    ("cat /proc/mounts | head -3", lines(r"\S+ \S+ \S+ \S+ 0 0")),
    ("lsblk", head()),
    # accounts and privileges
    ("whoami", whole(r"root\n")),
    ("id", whole(r"uid=0\(root\) gid=0\(root\) groups=0\(root\)\n")),
    ("id -u", whole(r"0\n")),
    ("id nobody", whole(r"uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)\n")),
    ("groups", whole(r"root\n")),
    ("cat /etc/passwd", fields()),
    ("cat /etc/group", fields()),
    ("cat /etc/shadow", shadow),
    ("ls -la /", lines(*LS_LINE)),
    ("ls -la /tmp", lines(*LS_LINE)),
    ("cat /etc/shells", lines(r"#.*", r"/(usr/)?bin/\w+")),
    # processes and logins
    ("ps aux", table(cols=10)),
    ("ps -ef", head()),
    ("ps", head()),
    (
        "top -bn1 | head -7",
        lines(
            r"top - \d\d:\d\d:\d\d up .+,  \d+ users?,  load average: [\d.]+, [\d.]+, [\d.]+",
            r"Tasks: +\d+ total, +\d+ running, +\d+ sleeping, +\d+ stopped, +\d+ zombie",
            # top prints each figure as %5.1f: at 100.0 the space before it is gone
            r"%Cpu\(s\): *[\d.]+ us, *[\d.]+ sy, *[\d.]+ ni, *[\d.]+ id, *[\d.]+ wa, *[\d.]+ hi,"
            r" *[\d.]+ si, *[\d.]+ st ?",
            r"MiB Mem : +[\d.]+ total, +[\d.]+ free, +[\d.]+ used, +[\d.]+ buff/cache +",
            r"MiB Swap: +[\d.]+ total, +[\d.]+ free, +[\d.]+ used\. +[\d.]+ avail Mem ?",
            r"",
            r" +PID USER +PR +NI +VIRT +RES +SHR S +%CPU +%MEM +TIME\+ COMMAND",
        ),
    ),
    (
        "w",
        lambda out: (whole(r" \d\d:\d\d:\d\d up .+load average: .+\n.*")(out), head(2)(out)[1:]),
    ),
    ("who", lines(r"\S+ +\S+ +\d{4}-\d\d-\d\d \d\d:\d\d(?: \(.+\))?")),
    (
        "last -n 2 | head -2",
        lines(
            r"\S+ +(?:system boot|\S+) +\S+ +\w{3} \w{3} [ \d]\d "
            r"\d\d:\d\d .+",
            r"",
            r"wtmp begins .+",  # a machine nobody has logged in to yet (a fresh CI box)
        ),
    ),
    # network configuration
    (
        "ip a",
        lines(
            r"\d+: \S+: <[A-Z_,]+> mtu \d+ qdisc \S+ state \S+ group \S+ qlen \d+",
            r"    link/(?:loopback|ether) \S+ brd \S+",
            r"    altname \S+",
            r"    inet \S+ (?:brd \S+ )?scope (?:host|global) \S+",
            r"    inet6 \S+ scope (?:host|link|global) (?:\S+ )?",
            r"       valid_lft forever preferred_lft forever",
        ),
    ),
    ("ip r", lines(r"default via \S+ dev \S+ ?", r"\S+ dev \S+ proto kernel scope link src \S+ ?")),
    (
        "ifconfig",
        lines(
            r"\S+: flags=\d+<[A-Z,]+>  mtu \d+",
            r"        inet \S+  netmask \S+(?:  broadcast \S+)?",
            r"        inet6 \S+  prefixlen \d+  scopeid 0x\d+<\w+>",
            r"        (?:ether \S+|loop)  txqueuelen \d+  \(.+\)",
            r"        [RT]X packets \d+  bytes \d+ \(\d+\.\d (?:[KMG]i)?B\)",
            r"        RX errors 0  dropped \d+  overruns 0  frame 0",
            r"        TX errors 0  dropped \d+ overruns 0  carrier 0  collisions 0",
            r"",
        ),
    ),
    ("hostname -I", whole(r"(?:\S+ )+\n")),
    ("cat /proc/net/dev | head -2", head(2)),
    ("cat /proc/net/route | head -1", head()),
    ("cat /proc/net/arp | head -1", head()),
    ("cat /sys/class/net/lo/address", whole(r"00:00:00:00:00:00\n")),
    ("netstat -tn | head -2", head(2)),
    ("ss -tln | head -1", head()),
    ("cat /etc/resolv.conf", lines(r"#.*", r"(?:domain|search|nameserver|options) .+")),
    ("cat /etc/hosts", lines(r"", r"#.*", r"\S+\s+\S+(?:\s+\S+)*")),
    # package managers, downloaders, interpreters, crypto tools
    ("dpkg -l | head -5", head(5)),
    ("apt --version", whole(r"apt \d+\.\d+\.\d+ \(amd64\)\n")),
    ("which wget curl python3 perl", lines(r"/usr/bin/\w+")),
    ("wget --version | head -1", whole(r"GNU Wget \d+\.\d+(?:\.\d+)? built on linux-gnu\.\n")),
    ("curl --version | head -1", whole(r"curl \d+\.\d+\.\d+ \(x86_64-pc-linux-gnu\) .+\n")),
    ("python3 --version", whole(r"Python 3\.11\.\d+\n")),
    ("python3 -c 'print(6*7)'", whole(r"42\n")),
    ("perl -e 'print 6*7, \"\\n\"'", whole(r"42\n")),
    ("perl -v | head -2", whole(r"\nThis is perl 5, version \d+, subversion \d+ .+\n")),
    ("openssl version", whole(r"OpenSSL 3\.0\.\d+ \d+ \w{3} \d{4} \(Library: .+\)\n")),
    ("busybox | head -1", whole(r"BusyBox v1\.\d+\.\d+ .+ multi-call binary\.\n")),
    ("echo hello | base64", whole(r"aGVsbG8K\n")),
    ("echo hello | md5sum", whole(r"b1946ac92492d2347c6235b4d2611184  -\n")),
    ("sha256sum /etc/hostname", whole(r"[0-9a-f]{64}  /etc/hostname\n")),
    ("echo $SHELL", whole(r"/bin/bash\n")),
)


def known() -> set[str]:
    """The commands listed under the known-differences heading of docs/honeypots.md."""
    text = DOC.read_text()
    assert KNOWN_HEADING in text, f"{DOC} has no {KNOWN_HEADING!r} section"
    section = text.split(KNOWN_HEADING, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^- `([^`]+)`", section, re.M))


def real(cmd: str) -> tuple[int, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/root"), "SHELL": "/bin/bash",
           "TERM": "dumb"}  # fmt: skip
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30,
                          env=env, cwd="/", check=False)  # fmt: skip
    return done.returncode, done.stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHost]:
    if not Path("/etc/debian_version").read_text().startswith("12."):
        unavailable("the audit compares against a Debian 12 machine")
    if os.geteuid() != 0:
        unavailable("the audit runs the real commands as root, as the fake shell's root")
    h = FakeHost.load(tmp_path_factory.mktemp("audit"))
    yield h
    h.close()


async def test_the_fake_host_has_the_shape_of_a_real_debian_12(host: FakeHost) -> None:
    info = SessionInfo(client_ip="203.0.113.7", client_port=50122, server_ip="192.0.2.10")
    differ: dict[str, tuple[object, object]] = {}
    for cmd, shape in SCRIPT:
        status, out = real(cmd)
        fake = await run_command(cmd, host, "203.0.113.7", user="root", info=info)
        mine = fake.stdout.decode("utf-8", "replace")
        seen = (status == 0, shape(out)), (fake.status == 0, shape(mine))
        if seen[0] != seen[1]:
            differ[cmd] = seen
    listed = known()
    assert set(differ) - listed == set(), {c: differ[c] for c in set(differ) - listed}
    assert listed - set(differ) == set(), f"listed as known but now alike: {listed - set(differ)}"


async def test_the_fake_host_agrees_with_itself(host: FakeHost) -> None:
    """Cross-command agreement: memory, uptime, network and accounts seen by several tools."""

    async def sh(line: str) -> str:
        return (await run_command(line, host, "203.0.113.8", user="root")).stdout.decode()

    meminfo = {
        k: int(v.split()[0])
        for k, v in (line.split(":", 1) for line in (await sh("cat /proc/meminfo")).splitlines())
    }
    assert meminfo["MemTotal"] == int((await sh("free")).splitlines()[1].split()[1])
    assert f"{meminfo['MemTotal'] / 1024:.1f} total" in await sh("top -bn1 | head -4")
    up = float((await sh("cat /proc/uptime")).split()[0])
    assert abs(host.persona.uptime_s() - up) < 5
    dmesg_last = float((await sh("dmesg | tail -1")).split("]")[0].strip("[ "))
    assert dmesg_last < up
    ip_a = await sh("ip a")
    mac = (await sh("cat /sys/class/net/ens3/address")).strip()
    addr = (await sh("hostname -I")).split()[0]
    assert f"link/ether {mac} " in ip_a and f"inet {addr}/24 " in ip_a
    ifconfig = await sh("ifconfig")
    assert f"ether {mac} " in ifconfig and f"inet {addr} " in ifconfig
    gateway = (await sh("ip r")).split()[2]
    assert f"nameserver {gateway}" in await sh("cat /etc/resolv.conf")
    assert (await sh("cat /proc/net/arp")).splitlines()[1].startswith(gateway + " ")
    dev = {line.split(":")[0].strip(): line.split(":")[1].split()
           for line in (await sh("cat /proc/net/dev")).splitlines()[2:]}  # fmt: skip
    rx = int(re.search(r"RX packets \d+  bytes (\d+)", ifconfig)[1])  # type: ignore[index]
    assert abs(int(dev["ens3"][0]) - rx) < 100_000  # the same counters, a moment apart
    who, w, last = await sh("who"), await sh("w"), await sh("last")
    assert who.split()[0] == w.splitlines()[2].split()[0] == last.split()[0] == "root"
    assert "203.0.113.8" in who and "203.0.113.8" in w and "203.0.113.8" in last
    assert "root " in (await sh("ps aux")).splitlines()[-1]
