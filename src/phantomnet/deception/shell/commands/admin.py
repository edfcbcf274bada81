"""Administration: sudo, su, passwd, chpasswd, useradd, crontab, apt, dpkg, systemctl,
service, iptables, chattr, busybox, interpreters (never run)."""

from __future__ import annotations

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.shell.commands import busybox
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.getopt import split_opts
from phantomnet.deception.shell.simple import dispatch

APT_HEAD = (
    "Reading package lists... Done\nBuilding dependency tree... Done\n"
    "Reading state information... Done\n"
)
INSTALLED = {
    "wget",
    "curl",
    "openssh-server",
    "apache2",
    "bash",
    "coreutils",
    "python3",
    "perl",
    "mariadb-server",
    "cron",
    "sudo",
    "tar",
    "gzip",
    "busybox",
}


async def sudo(cmd: Cmd) -> int:
    _flags, rest = split_opts(cmd.argv, takes_value="ugp")
    if not rest:
        cmd.err(
            "usage: sudo -h | -K | -k | -V\nusage: sudo -v [-AknS] [-g group] [-h host] "
            "[-p prompt] [-u user]\n"
        )
        return 1
    sh = cmd.shell
    saved = sh.user
    sh.user = sh.host.persona.user("root") or saved
    try:
        cmd.args = rest
        return await dispatch(sh, cmd)
    finally:
        sh.user = saved


async def su(cmd: Cmd) -> int:
    rest = [a for a in cmd.argv if a not in ("-", "-l", "--login")]
    if rest and rest[0] == "-c":
        cmd.args = ["bash", "-c", *rest[1:]]
        return await dispatch(cmd.shell, cmd)
    name = rest[0] if rest else "root"
    entry = cmd.host.persona.user(name)
    if entry is None:
        cmd.err(
            f"su: user {name} does not exist or the user entry does not contain all the "
            "required fields\n"
        )
        return 1
    if cmd.shell.user.uid != 0:
        await cmd.sleep(2.5)
        cmd.err("Password: \nsu: Authentication failure\n")
        return 1
    cmd.shell.user = entry
    cmd.shell.env.update(HOME=entry.home, USER=entry.name, LOGNAME=entry.name)
    return 0


async def passwd(cmd: Cmd) -> int:
    if cmd.shell.user.uid != 0 and cmd.argv:
        return cmd.fail(f"You may not view or modify password information for {cmd.argv[0]}.")
    cmd.err("New password: \nRetype new password: \npasswd: password updated successfully\n")
    return 0


async def chpasswd(cmd: Cmd) -> int:
    """Records ``user:password`` pairs: the host will accept them for this source."""
    if cmd.shell.user.uid != 0:
        return cmd.fail(
            "(user root) pam_chauthtok() failed, error:\nAuthentication token manipulation error"
        )
    for line in cmd.stdin.decode("utf-8", "replace").splitlines()[:100]:
        user, sep, password = line.partition(":")
        if not sep:
            cmd.err("chpasswd: line 1: missing new password\n")
            return 1
        cmd.host.policy.remember(cmd.shell.attacker_ip, user.strip(), password)
    return 0


async def useradd(cmd: Cmd) -> int:
    _flags, rest = split_opts(cmd.argv, takes_value="dgGmsucpk")
    if not rest:
        cmd.err(f"Usage: {cmd.name} [options] LOGIN\n")
        return 2
    if cmd.shell.user.uid != 0:
        return cmd.fail("Permission denied.\nuseradd: cannot lock /etc/passwd; try again later.")
    name = rest[-1]
    text = cmd.fs.read_text("/etc/passwd")
    if f"\n{name}:" in "\n" + text:
        return cmd.fail(f"user '{name}' already exists", 9)
    uid = 1000 + text.count(":/home/")
    cmd.fs.write(
        "/etc/passwd", f"{name}:x:{uid}:{uid}::/home/{name}:/bin/sh\n".encode(), append=True
    )
    return 0


async def crontab(cmd: Cmd) -> int:
    flags, rest = split_opts(cmd.argv, takes_value="u")
    spool = f"/var/spool/cron/crontabs/{cmd.shell.user.name}"
    if "l" in flags:
        try:
            cmd.out(cmd.fs.read(spool))
        except FsError:
            cmd.err(f"no crontab for {cmd.shell.user.name}\n")
            return 1
        return 0
    if "r" in flags:
        try:
            cmd.fs.remove(spool)
        except FsError:
            cmd.err(f"no crontab for {cmd.shell.user.name}\n")
            return 1
        return 0
    if "e" in flags:
        cmd.err(
            f"no crontab for {cmd.shell.user.name} - using an empty one\ncrontab: "
            "installing new crontab\n"
        )
        return 0
    source = rest[0] if rest else "-"
    data = cmd.read_input(source)
    if data is None:
        return 1
    cmd.fs.write(spool, data, mode=0o600)
    return 0


