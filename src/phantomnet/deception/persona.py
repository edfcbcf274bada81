"""Personas: what the fake machine claims to be, as data, rendered once per install.

A :class:`PersonaSpec` is loaded from a TOML file shipped in ``deception/personas/`` (or any
path the operator gives). Everything an attacker could use to recognise *this product* across
installations (hostname, user names, machine id, hardware, boot time, MAC and private
address) is drawn per install from a random seed kept in ``<data_dir>/deception/install.json``
and never shipped. Host keys are generated per install by the SSH sensor (``sensors/ssh``).

The same rendered :class:`Persona` feeds every door: the SSH banner and ``ssh -V``, ``uname``,
``/etc/os-release``, and the versions the HTTP/FTP/SMTP personas need (``software``).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from phantomnet.errors import ConfigError

DEFAULT_PERSONA = "debian12"
INSTALL_FILE = "install.json"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KernelSpec(_Model):
    release: str
    version: str
    compiler: str
    builder: str
    machine: str = "x86_64"


class SshSpec(_Model):
    """The OpenSSH server this persona runs: banner, algorithm lists in wire order, wording."""

    version: str
    client_version: str
    kex: tuple[str, ...]
    strict_kex: bool = True
    ext_info_s: bool = False
    host_keys: tuple[str, ...] = ("rsa", "ecdsa", "ed25519")
    host_key_algs: tuple[str, ...]
    ciphers: tuple[str, ...]
    macs: tuple[str, ...]
    compression: tuple[str, ...] = ("none", "zlib@openssh.com")
    max_auth_tries: int = 6
    invalid_identification: str = "Invalid SSH identification string.\r\n"
    major_version_differs: str = "Protocol major versions differ.\r\n"
    too_many_failures: str = "Too many authentication failures"
    login_grace_s: float = 120


class HardwareSpec(_Model):
    cpu_models: tuple[str, ...]
    cpu_counts: tuple[int, ...]
    mem_mb: tuple[int, ...]
    disk_gb: tuple[int, ...]


class NamingSpec(_Model):
    hostname_words: tuple[str, ...]
    domains: tuple[str, ...]
    first_names: tuple[str, ...]
    service_users: tuple[str, ...]


class PersonaSpec(_Model):
    """A persona file, validated. Versions in ``software`` are what each door announces."""

    id: str
    family: str
    pretty_name: str
    package_manager: str = "apt"
    debian_version: str = ""
    issue: str = ""
    os_release: str
    lsb_release: dict[str, str] = Field(default_factory=dict)
    kernel: KernelSpec
    ssh: SshSpec
    software: dict[str, str]
    hardware: HardwareSpec
    naming: NamingSpec


class UserEntry(_Model):
    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str = "/bin/bash"


class Identity(_Model):
    """What was drawn for this install (stored as JSON, re-read on every start)."""

    seed: int
    hostname: str
    domain: str
    users: tuple[UserEntry, ...]
    machine_id: str
    installed_at: float
    boot_offset_s: int
    cpu_model: str
    cpu_count: int
    mem_mb: int
    disk_gb: int
    mac: str
    ipv4: str
    gateway: str
    #: when this install first started (the fake boot time is ``first_start - boot_offset_s``
    #: so uptime keeps growing across restarts, like a server nobody reboots)
    first_start: float = 0.0


def list_personas() -> list[str]:
    """Names of the personas shipped with the package."""
    folder = resources.files("phantomnet.deception") / "personas"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_spec(name_or_path: str = DEFAULT_PERSONA) -> PersonaSpec:
    """Load a shipped persona by name, or a TOML file by path. Raises :class:`ConfigError`."""
    try:
        if name_or_path.endswith(".toml"):
            raw = Path(name_or_path).read_bytes()
        else:
            res = resources.files("phantomnet.deception") / "personas" / f"{name_or_path}.toml"
            raw = res.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"persona {name_or_path!r} cannot be read: {exc}") from exc
    try:
        return PersonaSpec.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"persona {name_or_path!r} is invalid: {exc}") from exc


def draw_identity(spec: PersonaSpec, seed: int, now: float) -> Identity:
    """Draw this install's identity from ``seed`` (deterministic for a given seed)."""
    rng = random.Random(seed)
    naming = spec.naming
    host = f"{rng.choice(naming.hostname_words)}{rng.choice(['', '-', '0'])}{rng.randint(1, 40)}"
    if rng.random() < 0.3:
        host = f"{rng.choice(naming.hostname_words)}-{rng.choice(naming.hostname_words)}"
    people = rng.sample(list(naming.first_names), k=rng.randint(1, 2))
    service = rng.sample(list(naming.service_users), k=rng.randint(0, 2))
    users = tuple(
        UserEntry(
            name=name,
            uid=1000 + i,
            gid=1000 + i,
            gecos=f"{name.capitalize()},,," if name in people else "",
            home=f"/home/{name}",
        )
        for i, name in enumerate(people + service)
    )
    hw = spec.hardware
    idx = rng.randrange(len(hw.cpu_counts))
    mac = "52:54:00:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
    net = rng.choice([(10, rng.randrange(256)), (172, 16 + rng.randrange(16)), (192, 168)])
    prefix = f"{net[0]}.{net[1]}.{rng.randrange(256)}" if net[0] == 10 else f"{net[0]}.{net[1]}"
    if net[0] != 10:
        prefix += f".{rng.randrange(256)}"
    return Identity(
        seed=seed,
        hostname=host,
        domain=rng.choice(naming.domains),
        users=users,
        machine_id=f"{rng.getrandbits(128):032x}",
        installed_at=now - rng.randint(30, 700) * 86400,
        boot_offset_s=rng.randint(3 * 86400, 160 * 86400),
        cpu_model=rng.choice(hw.cpu_models),
        cpu_count=hw.cpu_counts[idx],
        mem_mb=rng.choice(hw.mem_mb),
        disk_gb=rng.choice(hw.disk_gb),
        mac=mac,
        ipv4=f"{prefix}.{rng.randint(10, 250)}",
        gateway=f"{prefix}.1",
        first_start=now,
    )


