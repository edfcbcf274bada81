"""A throw-away network lab for the monitor's real-traffic tests (root, Linux netns).

Namespaces (prefix ``pnm-``): attacker ``.10``, victim ``.20``, resolver ``.53``, gateway
``.1``, all on one bridge inside a switch namespace ``pnm-sw`` (the host's namespace is never
touched). The bridge forwards like a hub (ageing 0) so a capture on it sees every frame and
the attacker can sniff, as on a shared LAN. No namespace has a default route: nothing leaves.

Each scenario runs real tools (nmap, masscan, hping3, hydra, arpspoof, dnsspoof, curl, dig,
openssl, sqlmap) with hard limits on count and time, while tcpdump records the victim's switch port.
``python tests/netns/pnm_lab.py --record tests/golden/monitor`` re-records the golden pcaps
with, next to each, the ground truth of what the scenario did (``*.expected.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "pnm-"
NET = "10.99.0"
HOSTS = {"gw": 1, "att": 10, "vic": 20, "res": 53}
SW = f"{PREFIX}sw"
BRIDGE = f"{PREFIX}br"
TAP = f"{PREFIX}pvic"  # the victim's switch port: where the monitor listens


def ns(name: str) -> str:
    return f"{PREFIX}{name}"


def ip_of(name: str) -> str:
    return f"{NET}.{HOSTS[name]}"


def sh(*args: str, timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command with stdin closed (tools like openssl s_client then end by themselves)."""
    try:
        return subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, check=check, input=""
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(args), 124, "", "timed out")


def in_ns(
    name: str, *args: str, timeout: float = 60, check: bool = False
) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns(name), *args, timeout=timeout, check=check)


def spawn(name: str, *args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns(name), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kw,
    )  # type: ignore[call-overload]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started (its own session group), by its PID."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_listen(host: str, port: int, proto: str = "t", limit_s: float = 120) -> None:
    """Wait until a server in ``host`` listens on ``port`` (without connecting to it)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        out = in_ns(host, "ss", f"-ln{proto}H", f"sport = :{port}").stdout
        if out.strip():
            return
        time.sleep(0.2)


@dataclass
class Lab:
    """Handles to the lab (see module docstring)."""

    workdir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def mac(self, host: str) -> str:
        out = in_ns(host, "cat", f"/sys/class/net/{ns(host)}0/address").stdout
        return out.strip()

    def serve(self, host: str, *args: str, **kw: object) -> subprocess.Popen[bytes]:
        proc = spawn(host, *args, **kw)
        self.procs.append(proc)
        return proc


def _teardown() -> None:
    for name in [*HOSTS, "sw"]:
        subprocess.run(["ip", "netns", "del", ns(name)], capture_output=True, check=False)


@contextmanager
def lab() -> Iterator[Lab]:
    """Build the lab; always tear it down (namespaces, processes)."""
    _teardown()
    work = Path(tempfile.mkdtemp(prefix="pnm-lab-"))
    the_lab = Lab(work)
    try:
        sh("ip", "netns", "add", SW)
        in_ns("sw", "ip", "link", "add", BRIDGE, "type", "bridge", "ageing_time", "0", check=True)
        in_ns("sw", "ip", "link", "set", BRIDGE, "up", check=True)
        for host, last in HOSTS.items():
            sh("ip", "netns", "add", ns(host))
            dev, port = f"{ns(host)}0", f"{PREFIX}p{host}"
            sh(
                "ip",
                "link",
                "add",
                dev,
                "netns",
                ns(host),
                "type",
                "veth",
                "peer",
                "name",
                port,
                "netns",
                SW,
            )
            in_ns("sw", "ip", "link", "set", port, "master", BRIDGE, "up", check=True)
            in_ns(host, "ip", "addr", "add", f"{NET}.{last}/24", "dev", dev, check=True)
            in_ns(host, "ip", "link", "set", dev, "up", check=True)
            in_ns(host, "ip", "link", "set", "lo", "up", check=True)
        yield the_lab
    finally:
        for proc in the_lab.procs:
            stop(proc)
        _teardown()
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def capture(path: Path, bpf: str = "not ip6") -> Iterator[None]:
    """tcpdump on the victim's switch port while the block runs (the hub floods it all)."""
    log = path.with_suffix(".tcpdump.log")
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                SW,
                "tcpdump",
                "-i",
                TAP,
                "-Z",
                "root",
                "-U",
                "--immediate-mode",
                "-w",
                str(path),
                bpf,
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while b"listening" not in log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.1)  # wait until the capture is armed
    time.sleep(0.3)
    try:
        yield
    finally:
        time.sleep(1.5)  # let the last packets reach the file
        stop(proc)
        log.unlink(missing_ok=True)


