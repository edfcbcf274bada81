"""Who am I and who is logged in: ``id``, ``whoami``, ``groups``, ``who``, ``w``, ``users``,
``last``. Accounts come from the attacker's own ``/etc/passwd`` and ``/etc/group`` (so an
account added by the door or by the attacker shows everywhere); the login listings all show
the one session of this shell, at the same login time, tty and source address."""

from __future__ import annotations

import time

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.persona import UserEntry
from phantomnet.deception.shell.commands.system import uptime_text
from phantomnet.deception.shell.context import Cmd, CommandFn
from phantomnet.deception.shell.getopt import opt_value, split_opts


def _table(cmd: Cmd, path: str) -> list[list[str]]:
    try:
        return [r.split(":") for r in cmd.fs.read_text(path).splitlines()]
    except FsError:
        return []


def _user(cmd: Cmd, name: str) -> UserEntry | None:
    for f in _table(cmd, "/etc/passwd"):
        if len(f) >= 7 and f[0] == name and f[2].isdigit() and f[3].isdigit():
            return UserEntry(name=f[0], uid=int(f[2]), gid=int(f[3]), gecos=f[4], home=f[5],
                             shell=f[6])  # fmt: skip
    return None


def groups_of(cmd: Cmd, user: UserEntry) -> list[tuple[int, str]]:
    """Primary group then supplementary ones, from the attacker's ``/etc/group``."""
    rows = [r for r in _table(cmd, "/etc/group") if len(r) >= 4 and r[2].isdigit()]
    by_gid = {int(r[2]): r[0] for r in rows}
    out = [(user.gid, by_gid.get(user.gid, str(user.gid)))]
    out += [(int(r[2]), r[0]) for r in rows
            if user.name in r[3].split(",") and int(r[2]) != user.gid]  # fmt: skip
    return out


def _quote(cmd: Cmd, text: str) -> str:
    """coreutils' quote(): curly quotes in a UTF-8 locale, straight ones in C."""
    utf8 = "utf" in cmd.shell.env.get("LANG", "").lower().replace("-", "")
    return f"\u2018{text}\u2019" if utf8 else f"'{text}'"


def _who_is(cmd: Cmd, name: str | None) -> UserEntry | None:
    if name is None:
        return cmd.shell.user
    return _user(cmd, name)


async def id_(cmd: Cmd) -> int:
    flags, names = split_opts(cmd.argv)
    long = {"--user": "u", "--group": "g", "--groups": "G", "--name": "n", "--real": "r",
            "--zero": "z"}  # fmt: skip
    for f in [f for f in flags if f.startswith("--")]:
        if f not in long:
            return cmd.fail(f"unrecognized option '{f}'\nTry 'id --help' for more information.")
        flags.add(long[f])
    bad = next((f for f in flags if len(f) == 1 and f not in "ugGnrzaZ"), None)
    if bad:
        return cmd.fail(f"invalid option -- '{bad}'\nTry 'id --help' for more information.")
    which = [f for f in "ugG" if f in flags]
    if len(which) > 1:
        return cmd.fail('cannot print "only" of more than one choice')
    if not which and flags & {"n", "r"}:
        return cmd.fail("cannot print only names or real IDs in default format")
    status = 0
    wanted: list[str | None] = [*names] or [None]
    for name in wanted:
        user = _who_is(cmd, name)
        if user is None:
            cmd.err(f"id: {_quote(cmd, name or '')}: no such user\n")
            status = 1
            continue
        groups = groups_of(cmd, user)
        names_only = "n" in flags
        if which == ["u"]:
            line = user.name if names_only else str(user.uid)
        elif which == ["g"]:
            line = groups[0][1] if names_only else str(user.gid)
        elif which == ["G"]:
            line = " ".join(g if names_only else str(i) for i, g in groups)
        else:
            listed = ",".join(f"{i}({g})" for i, g in groups)
            line = f"uid={user.uid}({user.name}) gid={user.gid}({groups[0][1]}) groups={listed}"
        cmd.out(line + ("\x00" if "z" in flags else "\n"))
    return status


async def whoami(cmd: Cmd) -> int:
    if cmd.argv:
        extra = cmd.argv[0]
        return cmd.fail(f"extra operand {_quote(cmd, extra)}\n"
                        "Try 'whoami --help' for more information.")  # fmt: skip
    cmd.out(cmd.shell.user.name + "\n")
    return 0


async def groups(cmd: Cmd) -> int:
    _flags, names = split_opts(cmd.argv)
    if not names:
        cmd.out(" ".join(g for _i, g in groups_of(cmd, cmd.shell.user)) + "\n")
        return 0
    status = 0
    for name in names:
        user = _user(cmd, name)
        if user is None:
            cmd.err(f"groups: {_quote(cmd, name)}: no such user\n")
            status = 1
            continue
        cmd.out(f"{name} : " + " ".join(g for _i, g in groups_of(cmd, user)) + "\n")
    return status


async def w(cmd: Cmd) -> int:
    info = cmd.shell.info
    flags, _ = split_opts(cmd.argv)
    login = time.strftime("%H:%M", time.localtime(info.login_time))
    if "h" not in flags:
        cmd.out(uptime_text(cmd) + "\n")
        cmd.out("USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n")
    cmd.out(f"{cmd.shell.user.name:<8} {info.tty:<8} {info.client_ip:<16} {login}    0.00s  "
            f"0.02s  0.00s w{' ' + ' '.join(cmd.argv) if cmd.argv else ''}\n")  # fmt: skip
    return 0


async def who(cmd: Cmd) -> int:
    info = cmd.shell.info
    flags, _ = split_opts(cmd.argv)
    if "b" in flags:
        boot = time.strftime("%Y-%m-%d %H:%M", time.localtime(cmd.host.persona.boot_time))
        cmd.out(f"         system boot  {boot}\n")
        return 0
    if "q" in flags:
        cmd.out(f"{cmd.shell.user.name}\n# users=1\n")
        return 0
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.login_time))
    if "H" in flags:
        cmd.out("NAME     LINE         TIME             COMMENT\n")
    cmd.out(f"{cmd.shell.user.name:<8} {info.tty:<12} {when} ({info.client_ip})\n")
    return 0


async def users(cmd: Cmd) -> int:
    cmd.out(cmd.shell.user.name + "\n")
    return 0


async def last(cmd: Cmd) -> int:
    flags, _ = split_opts(cmd.argv, takes_value="n")
    count = opt_value(flags, "n")
    limit = int(count) if count and count.isdigit() else 2
    info = cmd.shell.info
    when = time.strftime("%a %b %e %H:%M", time.localtime(info.login_time))
    boot_t = time.localtime(cmd.host.persona.boot_time)
    boot = time.strftime("%a %b %e %H:%M", boot_t)
    release = cmd.host.persona.spec.kernel.release
    entries = [
        f"{cmd.shell.user.name:<8} {info.tty:<12} {info.client_ip:<16} {when}   still logged in\n",
        f"reboot   system boot  {release:<16} {boot}   still running\n",
    ]
    cmd.out("".join(entries[:limit]))
    cmd.out(f"\nwtmp begins {time.strftime('%a %b %e %H:%M:%S %Y', boot_t)}\n")
    return 0


COMMANDS: dict[str, CommandFn] = {
    "id": id_, "whoami": whoami, "groups": groups, "w": w, "who": who, "users": users,
    "last": last,
}  # fmt: skip
