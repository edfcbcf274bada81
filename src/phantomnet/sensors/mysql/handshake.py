"""The connection phase: MariaDB's greeting, the client's handshake response, native auth.

The greeting is byte for byte what Debian 12's ``mariadb-server`` 10.11 sends (the test
compares it field by field with the real server on this machine): protocol 10, ``5.5.5-``
before the version (MariaDB's replication-compatibility prefix), a printable 20-byte
scramble, its capability and status flags, utf8mb4_general_ci and ``mysql_native_password``.

The persona's version picks the server the greeting is from (:func:`flavor_of`): CentOS 7's
MariaDB 5.5 (``CLIENT_ALL_FLAGS`` of its ``mysql_com.h`` less SSL and SSL_VERIFY_SERVER_CERT,
so ``0xA00FF7FF`` with the old ``CLIENT_PROGRESS`` bit 29, no MariaDB extended capabilities,
latin1_swedish_ci, no prefix) or Ubuntu 22.04's MySQL 8.0 (``CLIENT_BASIC_FLAGS`` of 8.0 plus
compress and zstd, ``0x9FFFF7FF``, utf8mb4_0900_ai_ci, ``caching_sha2_password`` announced, a
scramble of bytes 1..127 without ``$`` as MySQL's ``generate_user_salt`` makes). Both add
``CLIENT_SSL_VERIFY_SERVER_CERT`` with SSL, as their ``send_server_handshake_packet`` does.
Neither was compared with a live server (none on this machine); MariaDB 10.11's was.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field

from phantomnet.sensors.mysql import packets as p

#: What MariaDB 10.11 announces (without SSL); ``CLIENT_MYSQL`` is clear, so MariaDB's
#: extended capabilities follow the filler.
SERVER_CAPS = 0x81FFF7FE
SERVER_EXT_CAPS = (
    p.MARIADB_CLIENT_PROGRESS
    | p.MARIADB_CLIENT_STMT_BULK_OPERATIONS
    | p.MARIADB_CLIENT_EXTENDED_METADATA
    | p.MARIADB_CLIENT_CACHE_METADATA
)
CHARSET = 45  # utf8mb4_general_ci
NATIVE = "mysql_native_password"
CACHING_SHA2 = "caching_sha2_password"
MAX_ATTRS = 64


@dataclass(frozen=True)
class Flavor:
    """What a server family puts in its greeting besides the version."""

    name: str
    caps: int
    ext_caps: int  # MariaDB's, in the filler (only when ``CLIENT_MYSQL`` is clear)
    charset: int
    plugin: str
    tls_caps: int = p.CLIENT_SSL  # what offering TLS adds
    mysql_salt: bool = False  # scramble bytes 1..127 (MySQL) rather than 33..126 (MariaDB)


MARIADB_10 = Flavor("mariadb-10", SERVER_CAPS, SERVER_EXT_CAPS, CHARSET, NATIVE)
VERIFY_SERVER_CERT = 1 << 30
MARIADB_55 = Flavor(
    "mariadb-5.5", 0xA00FF7FF, 0, 8, NATIVE, tls_caps=p.CLIENT_SSL | VERIFY_SERVER_CERT
)  # fmt: skip
MYSQL_80 = Flavor(
    "mysql-8.0", 0x9FFFF7FF, 0, 255, CACHING_SHA2, tls_caps=p.CLIENT_SSL | VERIFY_SERVER_CERT,
    mysql_salt=True,
)  # fmt: skip


def flavor_of(version: str) -> Flavor:
    """MariaDB 5.x, MySQL 8+, or (anything else) MariaDB 10.11."""
    major = version.split(".", 1)[0]
    if not major.isdigit():
        return MARIADB_10
    if "MariaDB" in version:
        return MARIADB_55 if int(major) < 10 else MARIADB_10
    return MYSQL_80 if int(major) >= 8 else MARIADB_10


def new_scramble(flavor: Flavor = MARIADB_10) -> bytes:
    """20 printable bytes (33..126), as MariaDB's ``create_random_string`` makes them; for
    MySQL 1..127 with ``$`` moved to ``%`` (``generate_user_salt``)."""
    if flavor.mysql_salt:
        salt = (b & 127 for b in os.urandom(20))
        return bytes(b + 1 if b in (0, 36) else b for b in salt)
    return bytes(33 + b % 94 for b in os.urandom(20))


def wire_version(version: str) -> str:
    """MariaDB 10+ prefixes ``5.5.5-`` (old replication clients read the major from it);
    MariaDB 5.x and MySQL send the version as it is."""
    major = version.split(".", 1)[0]
    if "MariaDB" in version and major.isdigit() and int(major) >= 10:
        return "5.5.5-" + version
    return version


def greeting(version: str, thread_id: int, scramble: bytes, *, tls: bool) -> bytes:
    flavor = flavor_of(version)
    caps = flavor.caps | (flavor.tls_caps if tls else 0)
    status = p.SERVER_STATUS_AUTOCOMMIT
    return (
        b"\x0a"
        + wire_version(version).encode()
        + b"\x00"
        + struct.pack("<I", thread_id & 0xFFFFFFFF)
        + scramble[:8]
        + b"\x00"
        + struct.pack("<HBHH", caps & 0xFFFF, flavor.charset, status, caps >> 16)
        + bytes([len(scramble) + 1])
        + b"\x00" * 6
        + struct.pack("<I", flavor.ext_caps)
        + scramble[8:]
        + b"\x00"
        + flavor.plugin.encode()
        + b"\x00"
    )


@dataclass
class HandshakeResponse:
    caps: int
    ext_caps: int = 0
    max_packet: int = 0
    charset: int = 0
    user: bytes = b""
    auth: bytes = b""
    database: bytes | None = None
    plugin: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def ssl_request(self) -> bool:
        return bool(self.caps & p.CLIENT_SSL) and not self.user and not self.auth


def bad_handshake(protocol41: bool = True) -> p.PacketError:
    return p.PacketError(1043, "08S01", "Bad handshake", protocol41=protocol41)


def parse_response(data: bytes) -> HandshakeResponse:
    """Parse a HandshakeResponse41 (or the 32-byte SSLRequest that precedes TLS)."""
    if len(data) < 4:
        raise bad_handshake()
    cur = p.Cursor(data)
    caps = cur.u32()
    if not caps & p.CLIENT_PROTOCOL_41:
        raise bad_handshake(protocol41=False)
    try:
        resp = HandshakeResponse(caps=caps, max_packet=cur.u32(), charset=cur.u8())
        filler = cur.take(23)
        if not caps & p.CLIENT_MYSQL:
            resp.ext_caps = int.from_bytes(filler[19:23], "little")
        if cur.left() == 0:
            return resp  # SSLRequest
        resp.user = cur.cstring()
        if caps & p.CLIENT_PLUGIN_AUTH_LENENC:
            resp.auth = cur.lenenc_bytes()
        elif caps & p.CLIENT_SECURE_CONNECTION:
            resp.auth = cur.take(cur.u8())
        else:
            resp.auth = cur.cstring()
        if caps & p.CLIENT_CONNECT_WITH_DB and cur.left():
            resp.database = cur.cstring()
        if caps & p.CLIENT_PLUGIN_AUTH and cur.left():
            resp.plugin = cur.cstring().decode("ascii", "replace")
        if caps & p.CLIENT_CONNECT_ATTRS and cur.left():
            resp.attrs = parse_attrs(p.Cursor(cur.lenenc_bytes()))
    except ValueError:
        raise bad_handshake() from None
    return resp


def parse_attrs(cur: p.Cursor) -> dict[str, str]:
    """Connection attributes (``_client_name``, ``_client_version``, ``program_name``...)."""
    attrs: dict[str, str] = {}
    try:
        while cur.left() and len(attrs) < MAX_ATTRS:
            key = cur.lenenc_bytes().decode("utf-8", "surrogateescape")
            attrs[key[:64]] = cur.lenenc_bytes().decode("utf-8", "surrogateescape")[:256]
    except ValueError:
        pass
    return attrs


def auth_switch(scramble: bytes) -> bytes:
    """AuthSwitchRequest to ``mysql_native_password`` (clients that offered another plugin)."""
    return b"\xfe" + NATIVE.encode() + b"\x00" + scramble + b"\x00"


def native_token(password: str, scramble: bytes) -> bytes:
    """What a client sends for ``password``: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode("utf-8", "surrogateescape")).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(scramble + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3, strict=True))


_STAGES: dict[str, tuple[int, bytes]] = {}
MAX_STAGES = 4096


def _stages(password: str) -> tuple[int, bytes]:
    """SHA1(pw) as an int and SHA1(SHA1(pw)), cached (the candidates barely change)."""
    got = _STAGES.get(password)
    if got is None:
        h1 = hashlib.sha1(password.encode("utf-8", "surrogateescape")).digest()
        got = (int.from_bytes(h1, "big"), hashlib.sha1(h1).digest())
        if len(_STAGES) >= MAX_STAGES:
            _STAGES.clear()
        _STAGES[password] = got
    return got


def recover_password(token: bytes, scramble: bytes, candidates: list[str]) -> str | None:
    """The candidate the client's scramble response proves it typed, if any (one SHA1 per
    candidate: the token XOR SHA1(scramble + stage2) must be the candidate's SHA1)."""
    if not token:
        return ""
    if len(token) != 20:
        return None
    want = int.from_bytes(token, "big")
    for pw in candidates:
        if not pw:
            continue
        h1, stage2 = _stages(pw)
        mask = int.from_bytes(hashlib.sha1(scramble + stage2).digest(), "big")
        if want ^ mask == h1:
            return pw
    return None
