"""Network commands. Nothing here opens a socket: ``wget``/``curl``/``tftp`` record the URL
(``ShellResult.downloads`` becomes ``file.download`` with ``fetched=false``), answer with
realistic output and leave a file behind; ``ping`` sleeps like the real one.
"""

from __future__ import annotations

import ipaddress
import re
import time
from urllib.parse import urlsplit

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.tree import hash_name
from phantomnet.deception.procfs import elf_bytes
from phantomnet.deception.shell.context import Cmd, CommandFn, Download
from phantomnet.deception.shell.getopt import opt_value, split_opts

TEXT_EXT = (".sh", ".txt", ".py", ".pl", ".php", ".html", ".htm", ".js", ".json", ".conf")


def _fake_ip(host: str) -> str:
    """A stable public-looking address for a host name (we never resolve anything)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        h = hash_name(host.lower())
        first = (h % 180) + 23
        first += 1 if first in (127, 100, 169, 172, 192, 10) else 0
        return f"{first}.{h >> 8 & 255}.{h >> 16 & 255}.{(h >> 24 & 253) + 1}"


def _body(url: str) -> bytes:
    path = urlsplit(url).path
    size = 900 + hash_name(url) % 60_000
    if path.endswith(TEXT_EXT) or path in ("", "/"):
        return b"<html><head><title>301 Moved Permanently</title></head><body></body></html>\n"
    return elf_bytes(size, url)


def _local_name(url: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name or "index.html"


def _length(data: bytes) -> str:
    if data.startswith(b"<html"):
        return f"{len(data)} [text/html]"
    return f"{len(data)} ({len(data) / 1024:.0f}K) [application/octet-stream]"


def _save(cmd: Cmd, path: str, data: bytes, tool: str) -> bool:
    try:
        cmd.fs.write(path, data, cmd.cwd, uid=cmd.shell.user.uid, gid=cmd.shell.user.gid)
    except FsError as exc:
        cmd.err(f"{path}: {exc.strerror}\n")
        return False
    return True


def _normalise_url(raw: str) -> str:
    return raw if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", raw) else f"http://{raw}"


async def wget(cmd: Cmd) -> int:
    flags, urls = split_opts(cmd.argv, takes_value="OoPUTt", long_values=("output-document",))
    if not urls:
        cmd.err(
            "wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\n"
            "Try `wget --help' for more options.\n"
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
            cmd.err(
                f"{raw}: Unsupported scheme.\n"
                if host
                else f"wget: unable to resolve host address \u2018{raw}\u2019\n"
            )
            status = 1
            continue
        data = _body(url)
        ip = _fake_ip(host)
        port = parts.port or {"https": 443, "ftp": 21}.get(parts.scheme, 80)
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        await cmd.sleep(0.3 + (hash_name(url) % 900) / 1000)
        if not quiet:
            cmd.err(
                f"--{now}--  {url}\nResolving {host} ({host})... {ip}\n"
                f"Connecting to {host} ({host})|{ip}|:{port}... connected.\n"
                "HTTP request sent, awaiting response... 200 OK\n"
                f"Length: {_length(data)}\n"
                f"Saving to: \u2018{target}\u2019\n\n"
            )
        if target == "-":
            cmd.out(data)
        elif not _save(cmd, target, data, "wget"):
            status = 1
            continue
        if not quiet:
            cmd.err(
                f"{target[:18]:<18}100%[===================>]  {len(data) / 1024:6.2f}K  "
                f"--.-KB/s    in 0.01s   \n\n{now} ({len(data) / 10 / 1024:.0f} KB/s) - "
                f"\u2018{target}\u2019 "
                f"saved [{len(data)}/{len(data)}]\n\n"
            )
    return status


async def curl(cmd: Cmd) -> int:
    flags, urls = split_opts(cmd.argv, takes_value="oXHdAeuwmTx", long_values=("output",))
    if not urls:
        cmd.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
        return 2
    status = 0
    for raw in urls[:10]:
        url = _normalise_url(raw)
        parts = urlsplit(url)
        out = opt_value(flags, "o") or opt_value(flags, "--output")
        if "O" in flags:
            out = _local_name(url)
        cmd.shell.result.downloads.append(Download(raw, out, "curl"))
        if not parts.hostname:
            cmd.err("curl: (3) URL using bad/illegal format or missing URL\n")
            status = 3
            continue
        await cmd.sleep(0.2 + (hash_name(url) % 700) / 1000)
        data = _body(url)
        if "I" in flags or "--head" in flags:
            cmd.out(
                f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
            )
        elif out:
            if not _save(cmd, out, data, "curl"):
                status = 23
        elif data.startswith(b"\x7fELF") and cmd.tty:
            cmd.err(
                'Warning: Binary output can mess up your terminal. Use "--output -" to tell \n'
                'Warning: curl to output it to your terminal anyway, or consider "--output \n'
                'Warning: <FILE>" to save to a file.\n'
            )
            status = 23
        else:
            cmd.out(data)
    return status


async def tftp(cmd: Cmd) -> int:
    flags, rest = split_opts(cmd.argv, takes_value="lrb")  # -g/-p are get/put flags
    remote = opt_value(flags, "r") or opt_value(flags, "l")
    host = rest[0] if rest else ""
    if remote and host:
        cmd.shell.result.downloads.append(
            Download(f"tftp://{host}/{remote}", opt_value(flags, "l") or remote, "tftp")
        )
        await cmd.sleep(3)
        cmd.err("tftp: timeout\n")
        return 1
    cmd.err("usage: tftp [-4] [-6] [-g] [-l FILE] [-r FILE] HOST [PORT]\n")
    return 1


def _address(cmd: Cmd) -> str:
    ip = cmd.shell.info.server_ip
    return ip if not ip.startswith("127.") and ":" not in ip else cmd.host.persona.identity.ipv4


async def ip(cmd: Cmd) -> int:
    sub = cmd.argv[0] if cmd.argv else ""
    ident = cmd.host.persona.identity
    addr = _address(cmd)
    if sub.startswith("a"):
        cmd.out(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group "
            "default qlen 1000\n"
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
            "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n"
            "2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP "
            "group default qlen 1000\n"
            f"    link/ether {ident.mac} brd ff:ff:ff:ff:ff:ff\n    altname enp0s3\n"
            f"    inet {addr}/24 brd {addr.rsplit('.', 1)[0]}.255 scope global ens3\n"
            "       valid_lft forever preferred_lft forever\n"
        )
        return 0
    if sub.startswith("r"):
        cmd.out(
            f"default via {addr.rsplit('.', 1)[0]}.1 dev ens3 onlink \n"
            f"{addr.rsplit('.', 1)[0]}.0/24 dev ens3 proto kernel scope link src {addr} \n"
        )
        return 0
    if sub.startswith("l"):
        cmd.out(
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\n"
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
            "2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP "
            "mode DEFAULT\n"
            f"    link/ether {ident.mac} brd ff:ff:ff:ff:ff:ff\n"
        )
        return 0
    cmd.err(
        "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
        "where  OBJECT := { address | link | route | rule | neigh | ... }\n"
    )
    return 255


async def ifconfig(cmd: Cmd) -> int:
    ident = cmd.host.persona.identity
    addr = _address(cmd)
    rx = 100_000_000 + int(cmd.host.persona.uptime_s()) * 911
    cmd.out(
        f"ens3: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n"
        f"        inet {addr}  netmask 255.255.255.0  broadcast {addr.rsplit('.', 1)[0]}.255\n"
        f"        ether {ident.mac}  txqueuelen 1000  (Ethernet)\n"
        f"        RX packets {rx // 900}  bytes {rx} ({rx / 1e6:.1f} MB)\n"
        f"        TX packets {rx // 1400}  bytes {rx // 3} ({rx / 3e6:.1f} MB)\n\n"
        "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n"
        "        inet 127.0.0.1  netmask 255.0.0.0\n"
        "        loop  txqueuelen 1000  (Local Loopback)\n\n"
    )
    return 0


def _sockets(cmd: Cmd) -> list[tuple[str, str, str, str]]:
    info = cmd.shell.info
    addr = _address(cmd)
    return [
        ("tcp", "0.0.0.0:22", "0.0.0.0:*", "LISTEN"),
        ("tcp", "127.0.0.1:3306", "0.0.0.0:*", "LISTEN"),
        ("tcp", f"{addr}:22", f"{info.client_ip}:{info.client_port}", "ESTABLISHED"),
        ("tcp6", ":::80", ":::*", "LISTEN"),
        ("tcp6", ":::22", ":::*", "LISTEN"),
    ]


async def netstat(cmd: Cmd) -> int:
    cmd.out(
        "Active Internet connections (servers and established)\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
    )
    for proto, local, remote, state in _sockets(cmd):
        cmd.out(f"{proto:<5}      0      0 {local:<23} {remote:<23} {state:<11}\n")
    return 0


async def ss(cmd: Cmd) -> int:
    cmd.out("Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n")
    for _proto, local, remote, state in _sockets(cmd):
        st = "LISTEN" if state == "LISTEN" else "ESTAB"
        cmd.out(
            f"tcp   {st:<6} 0      128    {local.replace(':::', '[::]:'):<19} "
            f"{remote.replace(':::*', '[::]:*'):<17}\n"
        )
    return 0


async def ping(cmd: Cmd) -> int:
    flags, rest = split_opts(cmd.argv, takes_value="cWwisI")
    if not rest:
        cmd.err("ping: usage error: Destination address required\n")
        return 1
    host = rest[0]
    count = min(int(opt_value(flags, "c", "4") or 4), 10)
    dest = _fake_ip(host)
    local = dest.startswith("127.") or dest == cmd.host.persona.identity.ipv4
    base, spread = (0.02, 6) if local else (8 + hash_name(dest) % 60, 900)
    ttl = 64 if local else 117 - hash_name(dest) % 10
    name = host if host == dest else f"{host} ({dest})"
    cmd.out(f"PING {host} ({dest}) 56(84) bytes of data.\n")
    times = []
    for seq in range(1, count + 1):
        rtt = base + (hash_name(f"{dest}{seq}{time.time():.0f}") % spread) / 100
        times.append(rtt)
        shown = f"{rtt:.3f}" if rtt < 1 else f"{rtt:.2f}" if rtt < 10 else f"{rtt:.1f}"  # iputils
        cmd.out(f"64 bytes from {name}: icmp_seq={seq} ttl={ttl} time={shown} ms\n")
        if seq < count:
            await cmd.sleep(1.0)
    avg = sum(times) / len(times)
    cmd.out(
        f"\n--- {host} ping statistics ---\n{count} packets transmitted, {count} received, "
        f"0% packet loss, time {(count - 1) * 1001}ms\nrtt min/avg/max/mdev = {min(times):.3f}/"
        f"{avg:.3f}/{max(times):.3f}/{(max(times) - min(times)) / 2:.3f} ms\n"
    )
    return 0


async def nc(cmd: Cmd) -> int:
    _flags, rest = split_opts(cmd.argv, takes_value="pswe")
    if len(rest) >= 2:
        await cmd.sleep(2)
        cmd.err(f"nc: connect to {rest[0]} port {rest[1]} (tcp) failed: Connection timed out\n")
        return 1
    cmd.err("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n")
    return 1


async def ssh(cmd: Cmd) -> int:
    if "-V" in cmd.argv:
        cmd.err(cmd.host.persona.spec.ssh.client_version + "\n")
        return 0
    _flags, rest = split_opts(cmd.argv, takes_value="pilLoFE")
    if not rest:
        cmd.err(
            "usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]\n"
            "           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]\n"
        )
        return 255
    host = rest[0].rsplit("@", 1)[-1]
    await cmd.sleep(2)
    cmd.err(f"ssh: connect to host {host} port 22: Connection timed out\n")
    return 255


COMMANDS: dict[str, CommandFn] = {
    "wget": wget,
    "curl": curl,
    "tftp": tftp,
    "ip": ip,
    "ifconfig": ifconfig,
    "netstat": netstat,
    "ss": ss,
    "ping": ping,
    "nc": nc,
    "ncat": nc,
    "ssh": ssh,
    "scp": ssh,
}
