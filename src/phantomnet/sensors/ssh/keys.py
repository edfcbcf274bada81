"""Host keys: generated on first start in the data dir (never shipped), then reused.

Sizes and types follow Debian's ``ssh-keygen -A``: RSA 3072, ECDSA P-256, Ed25519.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

KEY_TYPES = {
    "rsa": ("ssh-rsa", {"key_size": 3072}),
    "ecdsa": ("ecdsa-sha2-nistp256", {}),
    "ed25519": ("ssh-ed25519", {}),
}


def load_or_generate(folder: Path, types: tuple[str, ...]) -> list[asyncssh.SSHKey]:
    """Keys ``ssh_host_<type>_key`` from ``folder``, generating the missing ones (0600)."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for name in types:
        if name not in KEY_TYPES:
            continue
        path = folder / f"ssh_host_{name}_key"
        if path.exists():
            keys.append(asyncssh.read_private_key(str(path)))
            continue
        alg, kwargs = KEY_TYPES[name]
        key = asyncssh.generate_private_key(alg, comment=f"root@{os.uname().nodename}", **kwargs)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key("openssh"))
        os.replace(tmp, path)
        (folder / f"ssh_host_{name}_key.pub").write_bytes(key.export_public_key("openssh"))
        keys.append(key)
    return keys
