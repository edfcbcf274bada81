"""System information commands rendered from the persona and live state: uname, ps, free,
df, uptime, nproc, lscpu, hostname, date, env, which, lsb_release, dmesg, mount... (the
account and login commands are in :mod:`identity`)."""

from __future__ import annotations

import time

from phantomnet.deception import netinfo
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.getopt import split_opts
from phantomnet.deception.shell.simple import find_in_path

UNAME_LONG = {
    "--all": "a",
    "--kernel-name": "s",
    "--nodename": "n",
    "--kernel-release": "r",
    "--kernel-version": "v",
    "--machine": "m",
    "--operating-system": "o",
}


async def uname(cmd: Cmd) -> int:
    flags = ""
    for arg in cmd.argv:
        if arg in UNAME_LONG:
            flags += UNAME_LONG[arg]
        elif arg.startswith("-") and all(c in "asnrvmpio" for c in arg[1:]):
            flags += arg[1:]
        else:
            return cmd.fail(
                f"invalid option -- '{arg.lstrip('-')[:1]}'\n"
                "Try 'uname --help' for more information."
            )
    cmd.out(cmd.host.persona.uname(flags or "s") + "\n")
    return 0


async def hostname(cmd: Cmd) -> int:
    p = cmd.host.persona
    if cmd.argv and not cmd.argv[0].startswith("-"):
        return cmd.fail("you must be root to change the host name") if cmd.shell.user.uid else 0
    flags, _ = split_opts(cmd.argv)
    if flags & {"I", "i", "--all-ip-addresses", "--ip-address"}:
        cmd.out(netinfo.facts(p).address + (" \n" if flags & {"I", "--all-ip-addresses"} else "\n"))
        return 0
    cmd.out((p.fqdn if flags & {"f", "A", "--fqdn", "--long"} else p.hostname) + "\n")
    return 0


