"""System information commands rendered from the persona and live state: uname, ps, df,
uptime, hostname, date, env, which, lsb_release, dmesg, mount... (accounts and logins are in
:mod:`identity`, memory/CPU/disk queries in :mod:`hardware`)."""

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
    "df": df,
    "ps": ps,
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
    "sleep": sleep,
    "clear": clear,
}
