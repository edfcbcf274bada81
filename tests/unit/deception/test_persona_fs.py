"""Persona rendering and the copy-on-write fake filesystem (no sockets)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from phantomnet.deception.fakefs import FsError, FsLimits
from phantomnet.deception.host import FakeHost
from phantomnet.deception.persona import Persona, draw_identity, list_personas, load_spec
from phantomnet.errors import ConfigError


def test_every_shipped_persona_loads_and_is_consistent() -> None:
    names = list_personas()
    assert {"debian12", "ubuntu2204", "centos7"} <= set(names)
    for name in names:
        spec = load_spec(name)
        assert spec.ssh.kex and spec.ssh.ciphers and spec.ssh.macs
        assert spec.software["apache"] and spec.software["postfix"] and spec.software["vsftpd"]


def test_unknown_persona_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_spec("no-such-persona")


def test_identity_is_drawn_per_install_and_stored(tmp_path: Path) -> None:
    a = Persona.load(tmp_path / "a")
    again = Persona.load(tmp_path / "a")
    assert again.identity == a.identity
    assert again.boot_time == a.boot_time  # uptime keeps growing across restarts
    spec = load_spec()
    hostnames = {draw_identity(spec, seed, 0).hostname for seed in range(40)}
    assert len(hostnames) > 20
    users = {u.name for seed in range(40) for u in draw_identity(spec, seed, 0).users}
    assert not {"richard", "phil"} & users and "svr04" not in hostnames


def test_uname_os_release_and_banner_agree(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path)
    p = host.persona
    fs = host.fs("203.0.113.5")
    assert p.uname("a").startswith(f"Linux {p.hostname} 6.1.0-")
    assert p.uname("a").endswith(" x86_64 GNU/Linux")
    assert "Debian" in p.spec.kernel.version and "Debian" in p.ssh_banner
    assert fs.read_text("/etc/os-release").startswith('PRETTY_NAME="Debian GNU/Linux 12')
    assert fs.read_text("/etc/hostname") == p.hostname + "\n"
    assert p.spec.kernel.release in fs.read_text("/proc/version")


def test_overlay_is_per_attacker_and_persistent(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path)
    fs = host.fs("198.51.100.1")
    fs.write("/tmp/x", b"canary")
    fs.remove("/etc/passwd")
    fs.mkdir("/opt/a/b", parents=True)
    assert not host.fs("198.51.100.2").exists("/tmp/x")
    assert host.fs("198.51.100.2").exists("/etc/passwd")
    host.close()
    again = FakeHost.load(tmp_path).fs("198.51.100.1")
    assert again.read("/tmp/x") == b"canary"
    assert not again.exists("/etc/passwd")
    assert again.is_dir("/opt/a/b")


def test_removed_directory_recreated_is_empty(tmp_path: Path) -> None:
    fs = FakeHost.load(tmp_path).fs("198.51.100.3")
    assert fs.listdir("/etc/ssh")
    fs.remove("/etc/ssh", recursive=True)
    fs.mkdir("/etc/ssh")
    assert fs.listdir("/etc/ssh") == []


def test_paths_never_escape_into_the_real_filesystem(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path / "data")
    fs = host.fs("198.51.100.4")
    before = set(os.listdir(tmp_path))
    fs.write("../../../../../../tmp/escape-test", b"x")
    fs.write("/../../etc/cron.d/evil", b"x")
    assert fs.read("/tmp/escape-test") == b"x"
    assert fs.read("/etc/cron.d/evil") == b"x"
    assert set(os.listdir(tmp_path)) == before
    assert not Path("/tmp/escape-test").exists()


def test_size_caps_and_read_only_proc(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path, limits=FsLimits(max_file_bytes=1000, max_owner_bytes=1500))
    fs = host.fs("198.51.100.5")
    with pytest.raises(FsError) as big:
        fs.write("/tmp/big", b"x" * 1001)
    assert big.value.code == errno.EFBIG
    fs.write("/tmp/a", b"x" * 900)
    with pytest.raises(FsError) as full:
        fs.write("/tmp/b", b"x" * 900)
    assert full.value.code == errno.ENOSPC
    with pytest.raises(FsError) as proc:
        fs.write("/proc/x", b"")
    assert proc.value.code == errno.ENOENT


def test_symlinks_and_live_proc_files(tmp_path: Path) -> None:
    fs = FakeHost.load(tmp_path).fs("198.51.100.6")
    assert fs.read("/bin/ls", limit=4) == b"\x7fELF"
    assert fs.resolve("/bin/ls")[0] == "/usr/bin/ls"
    assert fs.read("/proc/self/exe", limit=4) == b"\x7fELF"
    loads = {fs.read_text("/proc/meminfo") for _ in range(5)}
    assert len(loads) > 1  # memory figures move between reads


def test_uploaded_blob_appears_in_the_tree(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path)
    sha = host.store_upload(b"payload")
    fs = host.fs("198.51.100.7")
    fs.add_blob("/tmp/up", sha, 7)
    assert fs.read("/tmp/up") == b"payload"
    assert (tmp_path / host.upload_path(sha)).read_bytes() == b"payload"


def test_planted_honeytokens_are_readable_and_registered(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path)
    [db] = host.tokens.by_kind("db_password")
    assert db.secret in host.fs("198.51.100.8").read_text("/var/www/html/wp-config.php")
    assert host.tokens.match_credential("wpuser", db.secret) == db
    again = FakeHost.load(tmp_path)
    assert again.tokens.by_kind("db_password") == [db]


def test_bodies_stay_on_disk_and_survive_metadata_changes(tmp_path: Path) -> None:
    host = FakeHost.load(tmp_path)
    fs = host.fs("198.51.100.9")
    fs.write("/tmp/a", b"alpha")
    fs.chmod("/tmp/a", 0o755)
    fs.touch("/tmp/a")
    fs.write("/tmp/big", b"B" * 100_000)
    fs.write("/tmp/big", b"small again")
    assert all(n is None or n.content is None for n in fs.overlay.values())
    assert fs.read("/tmp/a") == b"alpha" and fs.stat("/tmp/a").mode == 0o755
    assert fs.read("/tmp/big") == b"small again"
    host.close()
    again = FakeHost.load(tmp_path).fs("198.51.100.9")
    assert again.read("/tmp/a") == b"alpha" and again.read("/tmp/big") == b"small again"
