"""The fake host's network, one set of facts for every tool and file that shows it.

``ip``, ``ifconfig``, ``hostname -I``, ``netstat``/``ss``, ``/proc/net/{dev,route,arp}`` and
``/sys/class/net/*`` all read :func:`facts`, so the interface name, the address, the MAC, the
gateway and the traffic counters agree wherever an attacker looks. The address is the
persona's private one (a cloud VM behind NAT shows its private address too), the same as in
``/etc/hosts``' neighbours and ``/etc/resolv.conf``'s gateway; counters grow with uptime.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from phantomnet.deception.persona import Persona

IFACE = "ens3"
ALTNAME = "enp0s3"
#: where ``/sys/class/net/<iface>`` points, as on a KVM guest with a virtio NIC
SYS_DEVICE = {"lo": "../../devices/virtual/net/lo",
              IFACE: f"../../devices/pci0000:00/0000:00:03.0/virtio0/net/{IFACE}"}  # fmt: skip


@dataclass(frozen=True)
class NetFacts:
    iface: str
    address: str
    prefix_len: int
    gateway: str
    mac: str
    gateway_mac: str
    rx_bytes: int
    rx_packets: int
    tx_bytes: int
    tx_packets: int
    lo_bytes: int
    lo_packets: int

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"{self.address}/{self.prefix_len}", strict=False)

    @property
    def netmask(self) -> str:
        return str(self.network.netmask)

    @property
    def broadcast(self) -> str:
        return str(self.network.broadcast_address)

    @property
    def link_local(self) -> str:
        """The EUI-64 IPv6 link-local address of the MAC (``fe80::5054:ff:fe..``)."""
        b = [int(x, 16) for x in self.mac.split(":")]
        eui = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
        return str(ipaddress.IPv6Address(b"\xfe\x80" + b"\x00" * 6 + eui))


def _hex_le(ip: str) -> str:
    """An IPv4 address as ``/proc/net/route`` prints it (little-endian hex)."""
    return ipaddress.IPv4Address(ip).packed[::-1].hex().upper()


def facts(persona: Persona) -> NetFacts:
    ident = persona.identity
    up = max(int(persona.uptime_s()), 0)
    rate = 700 + ident.seed % 900  # bytes per second of background traffic, per install
    rx = 40_000_000 + up * rate
    tx = 9_000_000 + up * rate // 3
    lo = 2_000_000 + up * 37
    mac = ident.mac.split(":")
    gateway_mac = ":".join([*mac[:3], f"{(int(mac[3], 16) ^ 0x5A):02x}", *mac[4:]])
    return NetFacts(
        iface=IFACE, address=ident.ipv4, prefix_len=24, gateway=ident.gateway, mac=ident.mac,
        gateway_mac=gateway_mac, rx_bytes=rx, rx_packets=rx // 870, tx_bytes=tx,
        tx_packets=tx // 420, lo_bytes=lo, lo_packets=lo // 190,
    )  # fmt: skip


def proc_net_dev(n: NetFacts) -> str:
    head = ("Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
            "errs drop fifo colls carrier compressed\n")  # fmt: skip
    rows = [("lo", n.lo_bytes, n.lo_packets, n.lo_bytes, n.lo_packets),
            (n.iface, n.rx_bytes, n.rx_packets, n.tx_bytes, n.tx_packets)]  # fmt: skip
    return head + "".join(
        f"{name:>6}: {rb:>8} {rp:>7}    0    0    0     0          0         0 {tb:>8} "
        f"{tp:>7}    0    0    0     0       0          0\n"
        for name, rb, rp, tb, tp in rows
    )


def proc_net_route(n: NetFacts) -> str:
    """The kernel pads every line of ``/proc/net/route`` to 127 characters."""
    net, mask = n.network.network_address, n.network.netmask
    lines = [
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
        f"{n.iface}\t00000000\t{_hex_le(n.gateway)}\t0003\t0\t0\t0\t00000000\t0\t0\t0",
        f"{n.iface}\t{_hex_le(str(net))}\t00000000\t0001\t0\t0\t0\t{_hex_le(str(mask))}\t0\t0\t0",
    ]
    return "".join(line.ljust(127) + "\n" for line in lines)


def proc_net_arp(n: NetFacts) -> str:
    return (
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        f"{n.gateway:<16} 0x1         0x2         {n.gateway_mac}     *        {n.iface}\n"
    )


def sys_class_net(n: NetFacts) -> dict[str, str]:
    """Files under ``/sys/class/net/<iface>/`` (path relative to it -> content)."""
    out: dict[str, str] = {}
    for iface, mac, mtu, kind, state in (("lo", "00:00:00:00:00:00", 65536, 772, "unknown"),
                                         (n.iface, n.mac, 1500, 1, "up")):  # fmt: skip
        out.update({
            f"{iface}/address": mac + "\n", f"{iface}/mtu": f"{mtu}\n",
            f"{iface}/type": f"{kind}\n", f"{iface}/operstate": state + "\n",
            f"{iface}/addr_len": "6\n", f"{iface}/carrier": "1\n",
            f"{iface}/broadcast": "00:00:00:00:00:00\n" if iface == "lo"
            else "ff:ff:ff:ff:ff:ff\n",
            f"{iface}/ifindex": "1\n" if iface == "lo" else "2\n",
        })  # fmt: skip
    return out