# -- scenarios: each returns the ground truth (rule, attacker, target) it should raise --------
Truth = list[dict[str, str | None]]


def _web(lab: Lab, host: str, port: int = 80) -> None:
    lab.serve(
        host,
        "python3",
        "-m",
        "http.server",
        str(port),
        "--bind",
        ip_of(host),
        "--directory",
        str(lab.workdir),
    )
    wait_listen(host, port)


def scan_syn(lab: Lab) -> Truth:
    _web(lab, "vic")
    in_ns(
        "att", "nmap", "-n", "-Pn", "-sS", "-p", "1-150", "-T4", "--max-retries", "0", ip_of("vic")
    )
    return [{"rule": "port_scan", "src": ip_of("att"), "target": ip_of("vic")}]


def scan_connect(lab: Lab) -> Truth:
    _web(lab, "vic")
    in_ns(
        "att", "nmap", "-n", "-Pn", "-sT", "-p", "1-100", "-T4", "--max-retries", "0", ip_of("vic")
    )
    return [{"rule": "port_scan", "src": ip_of("att"), "target": ip_of("vic")}]


def scan_stealth(lab: Lab) -> Truth:
    for flag in ("-sF", "-sN", "-sX"):
        in_ns(
            "att",
            "nmap",
            "-n",
            "-Pn",
            flag,
            "-p",
            "1-30",
            "-T4",
            "--max-retries",
            "0",
            ip_of("vic"),
        )
    return [{"rule": "port_scan", "src": ip_of("att"), "target": ip_of("vic")}]


def scan_udp(lab: Lab) -> Truth:
    in_ns(
        "att",
        "nmap",
        "-n",
        "-Pn",
        "-sU",
        "-p",
        "1-12",
        "--max-retries",
        "0",
        ip_of("vic"),
        timeout=90,
    )
    return [{"rule": "port_scan", "src": ip_of("att"), "target": ip_of("vic")}]


def scan_masscan(lab: Lab) -> Truth:
    in_ns(
        "att",
        "timeout",
        "15",
        "masscan",
        "-p1-300",
        "--rate",
        "1000",
        "--wait",
        "1",
        "--adapter",
        f"{ns('att')}0",
        "--router-mac",
        lab.mac("vic"),
        ip_of("vic"),
        timeout=30,
    )
    return [{"rule": "port_scan", "src": ip_of("att"), "target": ip_of("vic")}]


def nmap_version(lab: Lab) -> Truth:
    _web(lab, "vic")
    in_ns("att", "nmap", "-n", "-Pn", "-sV", "-p", "80", ip_of("vic"), timeout=90)
    return []


def syn_flood(lab: Lab) -> Truth:
    in_ns(
        "att",
        "hping3",
        "-q",
        "-S",
        "-p",
        "80",
        "--rand-source",
        "-c",
        "1500",
        "-i",
        "u100",
        ip_of("vic"),
        timeout=30,
    )
    return [{"rule": "syn_flood", "src": None, "target": ip_of("vic")}]


def udp_icmp_flood(lab: Lab) -> Truth:
    in_ns(
        "att",
        "hping3",
        "-q",
        "--udp",
        "-p",
        "9999",
        "-c",
        "2600",
        "-i",
        "u100",
        ip_of("vic"),
        timeout=30,
    )
    in_ns("att", "hping3", "-q", "--icmp", "-c", "1300", "-i", "u100", ip_of("vic"), timeout=30)
    return [
        {"rule": "udp_flood", "src": ip_of("att"), "target": ip_of("vic")},
        {"rule": "icmp_flood", "src": ip_of("att"), "target": ip_of("vic")},
    ]


