"""Hardware and resource queries: free, top, nproc, lscpu, lsblk, arch, getconf, openssl
version. Memory comes from the host's one live snapshot (the same as ``/proc/meminfo``),
processes from :func:`system.process_table` (the same as ``ps``)."""

from __future__ import annotations

from phantomnet.deception.shell.commands.system import process_table, uptime_text
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.getopt import split_opts


def human_size(kb: int) -> str:
    """procps-ng 4's ``-h``: one decimal below 10 of a unit, else truncated; ``0B``."""
    value = kb * 1024
    if value < 1024:
        return f"{value}B"
    for unit in ("Ki", "Mi", "Gi", "Ti", "Pi"):
        value_u = value / 1024
        if value_u < 1024 or unit == "Pi":
            return f"{value_u:.1f}{unit}" if value_u < 10 else f"{int(value_u)}{unit}"
        value = int(value_u)
    return f"{value}B"  # pragma: no cover


async def free(cmd: Cmd) -> int:
    """procps-ng 4.0.2: ``used = total - available``, ``buff/cache`` includes SReclaimable,
    the same snapshot ``/proc/meminfo`` would show."""
    flags, _ = split_opts(cmd.argv)
    m = cmd.host.live.memory_kb()
    div = {"b": 1 / 1024, "m": 1024, "g": 1024 * 1024}
    unit = next((div[f] for f in "bmg" if f in flags), 1)

    def fmt(v: int) -> str:
        return human_size(v) if "h" in flags else str(int(v // unit))

    cols = ["total", "used", "free", "shared", "buff/cache", "available"]
    cmd.out(" " * 8 + "".join(c.rjust(12) for c in cols) + "\n")
    buff_cache = m["buffers"] + m["cache"] + m["sreclaimable"]
    row = [m["total"], m["used"], m["free"], m["shared"], buff_cache, m["available"]]
    cmd.out("Mem:".ljust(8) + "".join(fmt(v).rjust(12) for v in row) + "\n")
    swap = [m["swap_total"], 0, m["swap_total"]]
    cmd.out("Swap:".ljust(8) + "".join(fmt(v).rjust(12) for v in swap) + "\n")
    if "t" in flags:
        total = [m["total"] + m["swap_total"], m["used"], m["free"] + m["swap_total"]]
        cmd.out("Total:".ljust(8) + "".join(fmt(v).rjust(12) for v in total) + "\n")
    return 0


async def nproc(cmd: Cmd) -> int:
    cmd.out(f"{cmd.host.persona.identity.cpu_count}\n")
    return 0


#: what a 6.1 kernel reports for a KVM guest (the flags of the emulated CPU)
LSCPU_VULNS = (("Gather data sampling", "Not affected"), ("Itlb multihit", "Not affected"),
               ("L1tf", "Not affected"), ("Mds", "Not affected"), ("Meltdown", "Not affected"),
               ("Mmio stale data", "Not affected"), ("Retbleed", "Not affected"),
               ("Spec rstack overflow", "Mitigation; safe RET"),
               ("Spec store bypass", "Mitigation; Speculative Store Bypass disabled via prctl"),
               ("Spectre v1", "Mitigation; usercopy/swapgs barriers and __user pointer "
                "sanitization"),
               ("Spectre v2", "Mitigation; Retpolines; IBPB conditional; STIBP disabled; RSB "
                "filling; PBRSB-eIBRS Not affected; BHI Not affected"),
               ("Srbds", "Not affected"), ("Tsx async abort", "Not affected"))  # fmt: skip


async def lscpu(cmd: Cmd) -> int:
    ident = cmd.host.persona.identity
    amd = "AMD" in ident.cpu_model
    n = ident.cpu_count
    flags = cmd.fs.read_text("/proc/cpuinfo").split("flags\t\t: ", 1)[-1].split("\n", 1)[0]
    rows = [
        ("Architecture", "x86_64"),
        ("CPU op-mode(s)", "32-bit, 64-bit"),
        ("Address sizes", f"{48 if amd else 46} bits physical, 48 bits virtual"),
        ("Byte Order", "Little Endian"),
        ("CPU(s)", str(n)),
        ("On-line CPU(s) list", f"0-{n - 1}" if n > 1 else "0"),
        ("Vendor ID", "AuthenticAMD" if amd else "GenuineIntel"),
        ("Model name", ident.cpu_model),
        ("CPU family", "23" if amd else "6"),
        ("Model", "49" if amd else "79"),
        ("Thread(s) per core", "1"),
        ("Core(s) per socket", str(n)),
        ("Socket(s)", "1"),
        ("Stepping", "0" if amd else "1"),
        ("BogoMIPS", "4799.99"),
        ("Flags", flags),
        ("Hypervisor vendor", "KVM"),
        ("Virtualization type", "full"),
        ("L1d cache", f"{32 * n} KiB ({n} instances)"),
        ("L1i cache", f"{32 * n} KiB ({n} instances)"),
        (
            "L2 cache",
            f"{512 * n // 1024 if n >= 2 else 512} {'MiB' if n >= 2 else 'KiB'} ({n} instances)",
        ),
        ("L3 cache", "16 MiB (1 instance)"),
        ("NUMA node(s)", "1"),
        ("NUMA node0 CPU(s)", f"0-{n - 1}" if n > 1 else "0"),
        *((f"Vulnerability {k}", v) for k, v in LSCPU_VULNS),
    ]
    width = max(len(k) for k, _ in rows) + 2
    cmd.out("".join(f"{k + ':':<{width}}{v}\n" for k, v in rows))
    return 0


async def top(cmd: Cmd) -> int:
    """``top -b`` (procps-ng 4): one frame, the summary from the same sources as ``uptime``,
    ``free`` and ``ps`` (an interactive ``top`` draws the same frame once)."""
    m = cmd.host.live.memory_kb()
    rows = process_table(cmd)
    running = 1
    a, b, c = cmd.host.live.loadavg()
    head = uptime_text(cmd).lstrip()
    mib = [v / 1024 for v in (m["total"], m["free"], m["used"],
                              m["buffers"] + m["cache"] + m["sreclaimable"])]  # fmt: skip
    swap = m["swap_total"] / 1024
    cmd.out(
        f"top - {head.split(' load average')[0]} load average: {a:.2f}, {b:.2f}, {c:.2f}\n"
        f"Tasks: {len(rows):>3} total, {running:>3} running, {len(rows) - running:>3} sleeping,"
        "   0 stopped,   0 zombie\n"
        "%Cpu(s):  0.3 us,  0.2 sy,  0.0 ni, 99.5 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st \n"
        f"MiB Mem : {mib[0]:>8.1f} total, {mib[1]:>8.1f} free, {mib[2]:>8.1f} used, "
        f"{mib[3]:>8.1f} buff/cache     \n"
        f"MiB Swap: {swap:>8.1f} total, {swap:>8.1f} free, {0:>8.1f} used. "
        f"{m['available'] / 1024:>8.1f} avail Mem \n\n"
        "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n"
    )
    for user, pid, _tty, _start, command in rows:
        kernel = command.startswith("[")
        virt = 0 if kernel else 5000 + pid * 37 % 90000
        res = 0 if kernel else 1000 + pid * 13 % 9000
        name = command.strip("[]").split()[0].rsplit("/", 1)[-1].rstrip(":")
        cmd.out(f"{pid:>7} {user[:8]:<8}  20   0 {virt:>7} {res:>6} {res // 2:>6} "
                f"{'R' if pid == rows[-1][1] else 'S'}   0.0   0.{pid % 9}   0:00.{pid % 97:02d} "
                f"{name}\n")  # fmt: skip
    return 0


async def arch(cmd: Cmd) -> int:
    cmd.out(cmd.host.persona.spec.kernel.machine + "\n")
    return 0


GETCONF = {"LONG_BIT": "64", "PAGESIZE": "4096", "PAGE_SIZE": "4096", "CLK_TCK": "100",
           "ARG_MAX": "2097152", "OPEN_MAX": "1024", "CHILD_MAX": "31497"}  # fmt: skip


async def getconf(cmd: Cmd) -> int:
    name = cmd.argv[0] if cmd.argv else ""
    if name in ("_NPROCESSORS_ONLN", "_NPROCESSORS_CONF"):
        cmd.out(f"{cmd.host.persona.identity.cpu_count}\n")
        return 0
    if name not in GETCONF:
        return cmd.fail(f"Unrecognized variable '{name}'" if name else "Usage: getconf [-v "
                        "specification] variable_name [pathname]")  # fmt: skip
    cmd.out(GETCONF[name] + "\n")
    return 0


async def lsblk(cmd: Cmd) -> int:
    size = f"{cmd.host.persona.identity.disk_gb}G"
    cmd.out(
        "NAME   MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS\n"
        f"sda      8:0    0 {size:>4}  0 disk \n"
        f"\u2514\u2500sda1   8:1    0 {size:>4}  0 part /\n"
    )
    return 0


async def openssl(cmd: Cmd) -> int:
    banner = cmd.host.persona.software("openssl", "OpenSSL 3.0.19 27 Jan 2026")
    if cmd.argv[:1] == ["version"]:
        cmd.out((banner if "-a" not in cmd.argv[1:] else banner.split(" (")[0]) + "\n")
        return 0
    if not cmd.argv:
        return 0  # the interactive OpenSSL> prompt reads stdin: nothing to do
    return cmd.fail(f"Invalid command '{cmd.argv[0]}'; type \"help\" for a list.")


COMMANDS: dict[str, CommandFn] = {
    "free": free, "top": top, "nproc": nproc, "lscpu": lscpu, "lsblk": lsblk, "arch": arch,
    "getconf": getconf, "openssl": openssl,
}  # fmt: skip
