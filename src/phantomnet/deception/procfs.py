"""Live generated files: ``/proc``, devices and binaries (``Node.gen`` names).

Values move a little on every read (load average, free memory, uptime), because static
``free`` output is a known honeypot tell (cowrie#725). Binaries are ELF files with a real
64-bit header, so ``dd if=/proc/self/exe bs=1 count=4`` prints ``7f 45 4c 46``.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable

from phantomnet.deception import netinfo
from phantomnet.deception.persona import Persona

ELF_HEADER = (
    b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00\x3e\x00\x01\x00\x00\x00"
    b"\x60\x61\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00"
)


def elf_bytes(size: int, salt: str) -> bytes:
    """A deterministic ELF-looking body of ``size`` bytes."""
    block = b"".join(hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(64))
    body = (block * (size // len(block) + 1))[: max(0, size - len(ELF_HEADER))]
    return ELF_HEADER + body


class Liveness:
    """Slowly drifting machine state shared by /proc, ``free``, ``uptime``, ``top``..."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.rng = random.Random(persona.identity.seed ^ int(time.time()))
        self.base_load = 0.05 + (persona.identity.seed % 40) / 100

    def loadavg(self) -> tuple[float, float, float]:
        jitter = self.rng.uniform(-0.04, 0.09)
        one = max(0.0, self.base_load + jitter)
        return (
            round(one, 2),
            round(self.base_load * 0.9 + 0.01, 2),
            round(self.base_load * 0.8, 2),
        )

    def memory_kb(self) -> dict[str, int]:
        """One snapshot, kB. ``used`` is ``total - available`` and ``buff/cache`` is
        ``Buffers + Cached + SReclaimable``, as procps-ng 4 (Debian 12's ``free``) computes
        them from ``/proc/meminfo``."""
        total = self.persona.identity.mem_mb * 1024 - 180_000
        busy = int(total * (0.18 + (self.persona.identity.seed % 17) / 100))
        busy += self.rng.randint(-9000, 9000)
        cache = int(total * 0.31) + self.rng.randint(-4000, 4000)
        buffers = 90_000 + self.rng.randint(0, 3000)
        sreclaimable = int(total * 0.025) + self.rng.randint(0, 900)
        free = total - busy - cache - buffers - sreclaimable
        available = free + int((cache + sreclaimable) * 0.85) + buffers
        return {
            "total": total,
            "used": total - available,
            "free": free,
            "shared": 1_320 + self.rng.randint(0, 90),
            "buffers": buffers,
            "cache": cache,
            "sreclaimable": sreclaimable,
            "available": available,
            "anon": busy,
            "swap_total": 998_396 if self.persona.identity.mem_mb <= 4096 else 0,
        }

    def procs(self) -> tuple[int, int]:
        return (1 + (self.rng.random() < 0.2), 118 + self.persona.identity.seed % 40)


