"""Accounts on the fake host: yescrypt hashes (libxcrypt, and the same shape without it),
adding a missing login's account once, and the per-attacker isolation of that account."""

from __future__ import annotations

import ctypes
import hashlib
import re
from collections.abc import Iterator

import pytest

from phantomnet.deception import accounts
from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import run_command

YESCRYPT = re.compile(r"\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHost]:
    h = FakeHost.load(tmp_path_factory.mktemp("accounts"))
    yield h
    h.close()


def test_yescrypt_is_real_and_stable() -> None:
    hashed = accounts.yescrypt(b"seed|root")
    assert YESCRYPT.fullmatch(hashed) and hashed == accounts.yescrypt(b"seed|root")
    assert hashed != accounts.yescrypt(b"seed|anna")
    lib = ctypes.CDLL("libcrypt.so.1")  # the system's libxcrypt verifies its own hash
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    password = hashlib.sha512(b"phantomnet-shadow|seed|root").digest()[16:40].hex().encode()
    assert lib.crypt(password, hashed.encode()) == hashed.encode()  # a real yescrypt
    assert lib.crypt(b"not the password", hashed.encode()) != hashed.encode()


def test_without_libcrypt_the_hash_keeps_its_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_libcrypt", lambda: None)
    accounts.yescrypt.cache_clear()
    try:
        assert YESCRYPT.fullmatch(accounts.yescrypt(b"no-lib"))
    finally:
        accounts.yescrypt.cache_clear()


async def test_shadow_hashes_are_well_formed(host: FakeHost) -> None:
    shadow = host.fs("198.51.100.20").read_text("/etc/shadow")
    assert len(shadow.encode()) == host.fs("198.51.100.20").stat("/etc/shadow").size
    for row in shadow.splitlines():
        f = row.split(":")
        assert len(f) == 9 and (f[1] == "*" or YESCRYPT.fullmatch(f[1])), row
    assert YESCRYPT.fullmatch(shadow.split(":")[1])  # root can log in with a password


async def test_a_missing_login_gets_one_account_in_its_view_only(host: FakeHost) -> None:
    out = (await run_command("id; id bob; echo ~", host, "198.51.100.21", user="bob")).stdout
    first, again, home = out.decode().splitlines()
    assert first == again and home == "/home/bob"
    uid = int(first.split("=")[1].split("(")[0])
    taken = {int(r.split(":")[2]) for r in host.fs("198.51.100.99").read_text("/etc/passwd")
             .splitlines()}  # fmt: skip
    assert uid >= 1000 and uid not in taken  # the next free uid of the base passwd
    twice = (await run_command("grep -c ^bob: /etc/passwd /etc/group /etc/shadow", host,
                               "198.51.100.21", user="root")).stdout  # fmt: skip
    assert twice == b"/etc/passwd:1\n/etc/group:1\n/etc/shadow:1\n"  # a second login adds nothing
    other = await run_command("id bob", host, "198.51.100.22", user="root")
    assert other.stdout == b"" and other.status == 1  # another attacker's host has no bob


def test_names_adduser_would_refuse_get_no_account(host: FakeHost) -> None:
    view = host.fs("198.51.100.23")
    for bad in ("a:b", "../x", "x y", "", "-rf", "a" * 40):
        assert accounts.ensure_account(view, bad, 1, 0.0) is None, bad
    assert "a:b" not in view.read_text("/etc/passwd")
