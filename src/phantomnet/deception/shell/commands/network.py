"""Network commands. Nothing here opens a socket: ``wget``/``curl``/``tftp`` record the URL
(``ShellResult.downloads`` becomes ``file.download`` with ``fetched=false``), answer with
realistic output and leave a file behind; ``ping`` sleeps like the real one.
"""

from __future__ import annotations

import ipaddress
import re
import time
from urllib.parse import urlsplit

from phantomnet.deception import netinfo
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
    if "V" in flags or "--version" in flags:
        cmd.out(cmd.host.persona.software("wget", "GNU Wget 1.21.3 built on linux-gnu.") + "\n\n"
                "-cares +digest -gpgme +https +ipv6 +iri +large-file -metalink +nls +ntlm "
                "+opie +psl +ssl/gnutls\n")  # fmt: skip
        return 0
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
    if "V" in flags or "--version" in flags:
        cmd.out(cmd.host.persona.software("curl") + "\nRelease-Date: 2023-02-20, security patched: "
                "7.88.1-10+deb12u14\nProtocols: dict file ftp ftps gopher gophers http https "
                "imap imaps ldap ldaps mqtt pop3 pop3s rtmp rtsp scp sftp smb smbs smtp smtps "
                "telnet tftp\nFeatures: alt-svc AsynchDNS brotli GSS-API HSTS HTTP2 HTTPS-proxy "
                "IDN IPv6 Kerberos Largefile libz NTLM NTLM_WB PSL SPNEGO SSL threadsafe "
                "TLS-SRP UnixSockets zstd\n")  # fmt: skip
        return 0
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
    return netinfo.facts(cmd.host.persona).address


def _ip_addr(n: netinfo.NetFacts, link_only: bool) -> str:
    """``ip address`` / ``ip link`` (iproute2 6.1) for lo and the NIC."""
    mode = "mode DEFAULT " if link_only else ""
    lo = ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN "
          f"{mode}group default qlen 1000\n"
          "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")  # fmt: skip
    nic = (f"2: {n.iface}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP "
           f"{mode}group default qlen 1000\n"
           f"    link/ether {n.mac} brd ff:ff:ff:ff:ff:ff\n"
           f"    altname {netinfo.ALTNAME}\n")  # fmt: skip
    if link_only:
        return lo + nic
    forever = "       valid_lft forever preferred_lft forever\n"
    return (
        lo + "    inet 127.0.0.1/8 scope host lo\n" + forever
        + "    inet6 ::1/128 scope host \n" + forever
        + nic + f"    inet {n.address}/{n.prefix_len} brd {n.broadcast} scope global {n.iface}\n"
        + forever + f"    inet6 {n.link_local}/64 scope link \n" + forever
    )  # fmt: skip


async def ip(cmd: Cmd) -> int:
    args = [a for a in cmd.argv if not a.startswith("-")]
    sub = args[0] if args else ""
    n = netinfo.facts(cmd.host.persona)
    if sub and "address".startswith(sub):
        cmd.out(_ip_addr(n, link_only=False))
        return 0
    if sub and "route".startswith(sub):
        cmd.out(
            f"default via {n.gateway} dev {n.iface} \n"
            f"{n.network} dev {n.iface} proto kernel scope link src {n.address} \n"
        )
        return 0
    if sub and "link".startswith(sub):
        cmd.out(_ip_addr(n, link_only=True))
        return 0
    if sub and ("neighbour".startswith(sub) or "neighbor".startswith(sub)):
        cmd.out(f"{n.gateway} dev {n.iface} lladdr {n.gateway_mac} REACHABLE \n")
        return 0
    cmd.err(
        "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
        "where  OBJECT := { address | link | route | rule | neigh | ... }\n"
    )
    return 255


def _size(v: int) -> str:
    """net-tools' ``(1.9 GiB)`` after a byte count."""
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= div:
            return f"{v / div:.1f} {unit}"
    return f"{v:.1f} B"


async def ifconfig(cmd: Cmd) -> int:
    n = netinfo.facts(cmd.host.persona)
    rx_err = "        RX errors 0  dropped 0  overruns 0  frame 0\n"
    tx_err = "        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n"

    def counters(rp: int, rb: int, tp: int, tb: int) -> str:
        return (f"        RX packets {rp}  bytes {rb} ({_size(rb)})\n{rx_err}"
                f"        TX packets {tp}  bytes {tb} ({_size(tb)})\n{tx_err}\n")  # fmt: skip

    cmd.out(
        f"{n.iface}: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n"
        f"        inet {n.address}  netmask {n.netmask}  broadcast {n.broadcast}\n"
        f"        inet6 {n.link_local}  prefixlen 64  scopeid 0x20<link>\n"
        f"        ether {n.mac}  txqueuelen 1000  (Ethernet)\n"
        + counters(n.rx_packets, n.rx_bytes, n.tx_packets, n.tx_bytes)
        + "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n"
        "        inet 127.0.0.1  netmask 255.0.0.0\n"
        "        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n"
        "        loop  txqueuelen 1000  (Local Loopback)\n"
        + counters(n.lo_packets, n.lo_bytes, n.lo_packets, n.lo_bytes)
    )  # fmt: skip
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
    """net-tools' title says which sockets it shows: ``-l`` servers, ``-a`` both, else the
    connections only."""
    flags, _ = split_opts(cmd.argv)
    which = "only servers" if "l" in flags else "servers and established" if "a" in flags \
        else "w/o servers"  # fmt: skip
    cmd.out(
        f"Active Internet connections ({which})\n"
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
    )
    for proto, local, remote, state in _sockets(cmd):
        if ("l" in flags) != (state == "LISTEN") and "a" not in flags:
            continue
        cmd.out(f"{proto:<5}      0      0 {local:<23} {remote:<23} {state:<11}\n")
    return 0


async def ss(cmd: Cmd) -> int:
    """iproute2's ``ss``: a Netid column unless one socket kind (-t or -u) is asked for;
    ``-l`` listening sockets, ``-a`` all, else the established ones."""
    flags, _ = split_opts(cmd.argv)
    netid = not (("t" in flags) ^ ("u" in flags))
    head = "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n"
    cmd.out(("Netid " + head.replace("PortProcess", "Port Process")) if netid else head)
    for _proto, local, remote, state in _sockets(cmd):
        listening = state == "LISTEN"
        if "a" not in flags and ("l" in flags) != listening:
            continue
        st = "LISTEN" if listening else "ESTAB"
        row = (f"{st:<6} 0      128    {local.replace(':::', '[::]:'):<19} "
               f"{remote.replace(':::*', '[::]:*'):<17}\n")  # fmt: skip
        cmd.out(("tcp   " + row) if netid else row)
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
