"""The base image: a Debian-like tree rendered from the persona (rebuilt at each start).

Text files are rendered from the persona and this install's identity, so ``/etc/hostname``,
``/etc/passwd``, ``/etc/os-release`` agree with the SSH banner, ``uname`` and the other doors.
Binaries are generated ELF files (``gen = "elf:<size>"``) and ``/proc`` files are live
generators evaluated by the host on every read.
"""

from __future__ import annotations

from collections.abc import Callable

from phantomnet.deception import netinfo
from phantomnet.deception.fakefs.node import Node, vnorm, vparent
from phantomnet.deception.fakefs.view import BaseTree
from phantomnet.deception.persona import Persona

BINARIES = {
    "/usr/bin": (
        "apt apt-get apt-cache awk base64 basename bash cat chattr chgrp chmod chown cp "
        "crontab curl"
        " cut date dd df diff dirname dmesg dpkg du echo egrep env expr false fgrep find free grep"
        " groups gzip head hostname id ip kill last less ln login ls lsattr lsblk lscpu md5sum"
        " mkdir mktemp more mount mv nano nc netstat nohup nproc od passwd perl pgrep ping pkill"
        " printf ps pwd python3 readlink rm rmdir scp sed seq sh sha1sum sha256sum sleep sort"
        " ssh ss stat su sudo tail tar tee test timeout top touch tr true umount uname uniq"
        " unzip uptime users vi w wc wget whereis which who whoami xargs yes zcat sftp lsb_release"
        " systemctl journalctl openssl busybox arch getconf gunzip hostnamectl chpasswd file dash"
        " rev tac"
    ),
    "/usr/sbin": (
        "adduser useradd userdel usermod groupadd iptables ip6tables sshd cron ifconfig route"
        " reboot shutdown halt poweroff service sysctl arp iptables-save visudo chroot"
    ),
}

_DIRS = (
    "/bin>usr/bin /sbin>usr/sbin /lib>usr/lib /lib64>usr/lib64 /boot /dev /dev/shm /dev/pts /etc"
    " /etc/apt /etc/apt/sources.list.d /etc/cron.d /etc/cron.daily /etc/cron.hourly /etc/default"
    " /etc/init.d /etc/network /etc/pam.d /etc/profile.d /etc/security /etc/skel /etc/ssh"
    " /etc/ssl /etc/ssl/certs /etc/ssl/private /etc/sudoers.d /etc/systemd /etc/systemd/system"
    " /home /media /mnt /opt /proc /proc/self /proc/net /root /root/.ssh /run /run/sshd /srv"
    " /sys /sys/class /sys/class/net /tmp /usr /usr/bin /usr/include /usr/lib /usr/lib64"
    " /usr/local /usr/local/bin /usr/local/lib /usr/local/sbin /usr/sbin /usr/share"
    " /usr/share/doc /usr/src /var /var/backups /var/cache /var/cache/apt /var/lib /var/lib/apt"
    " /var/lib/dpkg /var/lib/mysql /var/local /var/log /var/log/apt /var/mail /var/opt /var/spool"
    " /var/spool/cron /var/spool/cron/crontabs /var/tmp /var/www /var/www/html"
)

_PROC = (
    "cpuinfo meminfo loadavg uptime version stat mounts filesystems cmdline swaps partitions"
    " self/exe self/status self/cmdline self/environ net/tcp net/dev net/route net/arp"
)


_DIR_MODES = {"/tmp": 0o1777, "/var/tmp": 0o1777, "/root": 0o700, "/dev/shm": 0o1777}
#: the web root belongs to www-data (uploads through the web door must land there)
_DIR_OWNERS = {"/var/www/html": 33}