def ssh_brute(lab: Lab) -> Truth:
    keydir = lab.workdir / "ssh"
    keydir.mkdir()
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keydir / "host"))
    cfg = keydir / "sshd_config"
    cfg.write_text(
        f"Port 22\nListenAddress {ip_of('vic')}\nHostKey {keydir / 'host'}\n"
        "PasswordAuthentication yes\nUsePAM no\nMaxAuthTries 2\nMaxStartups 64\n"
        f"PidFile {keydir / 'pid'}\n"
    )
    lab.serve("vic", "/usr/sbin/sshd", "-D", "-e", "-f", str(cfg))
    words = lab.workdir / "words"
    words.write_text("\n".join(f"guess{i}" for i in range(40)) + "\n")
    wait_listen("vic", 22)
    in_ns(
        "att",
        "timeout",
        "60",
        "hydra",
        "-l",
        "root",
        "-P",
        str(words),
        "-t",
        "4",
        "-I",
        "-f",
        f"ssh://{ip_of('vic')}",
        timeout=90,
    )
    return [{"rule": "brute_force", "src": ip_of("att"), "target": ip_of("vic")}]


def arp_poison(lab: Lab) -> Truth:
    in_ns("vic", "nmap", "-n", "-sn", ip_of("gw"))  # ARP resolution (no ping binary here)
    in_ns("att", "nmap", "-n", "-sn", ip_of("vic"))
    in_ns(
        "att",
        "timeout",
        "6",
        "arpspoof",
        "-i",
        f"{ns('att')}0",
        "-t",
        ip_of("vic"),
        ip_of("gw"),
        timeout=15,
    )
    return [{"rule": "arp_spoof", "src": ip_of("att"), "target": ip_of("vic")}]


def dns_spoof(lab: Lab) -> Truth:
    resolver = Path(__file__).with_name("pnm_resolver.py")
    lab.serve("res", "python3", str(resolver), ip_of("res"), "0.3")
    wait_listen("res", 53, "u")
    hosts = lab.workdir / "spoof.hosts"
    hosts.write_text(f"{ip_of('att')} bank.example\n")
    lab.serve("att", "dnsspoof", "-i", f"{ns('att')}0", "-f", str(hosts), "udp port 53")
    time.sleep(2.0)
    for _ in range(2):
        in_ns("vic", "dig", "+noedns", "+tries=1", "+time=2", f"@{ip_of('res')}", "bank.example")
    return [{"rule": "dns_spoof", "src": None, "target": ip_of("vic")}]


