"""What Mirai-style loaders type first: bash's ``enable`` (the builtin list of bash 5.2), and
BusyBox as Debian 12 ships it (``busybox`` 1:1.35.0-4+deb12u1): the applet list, its help
text, ``X: applet not found``, and busybox's own ``wget`` wording (botnet loaders call
``/bin/busybox wget``/``tftp``; nothing is ever fetched, the request is recorded).

The texts are compared with the real binary by tests/unit/deception/test_busybox.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from phantomnet.deception.shell.commands.network import (
    _body,
    _fake_ip,
    _local_name,
    _normalise_url,
    _save,
    tftp,
)
from phantomnet.deception.shell.context import Cmd, CommandFn, Download
from phantomnet.deception.shell.getopt import opt_value, split_opts

#: ``busybox --list`` of Debian 12's package, in its order
_NAMES = """
[ [[ acpid adjtimex ar arch arp arping ascii ash awk base64 basename bc blkdiscard blkid
blockdev brctl bunzip2 bzcat bzip2 cal cat chgrp chmod chown chroot chvt clear cmp cp cpio
crc32 cttyhack cut date dc dd deallocvt depmod devmem df diff dirname dmesg dnsdomainname
dos2unix du dumpkmap dumpleases echo egrep env expand expr factor fallocate false fatattr
fdisk fgrep find findfs fold free freeramdisk fsfreeze fstrim ftpget ftpput getopt getty
grep groups gunzip gzip halt head hexdump hostid hostname httpd hwclock i2cdetect i2cdump
i2cget i2cset i2ctransfer id ifconfig ifdown ifup init insmod ionice ip ipcalc ipneigh kill
killall klogd last less link linux32 linux64 linuxrc ln loadfont loadkmap logger login
logname logread losetup ls lsmod lsscsi lzcat lzma lzop md5sum mdev microcom mim mkdir
mkdosfs mke2fs mkfifo mknod mkpasswd mkswap mktemp modinfo modprobe more mount mt mv nameif
nc netstat nl nologin nproc nsenter nslookup nuke od openvt partprobe paste patch pidof ping
ping6 pivot_root poweroff printf ps pwd rdate readlink realpath reboot renice reset resume
rev rm rmdir rmmod route rpm rpm2cpio run-init run-parts sed seq setkeycodes setpriv setsid
sh sha1sum sha256sum sha3sum sha512sum shred shuf sleep sort ssl_client start-stop-daemon
stat strings stty svc svok swapoff swapon switch_root sync sysctl syslogd tac tail tar
taskset tee telnet test tftp time timeout top touch tr traceroute traceroute6 true truncate
ts tty ubirename udhcpc udhcpd uevent umount uname uncompress unexpand uniq unix2dos unlink
unlzma unshare unxz unzip uptime usleep uudecode uuencode vconfig vi w watch watchdog wc
wget which who whoami xargs xxd xz xzcat yes zcat
"""
APPLETS: tuple[str, ...] = tuple(_NAMES.split())
_APPLET_SET = frozenset(APPLETS)

USAGE = (
    "BusyBox is copyrighted by many authors between 1998-2015.\n"
    "Licensed under GPLv2. See source distribution for detailed\n"
    "copyright notices.\n\n"
    "Usage: busybox [function [arguments]...]\n"
    "   or: busybox --list[-full]\n"
    "   or: busybox --show SCRIPT\n"
    "   or: busybox --install [-s] [DIR]\n"
    "   or: function [arguments]...\n\n"
    "\tBusyBox is a multi-call binary that combines many common Unix\n"
    "\tutilities into a single executable.  Most people will create a\n"
    "\tlink to busybox for each function they wish to use and BusyBox\n"
    "\twill act like whatever it was invoked as.\n\n"
    "Currently defined functions:\n"
)


def applet_table(width: int = 79) -> str:
    """The comma-separated list as busybox wraps it (appletlib.c: 79 columns off a tty)."""
    out: list[str] = []
    col = 0
    for name in APPLETS:
        length = len(name) + 2
        if col >= width - length:
            out.append(",\n")
            col = 0
        if col == 0:
            col = 6
            out.append("\t")
        else:
            out.append(", ")
        out.append(name)
        col += length
    return "".join(out) + "\n"


def help_text(banner: str) -> str:
    return f"{banner}\n{USAGE}{applet_table()}"


async def wget(cmd: Cmd) -> int:
    """busybox wget: ``Connecting to``, ``saving to``, a bar, ``saved`` (all on stderr)."""
    flags, urls = split_opts(cmd.argv, takes_value="OoPUTYt", long_values=("output-document",))
    if not urls:
        cmd.err(
            "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n\n"
            "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n"
            "\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
            "\t[-P DIR] [-U AGENT] [-T SEC] URL...\n"
        )
        return 1
    quiet = "q" in flags
    status = 0
    for raw in urls[:10]:
        url = _normalise_url(raw)
        parts = urlsplit(url)
        host = parts.hostname or ""
        target = opt_value(flags, "O") or opt_value(flags, "--output-document") or _local_name(url)
        cmd.shell.result.downloads.append(Download(raw, target, "wget"))
        if not host or parts.scheme not in ("http", "https", "ftp"):
            cmd.err(f"wget: not an http or ftp url: {raw}\n")
            status = 1
            continue
        data = _body(url)
        port = parts.port or {"https": 443, "ftp": 21}.get(parts.scheme, 80)
        await cmd.sleep(0.3 + (len(url) % 9) / 10)
        if not quiet:
            cmd.err(f"Connecting to {host} ({_fake_ip(host)}:{port})\n")
        if target == "-":
            cmd.out(data)
        else:
            if not quiet:
                cmd.err(f"saving to '{target}'\n")
            if not _save(cmd, target, data, "wget"):
                status = 1
                continue
            if not quiet:
                cmd.err(
                    f"{target[:20]:<20} 100% |********************************| "
                    f"{len(data) / 1024:4.0f}k  0:00:00 ETA\n'{target}' saved\n"
                )
    return status


async def busybox(cmd: Cmd) -> int:
    from phantomnet.deception.shell.commands import BUILTINS, COMMANDS

    banner = cmd.host.persona.software("busybox")
    argv = cmd.argv
    if not argv or argv[0] == "--help":
        cmd.out(help_text(banner))
        return 0
    if argv[0] in ("--list", "--list-full"):
        full = argv[0] == "--list-full"
        cmd.out("".join(f"{'bin/' if full else ''}{name}\n" for name in APPLETS))
        return 0
    applet = argv[0].rsplit("/", 1)[-1]
    if applet not in _APPLET_SET:
        cmd.err(f"{argv[0]}: applet not found\n")
        return 127
    cmd.args = [applet, *argv[1:]]
    fn: CommandFn | None = APPLET_OVERRIDES.get(applet) or BUILTINS.get(applet)
    fn = fn or COMMANDS.get(applet)
    if fn is None:
        return 0  # an applet the fake host does not emulate: silent success
    return await fn(cmd)


#: ``enable`` of Debian 12's bash 5.2, in its order
_BASH_BUILTINS = """
. : [ alias bg bind break builtin caller cd command compgen complete compopt continue
declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history
jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set
shift shopt source suspend test times trap true type typeset ulimit umask unalias unset wait
"""
BASH_BUILTINS: tuple[str, ...] = tuple(_BASH_BUILTINS.split())


async def enable(cmd: Cmd) -> int:
    """bash's ``enable``: lists the builtins; ``enable NAME`` is quiet for a builtin."""
    from phantomnet.deception.shell.commands.builtins import _bash_err

    names = [a for a in cmd.argv if not a.startswith("-")]
    if not names:
        cmd.out("".join(f"enable {name}\n" for name in BASH_BUILTINS))
        return 0
    status = 0
    for name in names:
        if name not in BASH_BUILTINS:
            status = _bash_err(cmd, f"{name}: not a shell builtin")
    return status


#: applets whose busybox wording differs from the GNU tool's
APPLET_OVERRIDES: dict[str, CommandFn] = {"wget": wget, "tftp": tftp}