def _seed_nodes(persona: Persona, t: float) -> dict[str, Node]:
    nodes: dict[str, Node] = {"/": Node("dir", mode=0o755, mtime=t)}
    for item in _DIRS.split():
        if ">" in item:
            path, target = item.split(">")
            nodes[path] = Node("link", mode=0o777, mtime=t, target=target, size=len(target))
            continue
        owner = _DIR_OWNERS.get(item, 0)
        nodes[item] = Node("dir", mode=_DIR_MODES.get(item, 0o755), uid=owner, gid=owner, mtime=t)
    for folder, names in BINARIES.items():
        for i, name in enumerate(names.split()):
            size = 18_000 + (hash_name(name) % 140_000)
            mode = 0o4755 if name in ("su", "sudo", "passwd", "mount") else 0o755
            nodes[f"{folder}/{name}"] = Node(
                "file", mode=mode, mtime=t - i * 3600, size=size, gen=f"elf:{size}"
            )
    for name in _PROC.split():
        nodes[f"/proc/{name}"] = Node("file", mode=0o444, mtime=t, gen=f"proc:{name}")
    for dev, mode in (
        ("null", 0o666),
        ("zero", 0o666),
        ("random", 0o666),
        ("urandom", 0o666),
        ("tty", 0o666),
        ("console", 0o600),
        ("sda", 0o660),
        ("sda1", 0o660),
    ):
        nodes[f"/dev/{dev}"] = Node("chr", mode=mode, mtime=t, gen=f"dev:{dev}")
    return nodes


def hash_name(name: str) -> int:
    """A small stable hash (Python's ``hash`` is salted per process)."""
    h = 2166136261
    for ch in name.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


#: where a user's yescrypt hash goes in the shadow template (the same length as the hash, so
#: the file's size is known before the hashes are computed on the first read)
HASH_SLOT = "\x00" * 73


