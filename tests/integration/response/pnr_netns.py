"""Two network namespaces joined by a veth pair: a victim (runs PhantomNet's firewall and a
service) and an attacker. Names carry the ``pnr-`` prefix; neither namespace has a default
route, so nothing can leave them. Peers are subprocesses started with ``ip netns exec`` and
stopped by their PID.
"""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

PEER = Path(__file__).with_name("pnr_peer.py")
STEP_TIMEOUT_S = 10
HOST_FW = """
table inet pnr_hostfw {
    chain input {
        type filter hook input priority 0; policy accept;
        ct state established,related accept
        tcp dport 1-65535 accept
    }
}
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=STEP_TIMEOUT_S)


@dataclass
class Peer:
    proc: subprocess.Popen[str]

    def ask(self, command: str) -> str:
        """Send one command line and read the one-line answer (bounded by the peer's waits)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=3)


@dataclass
class Lab:
    victim: str
    attacker: str
    net: int
    peers: list[Peer] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def victim_ip(self) -> str:
        return f"10.250.{self.net}.1"

    @property
    def attacker_ip(self) -> str:
        return f"10.250.{self.net}.2"

    @property
    def victim_ip6(self) -> str:
        return f"fd00:250:{self.net:x}::1"

    @property
    def attacker_ip6(self) -> str:
        return f"fd00:250:{self.net:x}::2"

    def in_victim(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.victim, *args, check=check)

    def _spawn(self, ns: str, *args: str) -> Peer:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, str(PEER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        peer = Peer(proc)
        self.peers.append(peer)
        return peer

    def serve(self, host: str) -> int:
        """Start an echo server in the victim namespace; returns its port."""
        return int(self._spawn(self.victim, "server", host).line())

    def client(self, host: str, port: int) -> Peer:
        """Connect from the attacker namespace; the first answer is already read."""
        peer = self._spawn(self.attacker, "client", host, str(port))
        peer.first = peer.line()  # type: ignore[attr-defined]
        return peer

    def close(self) -> None:
        for peer in self.peers:
            peer.stop()
        for ns in (self.victim, self.attacker, *self.extra):
            sh("ip", "netns", "del", ns, check=False)

    def publish_container(self) -> tuple[str, int]:
        """A "container" namespace behind the victim, its echo service published on a victim
        port through DNAT (what Docker does); returns (victim address, published port).

        Traffic to it crosses the victim's FORWARD path, never INPUT.
        """
        ns = self.victim.replace("pnr-v-", "pnr-c-")
        self.extra.append(ns)
        tag = ns.removeprefix("pnr-c-")
        host_ip, inner_ip = f"10.251.{self.net}.1", f"10.251.{self.net}.2"
        sh("ip", "netns", "add", ns)
        sh(
            "ip",
            "link",
            "add",
            f"pnrh{tag}",
            "netns",
            self.victim,
            "type",
            "veth",
            "peer",
            "name",
            f"pnrc{tag}",
            "netns",
            ns,
        )
        sh("ip", "-n", self.victim, "addr", "add", f"{host_ip}/24", "dev", f"pnrh{tag}")
        sh("ip", "-n", ns, "addr", "add", f"{inner_ip}/24", "dev", f"pnrc{tag}")
        for where, dev in ((self.victim, f"pnrh{tag}"), (ns, f"pnrc{tag}"), (ns, "lo")):
            sh("ip", "-n", where, "link", "set", dev, "up")
        # replies to the attacker's subnet go back through the victim (no default route)
        sh("ip", "-n", ns, "route", "add", f"10.250.{self.net}.0/24", "via", host_ip)
        self.in_victim("sysctl", "-qw", "net.ipv4.ip_forward=1")
        inner_port = int(self._spawn(ns, "server", inner_ip).line())
        published = 18080
        nat = (
            f"table ip pnr_nat {{\n chain prerouting {{\n  type nat hook prerouting "
            f"priority dstnat;\n  tcp dport {published} dnat to {inner_ip}:{inner_port}\n"
            " }\n}\n"
        )
        subprocess.run(
            ["ip", "netns", "exec", self.victim, "nft", "-f", "-"],
            input=nat,
            text=True,
            check=True,
            timeout=STEP_TIMEOUT_S,
            capture_output=True,
        )
        return self.victim_ip, published


def make_lab() -> Lab:
    tag = f"{random.randrange(16**6):06x}"
    net = random.randrange(1, 255)
    lab = Lab(victim=f"pnr-v-{tag}", attacker=f"pnr-a-{tag}", net=net)
    veth_v, veth_a = f"pnrv{tag}", f"pnra{tag}"
    try:
        for ns in (lab.victim, lab.attacker):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh(
            "ip",
            "link",
            "add",
            veth_v,
            "netns",
            lab.victim,
            "type",
            "veth",
            "peer",
            "name",
            veth_a,
            "netns",
            lab.attacker,
        )
        for ns, dev, v4, v6 in (
            (lab.victim, veth_v, lab.victim_ip, lab.victim_ip6),
            (lab.attacker, veth_a, lab.attacker_ip, lab.attacker_ip6),
        ):
            sh("ip", "-n", ns, "addr", "add", f"{v4}/24", "dev", dev)
            sh("ip", "-n", ns, "addr", "add", f"{v6}/64", "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        # the victim runs a typical stateful host firewall (ufw/firewalld style): established
        # flows are accepted early and tracked by conntrack, the case where bans leak
        subprocess.run(
            ["ip", "netns", "exec", lab.victim, "nft", "-f", "-"],
            input=HOST_FW,
            text=True,
            check=True,
            timeout=STEP_TIMEOUT_S,
            capture_output=True,
        )
    except BaseException:
        lab.close()
        raise
    return lab