async def apt(cmd: Cmd) -> int:
    sub = next((a for a in cmd.argv if not a.startswith("-")), "")
    pkgs = [a for a in cmd.argv[1:] if not a.startswith("-")]
    if sub in ("install", "update", "upgrade", "remove", "purge") and cmd.shell.user.uid != 0:
        cmd.err(
            "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: "
            "Permission denied)\n"
            "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), "
            "are you root?\n"
        )
        return 100
    if sub == "update":
        await cmd.sleep(1.5)
        cmd.out(
            "Hit:1 http://deb.debian.org/debian bookworm InRelease\n"
            "Hit:2 http://deb.debian.org/debian-security bookworm-security InRelease\n"
            "Hit:3 http://deb.debian.org/debian bookworm-updates InRelease\n"
            + APT_HEAD
            + "All packages are up to date.\n"
        )
        return 0
    if sub == "install":
        cmd.out(APT_HEAD)
        for p in pkgs:
            if p in INSTALLED:
                cmd.out(f"{p} is already the newest version.\n")
            else:
                cmd.err(f"E: Unable to locate package {p}\n")
                return 100
        cmd.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
        return 0
    if sub in ("upgrade", "remove", "purge"):
        cmd.out(
            APT_HEAD + "Calculating upgrade... Done\n0 upgraded, 0 newly installed, 0 to remove"
            " and 0 not upgraded.\n"
        )
        return 0
    if "--version" in cmd.argv or "-v" in cmd.argv:
        cmd.out("apt 2.6.1 (amd64)\n")
        return 0
    cmd.out("apt 2.6.1 (amd64)\nUsage: apt [options] command\n")
    return 0 if not sub else 1


async def dpkg(cmd: Cmd) -> int:
    if cmd.argv[:1] == ["-l"]:
        cmd.out(
            "Desired=Unknown/Install/Remove/Purge/Hold\n"
            "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n"
            "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n"
            f"||/ {'Name':<41} {'Version':<40} Architecture Description\n"
            f"+++-{'=' * 41}-{'=' * 40}-{'=' * 12}-{'=' * 80}\n"
        )
        for p in sorted(INSTALLED):
            cmd.out(f"ii  {p:<41} {'1.0':<40} amd64        {p}\n")
        return 0
    return cmd.fail(
        "need an action option\n\nType dpkg --help for help about installing and "
        "deinstalling packages [*];",
        2,
    )


async def systemctl(cmd: Cmd) -> int:
    sub = cmd.argv[0] if cmd.argv else "list-units"
    unit = cmd.argv[1] if len(cmd.argv) > 1 else ""
    if sub == "status" and unit:
        name = unit.removesuffix(".service")
        known = {"ssh", "sshd", "cron", "apache2", "mariadb", "mysql", "rsyslog"}
        if name not in known:
            cmd.err(f"Unit {name}.service could not be found.\n")
            return 4
        cmd.out(
            f"● {name}.service\n     Loaded: loaded (/lib/systemd/system/{name}.service; enabled;"
            " preset: enabled)\n     Active: active (running)\n"
        )
        return 0
    if sub in ("start", "stop", "restart", "enable", "disable", "reload", "daemon-reload"):
        if cmd.shell.user.uid != 0:
            cmd.err(f"Failed to {sub} {unit}: Interactive authentication required.\n")
            return 1
        return 0
    return 0


async def service(cmd: Cmd) -> int:
    if len(cmd.argv) >= 2:
        cmd.args = ["systemctl", cmd.argv[1], cmd.argv[0]]
        return await systemctl(cmd)
    cmd.err(
        "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n"
    )
    return 1


async def root_only(cmd: Cmd) -> int:
    """iptables, chattr, ufw...: silent for root, a permission error otherwise."""
    if cmd.shell.user.uid != 0:
        return cmd.fail(
            "Permission denied (you must be root)", 4 if cmd.name.startswith("ip") else 1
        )
    if cmd.name.startswith("iptables") and ("-L" in cmd.argv or "-S" in cmd.argv):
        cmd.out(
            "Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n\n"
            "Chain FORWARD (policy ACCEPT)\ntarget     prot opt source               "
            "destination\n\n"
            "Chain OUTPUT (policy ACCEPT)\ntarget     prot opt source               destination\n"
        )
    return 0


async def interpreter(cmd: Cmd) -> int:
    """python3/perl/sh: scripts from the fake FS run in this shell; real code never runs."""
    from phantomnet.deception.shell.simple import run_script

    args = cmd.argv
    if cmd.name in ("sh", "bash", "dash"):
        if args[:1] == ["-c"] and len(args) > 1:
            await cmd.shell._run_nested(args[1], cmd)
            return cmd.shell.status
        if args and not args[0].startswith("-"):
            try:
                text = cmd.fs.read_text(args[0], cmd.cwd)
            except FsError as exc:
                cmd.err(
                    f"{cmd.name}: {args[0]}: {exc.strerror}\n"
                    if cmd.name != "dash"
                    else f"{cmd.name}: 0: cannot open {args[0]}: No such file\n"
                )
                return 127
            return await run_script(cmd.shell, cmd, text, args)
        if not args and cmd.stdin:
            return 0
        return 0
    if "python" in cmd.name and args[:1] in (["-V"], ["--version"]):
        cmd.out(f"Python {cmd.host.persona.software('python')}\n")
    elif "perl" in cmd.name and args[:1] in (["-v"], ["--version"]):
        cmd.out(
            "\nThis is perl 5, version 36, subversion 0 (v5.36.0) built for "
            "x86_64-linux-gnu-thread-multi\n(with 60 registered patches, see perl -V for more "
            "detail)\n\nCopyright 1987-2022, Larry Wall\n"
        )
    return 0


COMMANDS: dict[str, CommandFn] = {
    "sudo": sudo,
    "su": su,
    "passwd": passwd,
    "chpasswd": chpasswd,
    "useradd": useradd,
    "adduser": useradd,
    "crontab": crontab,
    "apt": apt,
    "apt-get": apt,
    "yum": apt,
    "dpkg": dpkg,
    "systemctl": systemctl,
    "service": service,
    "iptables": root_only,
    "ip6tables": root_only,
    "chattr": root_only,
    "ufw": root_only,
    "python3": interpreter,
    "python": interpreter,
    "perl": interpreter,
    "sh": interpreter,
    "bash": interpreter,
    "dash": interpreter,
    "busybox": busybox.busybox,
}
