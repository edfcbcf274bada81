"""``FakeHost``: the one machine every door (SSH, HTTP, FTP, SMTP...) shows.

Sensors obtain the process-wide instance with::

    host = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))

It bundles the rendered :class:`Persona`, the base filesystem image, per-attacker overlays
(``host.fs(attacker_ip)``), the upload/blob store, the honeytoken registry and the default
credential policy. Everything persistent lives under ``<data_dir>/deception/`` (overlays,
identity, tokens) and ``<data_dir>/uploads/`` (bodies by SHA-256).
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from phantomnet.deception.accounts import yescrypt
from phantomnet.deception.config import DeceptionConfig
from phantomnet.deception.credentials import CredentialPolicy, CredentialPolicyConfig
from phantomnet.deception.disk import DiskBudget, UploadVerdict
from phantomnet.deception.fakefs import (
    BaseTree,
    BlobStore,
    FsError,
    FsLimits,
    FsView,
    Node,
    OverlayStore,
)
from phantomnet.deception.fakefs.tree import build_base, shadow_text
from phantomnet.deception.honeytokens import HoneytokenRegistry
from phantomnet.deception.persona import DEFAULT_PERSONA, Persona
from phantomnet.deception.procfs import Liveness, elf_bytes, make_generators
from phantomnet.deception.shell.budget import CpuScheduler, ShellLimits

if TYPE_CHECKING:
    from phantomnet.deception.sql import SqlEngine

MAX_CACHED_VIEWS = 2048


class FakeHost:
    """The shared fake machine. Not thread-safe: use it from the event loop only."""

    def __init__(
        self, root: Path, persona: Persona, tokens: HoneytokenRegistry, limits: FsLimits
    ) -> None:
        self.root = root
        self.persona = persona
        self.tokens = tokens
        self.limits = limits
        self.store = OverlayStore(root / "deception" / "fs.sqlite")
        self.disk = DiskBudget.at_start(limits.max_disk_bytes, root)
        self.blobs = BlobStore(root / "uploads", self.disk)
        self.live = Liveness(persona)
        self._gens = make_generators(persona, self.live)
        self._gens["etc:shadow"] = lambda: shadow_text(persona, yescrypt).encode()
        self.base: BaseTree = build_base(persona)
        self._plant_tokens()
        self.policy = CredentialPolicy(CredentialPolicyConfig(), tokens)
        self._views: OrderedDict[str, FsView] = OrderedDict()
        #: budgets of every shell on this host, and the per-source CPU turns they share
        self.shell_limits = ShellLimits()
        self.scheduler = CpuScheduler()

    @classmethod
    def load(
        cls,
        data_dir: Path,
        persona: str = DEFAULT_PERSONA,
        limits: FsLimits | None = None,
        credentials: CredentialPolicyConfig | None = None,
    ) -> FakeHost:
        """Open (or create on first start) the fake host stored under ``data_dir``."""
        folder = Path(data_dir) / "deception"
        p = Persona.load(folder, persona)
        tokens = HoneytokenRegistry(folder / "honeytokens.json")
        host = cls(Path(data_dir), p, tokens, limits or FsLimits())
        if credentials is not None:
            host.policy.config = credentials
        return host

    @classmethod
    def from_config(cls, data_dir: Path, config: DeceptionConfig) -> FakeHost:
        """The fake host of ``[deception]`` (what the runtime hands every door)."""
        return cls.load(data_dir, config.persona, credentials=config.credentials)

    # -- filesystem ----------------------------------------------------------------------
    def fs(self, owner: str) -> FsView:
        """The copy-on-write view of ``owner`` (an attacker's source IP), cached."""
        view = self._views.get(owner)
        if view is None:
            view = FsView(owner, self.base, self.store, self.blobs, self._generate, self.limits)
            self._views[owner] = view
            while len(self._views) > MAX_CACHED_VIEWS:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(owner)
        return view

    def _generate(self, name: str, view: FsView) -> bytes:
        fn = self._gens.get(name)
        if fn is not None:
            return fn()
        if name.startswith("elf:"):
            size = int(name[4:]) if name[4:].isdigit() else 4096
            return elf_bytes(min(size, 2_000_000), name)
        return b""

    def store_upload(self, data: bytes) -> str:
        """Store an uploaded body by SHA-256 in ``<data_dir>/uploads`` and return the digest."""
        return self.blobs.put(data)

    def accept_upload(self, owner: str, data: bytes, size: int | None = None) -> UploadVerdict:
        """Check ``owner``'s quota and the disk budget *before* writing; store if both allow.

        ``size`` is what the client sent (``data`` may be a capped prefix). A refused body
        is not written anywhere; the verdict still carries its SHA-256 for the record."""
        sha = hashlib.sha256(data).hexdigest()
        sent = max(size or 0, len(data))
        view = self.fs(owner)
        if view.used + len(data) > self.limits.max_owner_bytes:
            return UploadVerdict(sha, sent, "quota")
        try:
            self.blobs.put(data)
        except FsError:
            return UploadVerdict(sha, sent, "disk")
        return UploadVerdict(sha, sent)

    def upload_path(self, sha256: str) -> str:
        """Path of a stored body relative to the data dir (for ``file.upload.stored_as``)."""
        return f"uploads/{sha256}"

    # -- honeytokens ---------------------------------------------------------------------
    def _plant_tokens(self) -> None:
        """Create (first start) and place this install's planted secrets into the base tree."""
        rng = secrets.SystemRandom()
        alphabet = string.ascii_letters + string.digits
        db = self.tokens.by_kind("db_password") or [
            self.tokens.register(
                "db_password",
                "".join(rng.choice(alphabet) for _ in range(14)),
                username="wpuser",
                planted_in=("/var/www/html/wp-config.php", "/root/.my.cnf"),
            )
        ]
        aws = self.tokens.by_kind("aws_key") or [
            self.tokens.register(
                "aws_key",
                "".join(rng.choice(alphabet + "/+") for _ in range(40)),
                username="AKIA"
                + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
                planted_in=("/root/.aws/credentials",),
            )
        ]
        users = [u.name for u in self.persona.identity.users] or ["root"]
        ssh_pw = self.tokens.by_kind("ssh_password") or [
            self.tokens.register(
                "ssh_password",
                "".join(rng.choice(alphabet) for _ in range(10)) + "!",
                username=users[-1],
                planted_in=("/root/.bash_history",),
            )
        ]
        d, a, s = db[0], aws[0], ssh_pw[0]
        host = self.persona.hostname
        files = {
            "/var/www/html/wp-config.php": (
                "<?php\ndefine( 'DB_NAME', 'wordpress' );\n"
                f"define( 'DB_USER', '{d.username}' );\ndefine( 'DB_PASSWORD', '{d.secret}' );\n"
                "define( 'DB_HOST', 'localhost' );\ndefine( 'DB_CHARSET', 'utf8mb4' );\n"
                "$table_prefix = 'wp_';\nrequire_once ABSPATH . 'wp-settings.php';\n"
            ),
            "/root/.my.cnf": f"[client]\nuser={d.username}\npassword={d.secret}\n",
            "/root/.aws/credentials": (
                f"[default]\naws_access_key_id = {a.username}\naws_secret_access_key = {a.secret}\n"
            ),
            "/root/.bash_history": (
                "apt update\napt upgrade -y\nsystemctl restart apache2\n"
                f"mysql -u {d.username} -p\nls -la /var/www/html\n"
                f"echo '{s.username}:{s.secret}' | chpasswd\nssh {s.username}@{host}\n"
                "df -h\nexit\n"
            ),
        }
        t = self.persona.identity.installed_at + 86400 * 3
        for path, text in files.items():
            data = text.encode()
            parent = path.rsplit("/", 1)[0]
            if parent not in self.base.nodes:
                self.base.nodes[parent] = Node("dir", mode=0o755, mtime=t)
                self.base.children.setdefault(parent.rsplit("/", 1)[0] or "/", set()).add(
                    parent.rsplit("/", 1)[1]
                )
            mode = 0o600 if path.startswith("/root") else 0o640
            owner = 33 if path.startswith("/var/www/") else 0
            self.base.nodes[path] = Node("file", mode=mode, uid=owner, gid=owner, mtime=t,
                                         size=len(data), content=data)  # fmt: skip
            self.base.children.setdefault(parent, set()).add(path.rsplit("/", 1)[1])

    def fingerprint(self) -> str:
        """A short digest of what this install shows (for status pages and tests)."""
        text = f"{self.persona.fqdn}|{self.persona.ssh_banner}|{self.persona.identity.seed}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def sql(self) -> SqlEngine:
        """The SQL engine behind the database doors and the HTTP SQLi decoy (built on first use)."""
        from phantomnet.deception.sql import SqlEngine

        return SqlEngine(self.root / "deception" / "sql", self.persona, self.tokens, disk=self.disk)

    def close(self) -> None:
        self.store.close()