def tls_weak(lab: Lab) -> Truth:
    keydir = lab.workdir / "tls"
    keydir.mkdir()
    sh(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        str(keydir / "k.pem"),
        "-out",
        str(keydir / "c.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=weak",
        timeout=60,
    )
    lab.serve(
        "vic",
        "openssl",
        "s_server",
        "-www",
        "-accept",
        "4433",
        "-cert",
        str(keydir / "c.pem"),
        "-key",
        str(keydir / "k.pem"),
        "-tls1",
        "-cipher",
        "AES128-SHA:@SECLEVEL=0",
        "-naccept",
        "1",
        stdin=subprocess.DEVNULL,
    )
    wait_listen("vic", 4433)
    in_ns(
        "att",
        "timeout",
        "5",
        "openssl",
        "s_client",
        "-connect",
        f"{ip_of('vic')}:4433",
        "-tls1",
        "-cipher",
        "AES128-SHA:@SECLEVEL=0",
    )
    return [{"rule": "weak_tls", "src": ip_of("vic"), "target": ip_of("att")}]


def tls_strong(lab: Lab) -> Truth:
    keydir = lab.workdir / "tls2"
    keydir.mkdir()
    sh(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(keydir / "k.pem"),
        "-out",
        str(keydir / "c.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=strong",
        timeout=60,
    )
    lab.serve(
        "vic",
        "openssl",
        "s_server",
        "-www",
        "-accept",
        "4433",
        "-cert",
        str(keydir / "c.pem"),
        "-key",
        str(keydir / "k.pem"),
        "-naccept",
        "1",
        stdin=subprocess.DEVNULL,
    )
    wait_listen("vic", 4433)
    in_ns("att", "timeout", "5", "openssl", "s_client", "-connect", f"{ip_of('vic')}:4433")
    return []


def ssl_strip_creds(lab: Lab) -> Truth:
    """The victim used https://bank.example, then posts its password to a plain-HTTP copy
    served by the attacker (what an sslstrip proxy achieves), both with curl."""
    keydir = lab.workdir / "bank"
    keydir.mkdir()
    sh(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(keydir / "k.pem"),
        "-out",
        str(keydir / "c.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=bank.example",
        timeout=60,
    )
    lab.serve(
        "gw",
        "openssl",
        "s_server",
        "-www",
        "-accept",
        "443",
        "-cert",
        str(keydir / "c.pem"),
        "-key",
        str(keydir / "k.pem"),
        "-naccept",
        "1",
        stdin=subprocess.DEVNULL,
    )
    wait_listen("gw", 443)
    _web(lab, "att")
    in_ns(
        "vic",
        "curl",
        "-sk",
        "--max-time",
        "5",
        "--resolve",
        f"bank.example:443:{ip_of('gw')}",
        "https://bank.example/",
    )
    in_ns(
        "vic",
        "curl",
        "-s",
        "--max-time",
        "5",
        "--resolve",
        f"bank.example:80:{ip_of('att')}",
        "-d",
        "user=bob&password=hunter2",
        "http://bank.example/login",
    )
    return [{"rule": "ssl_strip", "src": None, "target": ip_of("vic")}]


def sqlmap_run(lab: Lab) -> Truth:
    _web(lab, "vic")
    in_ns(
        "att",
        "timeout",
        "60",
        "sqlmap",
        "--batch",
        "-u",
        f"http://{ip_of('vic')}/?id=1",
        "--technique=BU",
        "--level",
        "1",
        "--risk",
        "1",
        "--flush-session",
        "--output-dir",
        str(lab.workdir / "sqlmap"),
        timeout=90,
    )
    # sqlmap's heuristic file-inclusion probe sends ../../etc/passwd-style payloads too.
    return [
        {"rule": "http_sqli", "src": ip_of("att"), "target": ip_of("vic")},
        {"rule": "http_traversal", "src": ip_of("att"), "target": ip_of("vic")},
    ]


def benign_browsing(lab: Lab) -> Truth:
    _web(lab, "gw")
    (lab.workdir / "index.html").write_text("<html>hello</html>")
    resolver = Path(__file__).with_name("pnm_resolver.py")
    lab.serve("res", "python3", str(resolver), ip_of("res"), "0")
    wait_listen("res", 53, "u")
    for i in range(5):
        in_ns("vic", "curl", "-s", "-o", "/dev/null", f"http://{ip_of('gw')}/index.html?page={i}")
        in_ns("vic", "dig", "+tries=1", "+time=2", f"@{ip_of('res')}", f"site{i}.example")
    return []


SCENARIOS: dict[str, Callable[[Lab], Truth]] = {
    f.__name__: f
    for f in (
        scan_syn,
        scan_connect,
        scan_stealth,
        scan_udp,
        scan_masscan,
        nmap_version,
        syn_flood,
        udp_icmp_flood,
        ssh_brute,
        arp_poison,
        dns_spoof,
        tls_weak,
        tls_strong,
        ssl_strip_creds,
        sqlmap_run,
        benign_browsing,
    )
}


def record(out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        with lab() as the_lab:
            pcap = out / f"{name}.pcap"
            with capture(pcap):
                truth = SCENARIOS[name](the_lab)
            lines = "".join(json.dumps(t, sort_keys=True) + "\n" for t in truth)
            (out / f"{name}.expected.jsonl").write_text(lines)
            print(f"{name}: {pcap.stat().st_size} bytes, expects {len(truth)} detection(s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--record", type=Path, required=True, help="folder for pcaps + truth")
    ap.add_argument("scenarios", nargs="*", default=sorted(SCENARIOS))
    args = ap.parse_args()
    record(args.record, args.scenarios)


if __name__ == "__main__":
    main()
