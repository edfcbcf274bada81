"""``client_ed25519``: MariaDB's key derivation and the signature check, against bytes the
real MariaDB 10.11 (``auth_ed25519``) and its ``mariadb`` client exchanged on this machine.

Captured on 127.0.0.1:3306 through a loopback proxy for ``CREATE USER ... IDENTIFIED VIA
ed25519 USING PASSWORD('x')`` (the server stored ``Gv2JI8...``), logging in with ``-px``
(accepted) and ``-pwrong`` (denied).
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from phantomnet.sensors.mysql import ed25519

STORED_FOR_X = "Gv2JI8Env2fd5YGonZ082tX3UAW+yJYldOlj4R1bfK4"
SWITCH_X = bytes.fromhex(  # the server's AuthSwitchRequest payload, as sent
    "fe636c69656e745f6564323535313900"
    "f61efd654d8859356ae20e4ef3a2bd6986db88f28fd578e483b57b36419f9849"
)
SIGNED_X = bytes.fromhex(
    "31dfe3e560adbeb5c781e5d8cae4e6b41c07609981678ecd74c3950d56eb395e"
    "88da178359b4ef8fab7681530c3252ccd2259e465b7459ce42e83204f4f75a0f"
)
SCRAMBLE_WRONG = bytes.fromhex("c1b8302b13a2faaca48045819649698754bc62b3cb917836072b908263586c17")
SIGNED_WRONG = bytes.fromhex(
    "e9bc5e8a7c463f1863b94cdb82545b0e19ce80fd7cc183a54cf4204e389ee1c6"
    "598b9a0328b8122f2476978d0f0b247021374402a7623047880c16df3f11e90b"
)


def test_public_key_is_what_mariadb_stores() -> None:
    assert base64.b64encode(ed25519.public_key("x")).decode().rstrip("=") == STORED_FOR_X


@pytest.mark.parametrize("seed", [bytes(32), bytes(range(32)), b"A" * 32])
def test_public_key_of_a_32_byte_password_is_rfc8032s(seed: bytes) -> None:
    """A 32-byte password is an RFC 8032 seed: the same key as ``cryptography``'s."""
    theirs = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert ed25519.public_key(seed.decode()) == theirs


def test_switch_request_is_the_servers() -> None:
    scramble = SWITCH_X[16:]
    assert len(scramble) == ed25519.SCRAMBLE_LEN
    assert ed25519.switch_request(scramble) == SWITCH_X


def test_signature_names_the_password_among_the_candidates() -> None:
    scramble = SWITCH_X[16:]
    assert ed25519.recover_password(SIGNED_X, scramble, ["root", "x", "y"]) == "x"
    assert ed25519.recover_password(SIGNED_X, scramble, ["root", "wrong"]) is None
    assert ed25519.recover_password(SIGNED_X, SCRAMBLE_WRONG, ["x"]) is None  # other scramble
    assert ed25519.recover_password(SIGNED_WRONG, SCRAMBLE_WRONG, ["x", "wrong"]) == "wrong"
    assert ed25519.recover_password(SIGNED_X[:63], scramble, ["x"]) is None


def test_signature_of_a_32_byte_password_from_cryptography() -> None:
    seed = b"0123456789abcdef0123456789abcdef"
    scramble = ed25519.new_scramble()
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(scramble)
    assert ed25519.recover_password(signature, scramble, ["x", seed.decode()]) == seed.decode()


def test_scrambles_are_fresh_32_bytes() -> None:
    a, b = ed25519.new_scramble(), ed25519.new_scramble()
    assert len(a) == len(b) == 32
    assert a != b