def shadow_text(persona: Persona, hasher: Callable[[bytes], str]) -> str:
    """``/etc/shadow``: login accounts get a yescrypt hash (``hasher``), the rest ``*``."""
    day = int(persona.identity.installed_at // 86400)
    template = _passwd(persona)[1]
    lines = []
    for row in template.splitlines():
        name, hashed, _ = row.split(":", 2)
        if hashed == HASH_SLOT:
            hashed = hasher(f"{persona.identity.seed}|{name}".encode())
        lines.append(f"{name}:{hashed}:{day}:0:99999:7:::\n")
    return "".join(lines)


BASE_GROUPS = (
    ("root", 0), ("daemon", 1), ("bin", 2), ("sys", 3), ("adm", 4), ("tty", 5), ("disk", 6),
    ("lp", 7), ("mail", 8), ("news", 9), ("uucp", 10), ("man", 12), ("proxy", 13),
    ("kmem", 15), ("dialout", 20), ("fax", 21), ("voice", 22), ("cdrom", 24), ("floppy", 25),
    ("tape", 26), ("sudo", 27), ("audio", 29), ("dip", 30), ("www-data", 33), ("backup", 34),
    ("operator", 37), ("list", 38), ("irc", 39), ("src", 40), ("shadow", 42), ("utmp", 43),
    ("video", 44), ("sasl", 45), ("plugdev", 46), ("staff", 50), ("games", 60), ("users", 100),
    ("nogroup", 65534),
)  # fmt: skip
FIRST_USER_GROUPS = frozenset(("cdrom", "floppy", "sudo", "audio", "dip", "video", "plugdev",
                               "users"))  # fmt: skip
#: groups of the system users in /etc/passwd (every primary gid there has its group)
PACKAGE_GROUPS = (("_ssh", 101), ("systemd-journal", 999), ("systemd-network", 998),
                  ("crontab", 102), ("messagebus", 107), ("mysql", 110))  # fmt: skip


def _passwd(persona: Persona) -> tuple[str, str, str]:
    system = [
        ("root", 0, 0, "root", "/root", "/bin/bash"),
        ("daemon", 1, 1, "daemon", "/usr/sbin", "/usr/sbin/nologin"),
        ("bin", 2, 2, "bin", "/bin", "/usr/sbin/nologin"),
        ("sys", 3, 3, "sys", "/dev", "/usr/sbin/nologin"),
        ("sync", 4, 65534, "sync", "/bin", "/bin/sync"),
        ("games", 5, 60, "games", "/usr/games", "/usr/sbin/nologin"),
        ("man", 6, 12, "man", "/var/cache/man", "/usr/sbin/nologin"),
        ("lp", 7, 7, "lp", "/var/spool/lpd", "/usr/sbin/nologin"),
        ("mail", 8, 8, "mail", "/var/mail", "/usr/sbin/nologin"),
        ("news", 9, 9, "news", "/var/spool/news", "/usr/sbin/nologin"),
        ("uucp", 10, 10, "uucp", "/var/spool/uucp", "/usr/sbin/nologin"),
        ("proxy", 13, 13, "proxy", "/bin", "/usr/sbin/nologin"),
        ("www-data", 33, 33, "www-data", "/var/www", "/usr/sbin/nologin"),
        ("backup", 34, 34, "backup", "/var/backups", "/usr/sbin/nologin"),
        ("list", 38, 38, "Mailing List Manager", "/var/list", "/usr/sbin/nologin"),
        ("irc", 39, 39, "ircd", "/run/ircd", "/usr/sbin/nologin"),
        ("_apt", 42, 65534, "", "/nonexistent", "/usr/sbin/nologin"),
        ("nobody", 65534, 65534, "nobody", "/nonexistent", "/usr/sbin/nologin"),
        ("systemd-network", 998, 998, "systemd Network Management", "/", "/usr/sbin/nologin"),
        ("messagebus", 100, 107, "", "/nonexistent", "/usr/sbin/nologin"),
        ("sshd", 101, 65534, "", "/run/sshd", "/usr/sbin/nologin"),
        ("mysql", 102, 110, "MySQL Server,,,", "/nonexistent", "/bin/false"),
    ]
    rows = system + [
        (u.name, u.uid, u.gid, u.gecos, u.home, u.shell) for u in persona.identity.users
    ]
    passwd = "".join(f"{n}:x:{uid}:{gid}:{g}:{h}:{s}\n" for n, uid, gid, g, h, s in rows)
    shadow = "".join(f"{n}:{HASH_SLOT if s.endswith('sh') else '*'}:\n" for n, *_r, s in rows)
    first = persona.identity.users[0].name if persona.identity.users else ""
    # Debian's base-passwd groups in order; the installer's first user is in the desktop
    # groups and sudo (as d-i adds it), then the groups packages created.
    groups = [
        f"{name}:x:{gid}:{first if name in FIRST_USER_GROUPS else ''}" for name, gid in BASE_GROUPS
    ]
    groups += [f"{u.name}:x:{u.gid}:" for u in persona.identity.users]
    groups += [f"{name}:x:{gid}:" for name, gid in PACKAGE_GROUPS]
    return passwd, shadow, "\n".join(groups) + "\n"


def _etc_files(persona: Persona) -> dict[str, str]:
    ident = persona.identity
    spec = persona.spec
    passwd, _shadow, group = _passwd(persona)
    hosts = (
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{persona.fqdn}\t{persona.hostname}\n\n"
        "# The following lines are desirable for IPv6 capable hosts\n"
        "::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n"
    )
    return {
        "/etc/hostname": persona.hostname + "\n",
        "/etc/hosts": hosts,
        "/usr/lib/os-release": spec.os_release.lstrip("\n"),
        "/etc/issue": spec.issue + "\n\n",
        "/etc/issue.net": spec.pretty_name + "\n",
        "/etc/debian_version": spec.debian_version + "\n" if spec.debian_version else "",
        "/etc/passwd": passwd,
        "/etc/group": group,
        "/etc/machine-id": ident.machine_id + "\n",
        "/etc/resolv.conf": f"domain {ident.domain}\nsearch {ident.domain}\nnameserver "
        f"{ident.gateway}\n",
        "/etc/shells": "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n"
        "/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n",
        "/etc/fstab": "# /etc/fstab: static file system information.\n"
        f"UUID={ident.machine_id[:8]}-{ident.machine_id[8:12]}-{ident.machine_id[12:16]}-"
        f"{ident.machine_id[16:20]}-{ident.machine_id[20:32]} /  ext4  errors=remount-ro 0  1\n",
        "/etc/crontab": "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin"
        ":/usr/bin\n\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n",
        "/etc/motd": "\nThe programs included with the Debian GNU/Linux system are free software;\n"
        "the exact distribution terms for each program are described in the\n"
        "individual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with "
        "ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n",
        "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentica"
        "tion no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\t"
        "sftp\t/usr/lib/openssh/sftp-server\nPermitRootLogin yes\n",
        "/etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n"
        "deb http://deb.debian.org/debian-security bookworm-security main\n"
        "deb http://deb.debian.org/debian bookworm-updates main\n",
        "/etc/profile": 'if [ "$(id -u)" -eq 0 ]; then\n  PATH="/usr/local/sbin:/usr/local/bin:'
        '/usr/sbin:/usr/bin:/sbin:/bin"\nfi\nexport PATH\n',
        "/root/.bashrc": "# ~/.bashrc: executed by bash(1) for non-login shells.\n\n"
        "export LS_OPTIONS='--color=auto'\nalias ls='ls $LS_OPTIONS'\n",
        "/root/.profile": 'if [ "$BASH" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n'
        "  fi\nfi\n\nmesg n 2> /dev/null || true\n",
        "/var/www/html/index.html": "<!DOCTYPE html>\n<html><head><title>Apache2 Debian Default "
        "Page: It works</title></head>\n<body><h1>It works!</h1></body></html>\n",
        "/var/log/auth.log": "",
        "/var/log/syslog": "",
        "/var/log/dpkg.log": "",
        "/proc/sys/kernel/hostname": persona.hostname + "\n",
    }


def build_base(persona: Persona) -> BaseTree:
    """Render the whole base tree for ``persona``."""
    t = persona.identity.installed_at
    nodes = _seed_nodes(persona, t)
    nodes["/etc/os-release"] = Node(
        "link", mode=0o777, mtime=t, target="../usr/lib/os-release", size=21
    )
    for path, text in _etc_files(persona).items():
        data = text.encode()
        mode = 0o644
        _ensure_dirs(nodes, vparent(path), t)
        owner = 33 if path.startswith("/var/www/") else 0
        nodes[path] = Node("file", mode=mode, uid=owner, gid=owner, mtime=t, size=len(data),
                           content=data)  # fmt: skip
    # /etc/shadow's hashes are yescrypt (tens of ms each): made on the first read
    size = len(shadow_text(persona, lambda _secret: HASH_SLOT))
    nodes["/etc/shadow"] = Node("file", mode=0o640, uid=0, gid=42, mtime=t, size=size,
                                gen="etc:shadow")  # fmt: skip
    _sys_class_net(nodes, persona, t)
    for user in persona.identity.users:
        nodes[user.home] = Node("dir", mode=0o755, uid=user.uid, gid=user.gid, mtime=t)
        for name, body in (
            (".bashrc", b"# ~/.bashrc\n"),
            (".profile", b"# ~/.profile\n"),
            (".bash_logout", b"clear_console -q\n"),
        ):
            nodes[f"{user.home}/{name}"] = Node(
                "file",
                mode=0o644,
                uid=user.uid,
                gid=user.gid,
                mtime=t,
                size=len(body),
                content=body,
            )
    return BaseTree(nodes)


def _sys_class_net(nodes: dict[str, Node], persona: Persona, t: float) -> None:
    """``/sys/class/net/<iface>`` links to the device directories holding the interface
    files (address, mtu, operstate...), the same MAC and MTU ``ip link`` shows."""
    facts = netinfo.facts(persona)
    for iface, target in netinfo.SYS_DEVICE.items():
        nodes[f"/sys/class/net/{iface}"] = Node("link", mode=0o777, mtime=t, target=target,
                                                size=len(target))  # fmt: skip
    for rel, text in netinfo.sys_class_net(facts).items():
        iface, name = rel.split("/", 1)
        folder = vnorm(netinfo.SYS_DEVICE[iface], "/sys/class/net")
        _ensure_dirs(nodes, folder, t)
        data = text.encode()
        nodes[f"{folder}/{name}"] = Node("file", mode=0o444, mtime=t, size=len(data),
                                         content=data)  # fmt: skip


def _ensure_dirs(nodes: dict[str, Node], path: str, t: float) -> None:
    while path not in nodes:
        nodes[path] = Node("dir", mode=0o755, mtime=t)
        path = vparent(path)