def load_or_create_identity(spec: PersonaSpec, folder: Path) -> Identity:
    """Read ``folder/install.json``, or draw and store a fresh identity on first start."""
    path = folder / INSTALL_FILE
    if path.exists():
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("persona") == spec.id:
                return Identity.model_validate(data["identity"])
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{path} is damaged: {exc}") from exc
    identity = draw_identity(spec, secrets.randbits(63), time.time())
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"persona": spec.id, "identity": identity.model_dump(mode="json")}, indent=1)
    )
    os.replace(tmp, path)
    return identity


class Persona:
    """A persona spec plus this install's identity: the text every door shows."""

    def __init__(self, spec: PersonaSpec, identity: Identity) -> None:
        self.spec = spec
        self.identity = identity
        start = identity.first_start or time.time()
        self._boot = start - identity.boot_offset_s

    @classmethod
    def load(cls, folder: Path, name_or_path: str = DEFAULT_PERSONA) -> Persona:
        spec = load_spec(name_or_path)
        return cls(spec, load_or_create_identity(spec, folder))

    @property
    def hostname(self) -> str:
        return self.identity.hostname

    @property
    def fqdn(self) -> str:
        return f"{self.identity.hostname}.{self.identity.domain}"

    @property
    def ssh_banner(self) -> str:
        """The identification string without CR LF, e.g. ``SSH-2.0-OpenSSH_9.2p1 Debian-...``."""
        return f"SSH-2.0-{self.spec.ssh.version}"

    @property
    def boot_time(self) -> float:
        """Boot time: fixed per install and process start so uptime grows between sessions."""
        return self._boot

    def uptime_s(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.boot_time

    def uname(self, flags: str = "s") -> str:
        """``uname`` output for a set of single-letter flags (``a`` means all)."""
        k = self.spec.kernel
        fields = {
            "s": "Linux",
            "n": self.hostname,
            "r": k.release,
            "v": k.version,
            "m": k.machine,
            "p": "unknown" if self.spec.family != "rhel" else k.machine,
            "i": "unknown" if self.spec.family != "rhel" else k.machine,
            "o": "GNU/Linux",
        }
        if "a" in flags:
            order = "snrvmpio" if self.spec.family == "rhel" else "snrvmo"
        else:
            order = "".join(c for c in "snrvmpio" if c in flags)
        return " ".join(fields[c] for c in order)

    def proc_version(self) -> str:
        k = self.spec.kernel
        return f"Linux version {k.release} ({k.builder}) ({k.compiler}) {k.version}\n"

    def software(self, key: str, default: str = "") -> str:
        """A version string other doors announce (``apache``, ``vsftpd``, ``postfix``...)."""
        return self.spec.software.get(key, default)

    def user(self, name: str) -> UserEntry | None:
        if name == "root":
            return UserEntry(name="root", uid=0, gid=0, gecos="root", home="/root")
        if name == "www-data":  # Debian's fixed system account (base-passwd), as in /etc/passwd
            return UserEntry(name="www-data", uid=33, gid=33, gecos="www-data", home="/var/www",
                             shell="/usr/sbin/nologin")  # fmt: skip
        return next((u for u in self.identity.users if u.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"persona": self.spec.id, "hostname": self.fqdn, "ssh": self.ssh_banner}
