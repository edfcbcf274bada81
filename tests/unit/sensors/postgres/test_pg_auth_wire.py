"""The PostgreSQL door's pure parts: startup packet parsing, the method choice, the SCRAM
exchange against scramp's own client (with libpq's empty user name), md5 responses."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from scramp import ScramClient

from phantomnet.deception.credentials import CredentialPolicy, CredentialPolicyConfig
from phantomnet.deception.honeytokens import HoneytokenRegistry
from phantomnet.sensors.postgres import auth, wire


def policy(tmp_path: Path, **kw: object) -> CredentialPolicy:
    return CredentialPolicy(CredentialPolicyConfig(**kw), HoneytokenRegistry(tmp_path / "t.json"))  # type: ignore[arg-type]


def test_startup_parsing_reads_pairs_until_the_empty_name() -> None:
    s = wire.parse_startup(196608, b"user\0bob\0database\0db\0_pq_.x\0y\0\0")
    assert s.params == {"user": "bob", "database": "db"} and s.unknown_options == ["_pq_.x"]
    for bad in (b"user\0bob", b"user\0bob\0database\0", b""):
        with pytest.raises(wire.WireError) as err:
            wire.parse_startup(196608, bad)
        assert err.value.error is not None and err.value.error.code == "08P01"


def test_error_fields_are_in_the_backend_order() -> None:
    e = wire.PgError(
        "ERROR",
        "42P01",
        'relation "t" does not exist',
        "parse_relation.c",
        1392,
        "parserOpenTable",
        position=15,
    )
    assert e.error() == wire.message(
        b"E",
        b'SERROR\0VERROR\0C42P01\0Mrelation "t" does not exist\0P15\0Fparse_relation.c\0'
        b"L1392\0RparserOpenTable\0\0",
    )
    body = wire.Body(struct.pack("!h", 3))
    assert body.int16() == 3
    with pytest.raises(wire.WireError):
        body.int32()


def test_auto_uses_scram_unless_the_policy_accepts_unknown_passwords(tmp_path: Path) -> None:
    literal = policy(tmp_path, accept=("postgres:secret",))
    assert auth.choose_method("auto", {}, literal, "postgres") == "scram-sha-256"
    glob = policy(tmp_path, accept=("postgres:*",))
    assert auth.choose_method("auto", {}, glob, "postgres") == "password"
    assert auth.choose_method("auto", {}, glob, "alice") == "scram-sha-256"
    after = policy(tmp_path, accept=(), accept_after=3)
    assert auth.choose_method("auto", {}, after, "x") == "password"
    assert auth.choose_method("auto", {"ali*": "md5"}, literal, "alice") == "md5"
    assert auth.choose_method("md5", {}, literal, "postgres") == "md5"


@pytest.mark.parametrize("password", ["secret", "123456", "not-a-candidate"])
def test_scram_against_scramp_client_with_an_empty_user(tmp_path: Path, password: str) -> None:
    keys = auth.ScramKeys(b"install-seed")
    exchange = auth.ScramExchange(keys, "postgres")
    client = ScramClient(["SCRAM-SHA-256"], "x", password)
    first = client.get_client_first().replace("n=x,", "n=,")  # what libpq sends
    server_first = exchange.first(first)
    c_nonce = first.split("r=")[1]
    nonce = server_first.split(",")[0]
    assert nonce.startswith("r=" + c_nonce) and len(nonce) == 2 + len(c_nonce) + 24
    assert server_first.endswith(",i=4096")
    client.set_server_first(server_first)
    client.client_first_bare = first.split(",", 2)[2]  # the client signs what it sent
    final = client.get_client_final()
    got = exchange.final(
        final, auth.candidates(policy(tmp_path, accept=("postgres:secret",)), "1.2.3.4", "postgres")
    )
    if password == "not-a-candidate":
        assert got is None
        return
    assert got == password
    client.set_server_final(exchange.server_final)  # the client verifies the server


def test_md5_response_is_libpq_s() -> None:
    inner = hashlib.md5(b"secretpostgres").hexdigest()
    expected = "md5" + hashlib.md5(inner.encode() + b"salt").hexdigest()
    assert auth.md5_response("postgres", "secret", b"salt") == expected