def _meminfo(m: dict[str, int]) -> str:
    """Every field of a 6.1 kernel's ``/proc/meminfo``, in its order, from one snapshot."""
    total, anon, cache = m["total"], m["anon"], m["cache"]
    slab_un = m["sreclaimable"] // 2
    rows = [
        ("MemTotal", total), ("MemFree", m["free"]), ("MemAvailable", m["available"]),
        ("Buffers", m["buffers"]), ("Cached", cache), ("SwapCached", 0),
        ("Active", anon // 3 + cache // 2), ("Inactive", anon * 2 // 3 + cache // 2),
        ("Active(anon)", anon // 3), ("Inactive(anon)", anon * 2 // 3),
        ("Active(file)", cache // 2), ("Inactive(file)", cache - cache // 2),
        ("Unevictable", 0), ("Mlocked", 0), ("SwapTotal", m["swap_total"]),
        ("SwapFree", m["swap_total"]), ("Zswap", 0), ("Zswapped", 0), ("Dirty", 132),
        ("Writeback", 0), ("AnonPages", anon - m["shared"]), ("Mapped", cache // 5),
        ("Shmem", m["shared"]), ("KReclaimable", m["sreclaimable"]),
        ("Slab", m["sreclaimable"] + slab_un), ("SReclaimable", m["sreclaimable"]),
        ("SUnreclaim", slab_un), ("KernelStack", 3_520), ("PageTables", anon // 90),
        ("SecPageTables", 0), ("NFS_Unstable", 0), ("Bounce", 0), ("WritebackTmp", 0),
        ("CommitLimit", total // 2 + m["swap_total"]), ("Committed_AS", anon * 3),
        ("VmallocTotal", 34359738367), ("VmallocUsed", 21_660), ("VmallocChunk", 0),
        ("Percpu", 1_184), ("AnonHugePages", 0), ("ShmemHugePages", 0), ("ShmemPmdMapped", 0),
        ("FileHugePages", 0), ("FilePmdMapped", 0), ("Balloon", 0),
    ]  # fmt: skip
    huge = [("HugePages_Total", 0), ("HugePages_Free", 0), ("HugePages_Rsvd", 0),
            ("HugePages_Surp", 0)]  # fmt: skip
    direct = total + 180_000
    tail = [
        ("Hugepagesize", 2048), ("Hugetlb", 0), ("DirectMap4k", 135_160),
        ("DirectMap2M", direct - 135_160 - direct // 2), ("DirectMap1G", direct // 2),
    ]  # fmt: skip
    return (
        "".join(f"{k + ':':<16}{v:>8} kB\n" for k, v in rows)
        + "".join(f"{k + ':':<16}{v:>8}\n" for k, v in huge)
        + "".join(f"{k + ':':<16}{v:>8} kB\n" for k, v in tail)
    )


def _cpuinfo(p: Persona) -> str:
    """Every field a 6.1 kernel prints per processor, in its order (``TLB size`` on AMD)."""
    amd = "AMD" in p.identity.cpu_model
    n = p.identity.cpu_count
    flags = ("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
             "mmx fxsr sse sse2 ht syscall nx lm constant_tsc rep_good nopl xtopology cpuid pni "
             "pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c "
             "rdrand hypervisor lahf_lm abm")  # fmt: skip
    bugs = ("sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass srso" if amd
            else "cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs taa "
            "itlb_multihit mmio_stale_data retbleed gds bhi")  # fmt: skip
    out = []
    for i in range(n):
        out.append(
            f"processor\t: {i}\nvendor_id\t: {'AuthenticAMD' if amd else 'GenuineIntel'}\n"
            f"cpu family\t: {23 if amd else 6}\nmodel\t\t: {49 if amd else 79}\n"
            f"model name\t: {p.identity.cpu_model}\nstepping\t: {0 if amd else 1}\n"
            f"microcode\t: {'0x1000065' if amd else '0x1'}\ncpu MHz\t\t: 2399.998\n"
            f"cache size\t: {'512' if amd else '16384'} KB\nphysical id\t: 0\nsiblings\t: {n}\n"
            f"core id\t\t: {i}\ncpu cores\t: {n}\napicid\t\t: {i}\ninitial apicid\t: {i}\n"
            "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\n"
            f"flags\t\t: {flags}\nbugs\t\t: {bugs}\nbogomips\t: 4799.99\n"
            + ("TLB size\t: 2560 4K pages\n" if amd else "")
            + "clflush size\t: 64\ncache_alignment\t: 64\n"
            f"address sizes\t: {48 if amd else 46} bits physical, 48 bits virtual\n"
            "power management:\n\n"
        )
    return "".join(out)


def make_generators(persona: Persona, live: Liveness) -> dict[str, Callable[[], bytes]]:
    """The table of generator names to functions (dispatch table, no if-chains)."""

    def loadavg() -> bytes:
        a, b, c = live.loadavg()
        running, total = live.procs()
        return (
            f"{a:.2f} {b:.2f} {c:.2f} {running}/{total} {4000 + int(time.time()) % 9000}\n".encode()
        )

    def uptime() -> bytes:
        up = persona.uptime_s()
        return f"{up:.2f} {up * persona.identity.cpu_count * 0.97:.2f}\n".encode()

    def mounts() -> bytes:
        return (
            b"sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
            b"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
            b"udev /dev devtmpfs rw,nosuid,relatime,size=4008392k,mode=755 0 0\n"
            b"/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"
            b"tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,mode=755 0 0\n"
            b"tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
        )

    exe = elf_bytes(1_265_648, "bash")
    return {
        "proc:net/dev": lambda: netinfo.proc_net_dev(netinfo.facts(persona)).encode(),
        "proc:net/route": lambda: netinfo.proc_net_route(netinfo.facts(persona)).encode(),
        "proc:net/arp": lambda: netinfo.proc_net_arp(netinfo.facts(persona)).encode(),
        "proc:cpuinfo": lambda: _cpuinfo(persona).encode(),
        "proc:meminfo": lambda: _meminfo(live.memory_kb()).encode(),
        "proc:loadavg": loadavg,
        "proc:uptime": uptime,
        "proc:version": lambda: persona.proc_version().encode(),
        "proc:mounts": mounts,
        "proc:self/exe": lambda: exe,
        "proc:cmdline": lambda: (
            f"BOOT_IMAGE=/boot/vmlinuz-{persona.spec.kernel.release} "
            "root=/dev/sda1 ro quiet\n".encode()
        ),
        "proc:self/cmdline": lambda: b"-bash\x00",
        "proc:filesystems": lambda: b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text3\n\text4\n",
        "dev:null": lambda: b"",
        "dev:zero": lambda: b"\x00" * 65536,
        "dev:urandom": lambda: os.urandom(65536),
        "dev:random": lambda: os.urandom(65536),
    }
