"""A verification lab in network namespaces: a "WAN" and seven paths into it.

```
                         WAN (pnv-<id>-wan)
   lo: 10.77.200.53  authoritative dnsmasq for lab.test (www -> .80, ok -> .80)
       10.77.200.80  the real site (HTTP; every answer carries a fresh nonce: CDN-like variance)
       10.77.200.66  the attacker's site (another page)
     |10.77.i.1 ... veth ... 10.77.i.2|   path namespace pnv-<id>-p<i>, default route to WAN
     p0, p1      dnsmasq resolver on 10.77.i.2 forwarding to the WAN's
     p2          resolver + a Privoxy that rewrites page titles (a tampering proxy)
     p3          a poisoned resolver: www.lab.test -> 10.77.200.66 (DNS hijack)
     p4          resolver + danted (SOCKS5) on 10.77.4.2:1080
     p5          resolver + an honest Privoxy on 10.77.5.2:8118
     wg          only a WireGuard tunnel (wireguard-go) to the WAN: 10.98.0.2 -> 10.98.0.1
```

``build(..., tls=True)`` adds (for ``test_netns_tls.py``) ``secure.lab.test`` -> 10.77.200.43 and
``dot.lab.test`` -> 10.77.200.85 to the authoritative zone; :meth:`Lab.tls_site` then serves
an HTTPS site there (port 80 redirects to https, 443 sends HSTS) and :meth:`Lab.unbound` a
real unbound with DNS over TLS (853) and DNS over HTTPS (443) forwarding to the WAN's dnsmasq.

No namespace has a link to the host's network: nothing leaves the lab. Daemons are started
with ``ip netns exec`` (so ``/etc/netns/<ns>/resolv.conf`` is theirs) and stopped by PID;
namespaces are deleted at the end (their veths go with them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import unavailable

STEP_S = 30
SITE_IP = "10.77.200.80"
EVIL_IP = "10.77.200.66"
AUTH_DNS = "10.77.200.53"
PATHS = ("p0", "p1", "p2", "p3", "p4", "p5")
TITLE = "Welcome to the laboratory"
TLS_IP = "10.77.200.43"
DOT_IP = "10.77.200.85"
TLS_NAME = "secure.lab.test"
DOT_NAME = "dot.lab.test"

TLS_SITE = r"""
import secrets, ssl, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ip, name, cert, key, title, words = sys.argv[1:7]
class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        nonce = secrets.token_hex(8 + secrets.randbelow(24))
        body = (f"<html><head><title>{title}</title></head><body><p>"
                + " ".join([words] * 40) + f"</p><!-- {nonce} --></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class Upgrade(Page):
    def do_GET(self):
        self.send_response(301)
        self.send_header("Location", f"https://{name}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
tls = ThreadingHTTPServer((ip, 443), Page)
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
plain = ThreadingHTTPServer((ip, 80), Upgrade)
threading.Thread(target=plain.serve_forever, daemon=True).start()
print("ready", flush=True)
tls.serve_forever()
"""

SITE = r"""
import secrets, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ip, title, words = sys.argv[1], sys.argv[2], sys.argv[3]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        nonce = secrets.token_hex(8 + secrets.randbelow(24))  # CDN-like: never the same body
        body = (f"<html><head><title>{title}</title></head><body><p>"
                + " ".join([words] * 40) + f"</p><!-- {nonce} --></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = ThreadingHTTPServer((ip, 80), H)
print("ready", flush=True)
s.serve_forever()
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=STEP_S)


def need(*binaries: str) -> None:
    if os.geteuid() != 0:
        unavailable("the verify lab needs root (network namespaces)")
    for binary in binaries:
        if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
            unavailable(f"{binary} is not installed")


def _drain(proc: subprocess.Popen[str], marker: str) -> None:
    """Wait (at most ``STEP_S``) for the daemon's ready line; keep reading its output after."""
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not ready.is_set():
                seen.append(line)
                if marker in line:
                    ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(STEP_S)
    if not any(marker in line for line in seen):
        raise RuntimeError(f"{proc.args!r}: no {marker!r} in {STEP_S}s: {''.join(seen)[-2000:]}")


@dataclass
class Lab:
    tag: str
    tmp: Path
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    etc: list[Path] = field(default_factory=list)
    wg_ok: bool = False
    wg_why: str = ""

    def ns(self, name: str) -> str:
        return f"pnv{self.tag}{name}"

    @property
    def wan(self) -> str:
        return self.ns("wan")

    @staticmethod
    def addr(path: str) -> str:
        """A path namespace's own address (its resolver and proxies listen there)."""
        return f"10.77.{PATHS.index(path)}.2"

    # --- building -------------------------------------------------------------------

    def add_ns(self, name: str) -> str:
        ns = self.ns(name)
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        return ns

    def start(self, ns: str, argv: list[str], marker: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.procs.append(proc)
        _drain(proc, marker)
        return proc

    def resolv_conf(self, ns: str, server: str) -> None:
        folder = Path("/etc/netns") / ns
        folder.mkdir(parents=True, exist_ok=True)
        self.etc.append(folder)
        (folder / "resolv.conf").write_text(f"nameserver {server}\n")

    def dnsmasq(self, ns: str, listen: str, *options: str) -> None:
        self.start(
            ns,
            [
                "dnsmasq",
                "--no-daemon",
                "--log-facility=-",
                f"--listen-address={listen}",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                f"--pid-file={self.tmp / (ns + '-' + listen + '.pid')}",
                "--user=root",
                *options,
            ],
            "started, version",
        )

    def privoxy(self, path: str, *, tamper: bool) -> None:
        ns, ip = self.ns(path), self.addr(path)
        conf = self.tmp / f"privoxy-{path}"
        conf.mkdir()
        lines = [f"confdir {conf}", f"listen-address {ip}:8118", "debug 4096", "toggle 1"]
        if tamper:
            (conf / "tamper.filter").write_text(
                "FILTER: tamper replace the page's title\ns|<title>[^<]*</title>|<title>Payment required now</title>|ig\n"
            )
            (conf / "tamper.action").write_text("{+filter{tamper}}\n/\n")
            lines += ["filterfile tamper.filter", "actionsfile tamper.action"]
        (conf / "config").write_text("\n".join(lines) + "\n")
        self.start(ns, ["privoxy", "--no-daemon", str(conf / "config")], "Listening on port")

    def danted(self, path: str) -> None:
        ns, ip = self.ns(path), self.addr(path)
        conf = self.tmp / f"danted-{path}.conf"
        conf.write_text(
            f"logoutput: stderr\ninternal: {ip} port = 1080\nexternal: {ip}\n"
            "clientmethod: none\nsocksmethod: none\nuser.privileged: root\n"
            "user.unprivileged: nobody\n"
            "client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n"
            "socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect }\n"
        )
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "danted", "-f", str(conf), "-p", str(conf) + ".pid"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.procs.append(proc)
        self.wait_tcp(ns, ip, 1080)

    def wait_tcp(self, ns: str, ip: str, port: int) -> None:
        probe = (
            "import socket,time,sys\n"
            "for _ in range(300):\n"
            "    try:\n"
            f"        socket.create_connection(({ip!r},{port}),timeout=1).close(); sys.exit(0)\n"
            "    except OSError: time.sleep(0.1)\n"
            "sys.exit(1)\n"
        )
        sh("ip", "netns", "exec", ns, sys.executable, "-c", probe)

    def wireguard(self) -> None:
        """The ``wg`` path: a namespace whose only way out is a WireGuard tunnel."""
        if shutil.which("wireguard-go") is None or shutil.which("wg") is None:
            self.wg_why = "wireguard-go/wireguard-tools are not installed"
            return
        if not Path("/dev/net/tun").exists():
            self.wg_why = "no /dev/net/tun for wireguard-go"
            return
        wg, wan = self.add_ns("wg"), self.wan
        a, b = f"pnv{self.tag}ww", f"pnv{self.tag}wp"
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        sh("ip", "link", "set", a, "netns", wan)
        sh("ip", "link", "set", b, "netns", wg)
        sh("ip", "-n", wan, "addr", "add", "10.77.9.1/24", "dev", a)
        sh("ip", "-n", wg, "addr", "add", "10.77.9.2/24", "dev", b)
        sh("ip", "-n", wan, "link", "set", a, "up")
        sh("ip", "-n", wg, "link", "set", b, "up")
        keys = {}
        for side in ("wan", "wg"):
            private = sh("wg", "genkey").stdout.strip()
            public = subprocess.run(
                ["wg", "pubkey"], input=private, capture_output=True, text=True, check=True
            ).stdout.strip()
            key_file = self.tmp / f"wg-{side}.key"
            key_file.write_text(private)
            key_file.chmod(0o600)
            keys[side] = (key_file, public)
        # wireguard-go's control socket is /var/run/wireguard/<device>.sock, one directory
        # for every namespace: the device names carry the lab's tag, so two labs never clash
        wg_wan, wg_path = f"pnv{self.tag}gw", f"pnv{self.tag}gp"
        ends = {
            "wan": (wan, wg_wan, "10.98.0.1/24", "10.98.0.2/32", "10.77.9.2"),
            "wg": (wg, wg_path, "10.98.0.2/24", "0.0.0.0/0", "10.77.9.1"),
        }
        env = {**os.environ, "WG_PROCESS_FOREGROUND": "1"}
        for side, (ns, dev, addr, allowed, endpoint) in ends.items():
            proc = subprocess.Popen(
                ["ip", "netns", "exec", ns, "wireguard-go", dev],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
            )
            self.procs.append(proc)
            for _ in range(100):
                if sh("ip", "-n", ns, "link", "show", dev, check=False).returncode == 0:
                    break
                if proc.poll() is not None:
                    self.wg_why = (
                        f"wireguard-go failed: {proc.stdout.read() if proc.stdout else ''}"
                    )
                    return
                threading.Event().wait(0.1)
            other = "wg" if side == "wan" else "wan"
            sh(
                *("ip", "netns", "exec", ns, "wg", "set", dev),
                *("private-key", str(keys[side][0]), "listen-port", "51820"),
                *("peer", keys[other][1], "allowed-ips", allowed),
                *("endpoint", f"{endpoint}:51820", "persistent-keepalive", "1"),
            )
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", wg, "route", "add", "default", "dev", wg_path)
        sh("ip", "-n", wan, "route", "add", "10.98.0.2/32", "dev", wg_wan)
        self.wg_ok = True

    def tls_site(self, cert: Path, key: Path) -> None:
        """The HTTPS site on ``TLS_IP`` (``build(..., tls=True)``); ``cert`` holds the chain."""
        site = self.tmp / "tls_site.py"
        site.write_text(TLS_SITE)
        argv = [sys.executable, str(site), TLS_IP, TLS_NAME, str(cert), str(key)]
        self.start(self.wan, [*argv, TITLE, "honest lab content"], "ready")

    def unbound(self, cert: Path, key: Path) -> None:
        """A real unbound on ``DOT_IP``: DoT on 853, DoH on 443 (``/dns-query``), forwarding
        to the WAN's authoritative dnsmasq (``build(..., tls=True)``)."""
        need("unbound")
        folder = self.tmp / "unbound"
        folder.mkdir()
        conf = folder / "unbound.conf"
        conf.write_text(
            "server:\n"
            f"  interface: {DOT_IP}@853\n  interface: {DOT_IP}@443\n"
            "  tls-port: 853\n  https-port: 443\n"
            f'  tls-service-key: "{key}"\n  tls-service-pem: "{cert}"\n'
            '  http-endpoint: "/dns-query"\n  http-notls-downstream: no\n'
            "  access-control: 10.0.0.0/8 allow\n  do-ip6: no\n"
            f'  do-daemonize: no\n  username: ""\n  chroot: ""\n  directory: "{folder}"\n'
            f'  pidfile: "{folder / "unbound.pid"}"\n  use-syslog: no\n  logfile: ""\n'
            '  verbosity: 1\n  module-config: "iterator"\n  do-not-query-localhost: no\n'
            '  domain-insecure: "lab.test"\n  local-zone: "test." nodefault\n'
            f'forward-zone:\n  name: "."\n  forward-addr: {AUTH_DNS}\n'
        )
        self.start(self.wan, ["unbound", "-d", "-c", str(conf)], "start of service")

    def set_link(self, path: str, up: bool) -> None:
        """Cut (or restore) a path's link to the WAN: its answers then time out."""
        veth = f"pnv{self.tag}w{PATHS.index(path)}"
        sh("ip", "-n", self.wan, "link", "set", veth, "up" if up else "down")

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        for folder in self.etc:
            shutil.rmtree(folder, ignore_errors=True)


def build(
    tmp: Path, stack: ExitStack, *, tls: bool = False, hosts: dict[str, str] | None = None
) -> Lab:
    """The whole lab (see the module docstring); closed by ``stack``. ``tls``: also the
    addresses and names of the HTTPS site and of the DoT/DoH resolver (not started here).
    ``hosts``: more names the WAN's authoritative server answers (name -> address)."""
    need("ip", "dnsmasq", "privoxy", "danted")
    lab = Lab(tag=secrets.token_hex(2), tmp=tmp)
    stack.callback(lab.close)
    wan = lab.add_ns("wan")
    extra = (TLS_IP, DOT_IP) if tls else ()
    for ip in (AUTH_DNS, SITE_IP, EVIL_IP, *extra):
        sh("ip", "-n", wan, "addr", "add", f"{ip}/32", "dev", "lo")
    records = [f"--host-record={TLS_NAME},{TLS_IP}", f"--host-record={DOT_NAME},{DOT_IP}"]
    lab.dnsmasq(
        wan,
        AUTH_DNS,
        f"--host-record=www.lab.test,{SITE_IP}",
        f"--host-record=ok.lab.test,{SITE_IP}",
        *(records if tls else []),
        *(f"--host-record={name},{ip}" for name, ip in (hosts or {}).items()),
        # authoritative for those names too: AAAA is "no data", not REFUSED (no upstream)
        *(f"--local=/{name}/" for name in (hosts or {})),
        "--local=/lab.test/",
    )
    site = tmp / "site.py"
    site.write_text(SITE)
    lab.start(wan, [sys.executable, str(site), SITE_IP, TITLE, "honest lab content"], "ready")
    lab.start(wan, [sys.executable, str(site), EVIL_IP, "Login to continue", "phish"], "ready")
    for i, path in enumerate(PATHS):
        ns = lab.add_ns(path)
        w, p = f"pnv{lab.tag}w{i}", f"pnv{lab.tag}p{i}"
        sh("ip", "link", "add", w, "type", "veth", "peer", "name", p)
        sh("ip", "link", "set", w, "netns", wan)
        sh("ip", "link", "set", p, "netns", ns)
        sh("ip", "-n", wan, "addr", "add", f"10.77.{i}.1/24", "dev", w)
        sh("ip", "-n", ns, "addr", "add", f"10.77.{i}.2/24", "dev", p)
        sh("ip", "-n", wan, "link", "set", w, "up")
        sh("ip", "-n", ns, "link", "set", p, "up")
        sh("ip", "-n", ns, "route", "add", "default", "via", f"10.77.{i}.1")
        poison = [f"--address=/www.lab.test/{EVIL_IP}"] if path == "p3" else []
        lab.dnsmasq(ns, lab.addr(path), f"--server={AUTH_DNS}", *poison)
        lab.resolv_conf(ns, lab.addr(path))
    lab.privoxy("p2", tamper=True)
    lab.danted("p4")
    lab.privoxy("p5", tamper=False)
    lab.wireguard()
    return lab