def uptime_text(cmd: Cmd) -> str:
    up = int(cmd.host.persona.uptime_s())
    days, rem = divmod(up, 86400)
    hours, mins = divmod(rem // 60, 60)
    span = (
        f"{days} day{'s' if days != 1 else ''}, {hours:2d}:{mins:02d}"
        if days
        else f"{hours:2d}:{mins:02d}"
    )
    a, b, c = cmd.host.live.loadavg()
    return (
        f" {time.strftime('%H:%M:%S')} up {span},  1 user,  load average: {a:.2f}, {b:.2f}, {c:.2f}"
    )


async def uptime(cmd: Cmd) -> int:
    if "-s" in cmd.argv or "--since" in cmd.argv:
        boot = time.localtime(cmd.host.persona.boot_time)
        cmd.out(time.strftime("%Y-%m-%d %H:%M:%S", boot) + "\n")
        return 0
    if "-p" in cmd.argv:
        up = int(cmd.host.persona.uptime_s())
        cmd.out(f"up {up // 86400} days, {up % 86400 // 3600} hours, {up % 3600 // 60} minutes\n")
    else:
        cmd.out(uptime_text(cmd) + "\n")
    return 0


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


async def df(cmd: Cmd) -> int:
    flags, _ = split_opts(cmd.argv)
    ident = cmd.host.persona.identity
    total = ident.disk_gb * 1024 * 1024 - 2_100_000
    used = int(total * (0.2 + (ident.seed % 30) / 100)) + cmd.fs.used // 1024
    mem = ident.mem_mb * 1024
    rows = [
        ("udev", mem // 2, 0, "/dev"),
        ("tmpfs", mem // 10, 1_200, "/run"),
        ("/dev/sda1", total, used, "/"),
        ("tmpfs", mem // 2, 0, "/dev/shm"),
        ("tmpfs", 5120, 0, "/run/lock"),
        ("tmpfs", mem // 10, 0, "/run/user/0"),
    ]
    human = "h" in flags

    def h(kb: int) -> str:
        if not human:
            return str(kb)
        for unit, size in (("G", 1024 * 1024), ("M", 1024), ("K", 1)):
            if kb >= size:
                val = kb / size
                return f"{val:.1f}{unit}" if val < 10 else f"{val:.0f}{unit}"
        return "0"

    head = "Size  Used Avail" if human else "1K-blocks     Used Available"
    cmd.out(f"Filesystem     {head} Use% Mounted on\n")
    for fs_, size, use, mnt in rows:
        pct = f"{round(use * 100 / size) if size else 0}%"
        w1 = 4 if human else 9
        cmd.out(
            f"{fs_:<14} {h(size):>{w1}} {h(use):>{5 if human else 8}} "
            f"{h(size - use):>{5 if human else 9}} {pct:>4} {mnt}\n"
        )
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


def process_table(cmd: Cmd) -> list[tuple[str, int, str, str, str]]:
    """(user, pid, tty, start, command) rows, including this session."""
    boot = time.strftime("%b%d", time.localtime(cmd.host.persona.boot_time))
    info = cmd.shell.info
    base = [
        ("root", 1, "?", "/sbin/init"),
        ("root", 2, "?", "[kthreadd]"),
        ("root", 3, "?", "[rcu_gp]"),
        ("root", 4, "?", "[rcu_par_gp]"),
        ("root", 9, "?", "[mm_percpu_wq]"),
        ("root", 10, "?", "[rcu_tasks_kthread]"),
        ("root", 13, "?", "[ksoftirqd/0]"),
        ("root", 14, "?", "[rcu_preempt]"),
        ("root", 15, "?", "[migration/0]"),
        ("root", 24, "?", "[kdevtmpfs]"),
        ("root", 281, "?", "/lib/systemd/systemd-journald"),
        ("root", 305, "?", "/lib/systemd/systemd-udevd"),
        ("message+", 511, "?", "/usr/bin/dbus-daemon --system --address=systemd: --nofork"),
        ("root", 514, "?", "/usr/sbin/cron -f"),
        ("root", 516, "?", "/usr/sbin/rsyslogd -n -iNONE"),
        ("root", 519, "?", "/lib/systemd/systemd-logind"),
        ("root", 560, "tty1", "/sbin/agetty -o -p -- \\u --noclear - linux"),
        ("root", 571, "?", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"),
        ("mysql", 612, "?", "/usr/sbin/mariadbd"),
        ("root", 688, "?", "/usr/sbin/apache2 -k start"),
        ("www-data", 690, "?", "/usr/sbin/apache2 -k start"),
        ("www-data", 691, "?", "/usr/sbin/apache2 -k start"),
    ]
    rows = [(u, p, t, boot, c) for u, p, t, c in base]
    start = time.strftime("%H:%M", time.localtime(info.login_time))
    user = cmd.shell.user.name
    rows += [
        ("root", info.pid - 3, "?", start, f"sshd: {user} [priv]"),
        (user, info.pid - 1, "?", start, f"sshd: {user}@{info.tty}"),
        (user, info.pid, info.tty, start, "-bash"),
    ]
    return rows


async def ps(cmd: Cmd) -> int:
    args = "".join(a.lstrip("-") for a in cmd.argv)
    rows = process_table(cmd)
    rows.append(
        (
            cmd.shell.user.name,
            cmd.shell.info.pid + 40,
            cmd.shell.info.tty,
            rows[-1][3],
            "ps " + " ".join(cmd.argv),
        )
    )
    if "e" in args and "f" in args and "u" not in args:
        cmd.out("UID          PID    PPID  C STIME TTY          TIME CMD\n")
        for user, pid, tty, start, command in rows:
            ppid = 0 if pid == 1 else 2 if command.startswith("[") else 1
            cmd.out(f"{user:<8} {pid:>7} {ppid:>7}  0 {start:>5} {tty:<8} 00:00:00 {command}\n")
        return 0
    if "a" in args and "u" in args:
        cmd.out("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
        for user, pid, tty, start, command in rows:
            vsz = 0 if command.startswith("[") else 5000 + pid * 37 % 90000
            rss = 0 if command.startswith("[") else 1000 + pid * 13 % 9000
            stat = "S" if tty == "?" else "Ss"
            cmd.out(
                f"{user:<8} {pid:>7}  0.0  0.{pid % 9} {vsz:>6} {rss:>5} {tty:<8} {stat:<4} "
                f"{start:>5}   0:00 {command}\n"
            )
        return 0
    if "e" in args or "A" in args or "x" in args:
        cmd.out("    PID TTY          TIME CMD\n")
        for _u, pid, tty, _s, command in rows:
            name = command.split()[0].rsplit("/", 1)[-1].strip("[]:")
            cmd.out(f"{pid:>7} {tty:<8} 00:00:00 {name}\n")
        return 0
    cmd.out("    PID TTY          TIME CMD\n")
    for _u, pid, tty, _s, command in rows[-2:]:
        cmd.out(f"{pid:>7} {tty:<8} 00:00:00 {command.lstrip('-').split()[0]}\n")
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


async def kill(cmd: Cmd) -> int:
    pids = [a for a in cmd.argv if not a.startswith("-")]
    known = {p for _u, p, *_ in process_table(cmd)}
    status = 0
    for pid in pids:
        if not pid.isdigit() or int(pid) not in known:
            cmd.err(
                f"{'-bash' if cmd.shell.interactive else 'bash'}: kill: ({pid}) - No such process\n"
            )
            status = 1
    return status


async def date(cmd: Cmd) -> int:
    fmt = next((a[1:] for a in cmd.argv if a.startswith("+")), None)
    now = time.localtime()
    if fmt is not None:
        cmd.out(time.strftime(fmt.replace("%N", "000000000"), now) + "\n")
    else:
        cmd.out(time.strftime("%a %b %e %H:%M:%S %Z %Y", now) + "\n")
    return 0


async def env(cmd: Cmd) -> int:
    if cmd.argv and "=" not in cmd.argv[0] and not cmd.argv[0].startswith("-"):
        from phantomnet.deception.shell.simple import dispatch

        cmd.args = cmd.argv
        return await dispatch(cmd.shell, cmd)
    cmd.out("".join(f"{k}={v}\n" for k, v in cmd.shell.env.items()))
    return 0


async def which(cmd: Cmd) -> int:
    status = 0
    for name in (a for a in cmd.argv if not a.startswith("-")):
        where = find_in_path(cmd.shell, name)
        if where is None:
            status = 1
        else:
            cmd.out(where.replace("/bin/", "/usr/bin/", 1) if where.startswith("/bin/") else where)
            cmd.out("\n")
    return status


async def lsb_release(cmd: Cmd) -> int:
    lsb = cmd.host.persona.spec.lsb_release
    flags, _ = split_opts(cmd.argv)
    if not flags & {"a", "i", "d", "r", "c"}:
        flags = {"d"}
    if "a" in flags:
        cmd.err("No LSB modules are available.\n")
        flags = {"i", "d", "r", "c"}
    labels = [
        ("i", "Distributor ID", "id"),
        ("d", "Description", "description"),
        ("r", "Release", "release"),
        ("c", "Codename", "codename"),
    ]
    for flag, label, key in labels:
        if flag in flags:
            cmd.out(
                f"{label + ':':<16}{lsb.get(key, '')}\n"
                if "s" not in flags
                else f"{lsb.get(key, '')}\n"
            )
    return 0


async def dmesg(cmd: Cmd) -> int:
    if cmd.shell.user.uid:
        return cmd.fail("read kernel buffer failed: Operation not permitted")
    k = cmd.host.persona.spec.kernel
    cmd.out(
        f"[    0.000000] Linux version {k.release} ({k.builder}) ({k.compiler}) {k.version}\n"
        f"[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-{k.release} "
        "root=/dev/sda1 ro quiet\n"
        "[    0.000000] BIOS-provided physical RAM map:\n"
        "[    0.004000] Hypervisor detected: KVM\n"
    )
    return 0


async def mount(cmd: Cmd) -> int:
    """``mount`` lists /proc/mounts as util-linux does: ``dev on dir type fs (opts)``."""
    if cmd.argv:
        return cmd.fail("only root can do that") if cmd.shell.user.uid else 0
    for line in cmd.fs.read("/proc/mounts").decode().splitlines():
        f = line.split()
        if len(f) >= 4:
            cmd.out(f"{f[0]} on {f[1]} type {f[2]} ({f[3]})\n")
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


async def sleep(cmd: Cmd) -> int:
    if not cmd.argv:
        return cmd.fail("missing operand\nTry 'sleep --help' for more information.")
    try:
        seconds = sum(
            float(a.rstrip("smhd")) * {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(a[-1], 1)
            for a in cmd.argv
        )
    except ValueError:
        return cmd.fail(
            f"invalid time interval '{cmd.argv[0]}'\nTry 'sleep --help' for more information."
        )
    await cmd.sleep(seconds)
    return 0


async def clear(cmd: Cmd) -> int:
    cmd.out("\x1b[H\x1b[2J\x1b[3J")
    return 0


COMMANDS: dict[str, CommandFn] = {
    "uname": uname,
    "hostname": hostname,
    "uptime": uptime,
    "free": free,
    "df": df,
    "nproc": nproc,
    "lscpu": lscpu,
    "ps": ps,
    "top": top,
    "kill": kill,
    "pkill": kill,
    "killall": kill,
    "date": date,
    "env": env,
    "printenv": env,
    "which": which,
    "lsb_release": lsb_release,
    "dmesg": dmesg,
    "mount": mount,
    "arch": arch,
    "getconf": getconf,
    "lsblk": lsblk,
    "openssl": openssl,
    "sleep": sleep,
    "clear": clear,
}
