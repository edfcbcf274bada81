"""Arbitrary bytes through every door's real socket, followed to the bus, the database, the
API and the SSE stream of a real ``phantomnet up`` (SQLite, real storage writer).

Hypothesis drives plain socket clients (and asyncssh for SSH in-shell, ssl for HTTPS) with
random bytes wrapped in just enough protocol to reach deep states (login, DATA, PASV+STOR,
a shell). Every example is bounded (socket timeouts, half-close); each test has a small
``max_examples``. The last test asserts: every door still listens and speaks, the API
answers, every fuzz connection's ``connection.opened`` is stored and the SSE stream carried
only valid UTF-8 JSON whose attacker text is in the safe escaped form.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantomnet.events import is_safe_text
from tests.e2e.harness import PhantomNet, free_port
from tests.e2e.test_up import free_sensor_ports

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
IO_TIMEOUT = 10.0

BYTES = st.binary(max_size=600)
NASTY = st.sampled_from(
    [b"\xff\xfe", b"\x00", b"\xed\xa0\x80", b"\x1b[2J", b"\xe2\x80\xae", b"\\x41", b"%00",
     b"\xff\xf4\xff\xf2", b"\r", b"\n", b"\xc0\xaf", b"..//..", b"\x7f", b"\xf0\x9f\x92\xa9"]
)  # fmt: skip
TEXTY = st.lists(st.one_of(NASTY, st.binary(max_size=12)), max_size=12).map(b"".join)


class Platform:
    """The running ``phantomnet up`` and what the fuzz clients did to it."""

    def __init__(self, pn: PhantomNet, sensors: dict[str, dict[str, Any]], token: str) -> None:
        self.pn, self.sensors, self.token = pn, sensors, token
        self.client_ports: dict[str, list[int]] = {}

    def port(self, door: str) -> int:
        if door == "https":
            return int(self.sensors["http"]["tls_port"])
        return int(self.sensors[door]["port"])

    def used(self, door: str, sock: socket.socket) -> None:
        self.client_ports.setdefault(door, []).append(int(sock.getsockname()[1]))

    def get(self, path: str) -> Any:
        req = urllib.request.Request(
            self.pn.api + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("fuzz")
    sensors = free_sensor_ports()
    sensors["ftp"]["failed_login_delay_s"] = 0
    sensors["ssh"].update(auth_fail_delay_s=0, record=False)
    sensors["smtp"]["starttls"] = False
    config = {
        "api": {"port": free_port()},
        "sensors": sensors,
        "deception": {"credentials": {"accept": ["*:*"]}},
    }
    with PhantomNet(tmp, config) as pn:
        pn.wait_http("/health")
        for s in sensors.values():
            pn.wait_port(int(s["port"]))
        pn.wait_port(int(sensors["http"]["tls_port"]))
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()
        sse_log = (tmp / "sse.log").open("wb")
        sse = subprocess.Popen(
            ["curl", "-sSN", "-H", f"Authorization: Bearer {token}", pn.api + "/api/stream"],
            stdout=sse_log, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        plat = Platform(pn, sensors, token)
        plat.sse_path = tmp / "sse.log"  # type: ignore[attr-defined]
        try:
            yield plat
        finally:
            sse.terminate()
            sse.wait(10)
            sse_log.close()


def exchange(sock: socket.socket, data: bytes, greet: bool) -> bytes:
    """Read the greeting (line protocols), send ``data``, half-close, read until EOF."""
    got = b""
    with sock:
        sock.settimeout(IO_TIMEOUT)
        try:
            if greet:
                got += sock.recv(4096)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                got += chunk
        except (TimeoutError, ConnectionError):
            pass
    return got


def connect(plat: Platform, door: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", plat.port(door)), timeout=IO_TIMEOUT)
    plat.used(door, sock)
    return sock


# -- HTTP / HTTPS -------------------------------------------------------------------------
METHODS = st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"\xff", b""])
HEADER = st.tuples(TEXTY, TEXTY).map(lambda kv: kv[0] + b": " + kv[1] + b"\r\n")
HTTP_REQUEST = st.one_of(
    BYTES,
    st.builds(
        lambda m, t, v, hs, body: m + b" /" + t + b" " + v + b"\r\n" + b"".join(hs)
        + b"Content-Length: %d\r\n\r\n" % len(body) + body,
        METHODS, TEXTY, st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1337", b""]),
        st.lists(HEADER, max_size=6), BYTES,
    ),
)  # fmt: skip


@FUZZ
@given(data=HTTP_REQUEST)
def test_http_door_takes_any_bytes(platform: Platform, data: bytes) -> None:
    exchange(connect(platform, "http"), data, greet=False)


@settings(FUZZ, max_examples=20)
@given(data=HTTP_REQUEST)
def test_https_door_takes_any_bytes(platform: Platform, data: bytes) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    raw = connect(platform, "https")
    try:
        tls = ctx.wrap_socket(raw)
    except (ssl.SSLError, OSError):
        raw.close()
        return
    with tls:
        try:
            tls.sendall(data)
            tls.shutdown(socket.SHUT_WR)  # EOF, so the door need not wait for its idle timer
            while tls.recv(65536):
                pass
        except (ssl.SSLError, OSError):
            pass


# -- FTP (control and data) ----------------------------------------------------------------
FTP_VERBS = st.sampled_from(
    [b"USER", b"PASS", b"CWD", b"MKD", b"RMD", b"DELE", b"RNFR", b"RNTO", b"SIZE", b"MDTM",
     b"LIST", b"NLST", b"RETR", b"STOR", b"TYPE", b"PORT", b"EPRT", b"OPTS", b"SITE", b"REST",
     b"ABOR", b"\xff\xf4\xff\xf2ABOR", b"\xff\xfe", b"FEAT", b"HELP", b"STAT"]
)  # fmt: skip
FTP_LINES = st.lists(st.tuples(FTP_VERBS, TEXTY), max_size=10).map(
    lambda ls: b"".join(v + b" " + a.replace(b"\n", b"") + b"\r\n" for v, a in ls)
)
LOGIN = st.sampled_from([b"", b"USER anonymous\r\nPASS a@b.c\r\n", b"USER root\r\nPASS x\r\n"])


@FUZZ
@given(login=LOGIN, lines=st.one_of(FTP_LINES, BYTES))
def test_ftp_control_takes_any_bytes(platform: Platform, login: bytes, lines: bytes) -> None:
    exchange(connect(platform, "ftp"), login + lines, greet=True)


PASV = re.compile(rb"227 Entering Passive Mode \((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


@settings(FUZZ, max_examples=25)
@given(name=TEXTY, payload=BYTES)
def test_ftp_data_channel_takes_any_bytes(platform: Platform, name: bytes, payload: bytes) -> None:
    sock = connect(platform, "ftp")
    with sock:
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"USER anonymous\r\nPASS a@b.c\r\nCWD incoming\r\nPASV\r\n")
        reply = b""
        while not (m := PASV.search(reply)):
            line = f.readline()
            assert line, reply
            reply += line
        port = int(m.group(5)) * 256 + int(m.group(6))
        data = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        sock.sendall(b"STOR " + name.replace(b"\n", b"").replace(b"\r", b"") + b"x\r\n")
        with data, contextlib.suppress(ConnectionError):
            data.sendall(payload)
        sock.sendall(b"QUIT\r\n")
        sock.shutdown(socket.SHUT_WR)
        try:
            while f.readline():
                pass
        except (TimeoutError, ConnectionError):
            pass


# -- SMTP ---------------------------------------------------------------------------------
def _smtp(helo: bytes, mail: bytes, rcpt: bytes, auth: bytes, body: bytes) -> bytes:
    body = body.replace(b"\r\n.\r\n", b"\r\n..\r\n")
    return (b"EHLO " + helo + b"\r\n" + auth + b"MAIL FROM:<" + mail + b">\r\nRCPT TO:<" + rcpt
            + b">\r\nDATA\r\n" + body + b"\r\n.\r\nQUIT\r\n")  # fmt: skip


SMTP_AUTH = st.one_of(
    st.just(b""),
    TEXTY.map(lambda b: b"AUTH PLAIN " + __import__("base64").b64encode(b"\x00" + b) + b"\r\n"),
)
MESSAGE = st.builds(
    lambda subj, frm, body: b"Subject: " + subj + b"\r\nFrom: " + frm + b"\r\n"
    + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Disposition: "
    b"attachment; filename=\"" + subj + b"\"\r\n\r\n" + body + b"\r\n--b--\r\n",
    TEXTY, TEXTY, BYTES,
)  # fmt: skip


@FUZZ
@given(
    data=st.one_of(
        st.builds(_smtp, TEXTY, TEXTY, TEXTY, SMTP_AUTH, st.one_of(MESSAGE, BYTES)), BYTES
    )
)
def test_smtp_door_takes_any_bytes(platform: Platform, data: bytes) -> None:
    exchange(connect(platform, "smtp"), data, greet=True)


# -- SSH: pre-auth bytes, then a shell ----------------------------------------------------
@settings(FUZZ, max_examples=30)
@given(data=st.one_of(BYTES, BYTES.map(lambda b: b"SSH-2.0-" + b + b"\r\n")))
def test_ssh_pre_auth_takes_any_bytes(platform: Platform, data: bytes) -> None:
    exchange(connect(platform, "ssh"), data, greet=True)


async def _shell(port: int, user: str, password: str, keys: bytes) -> None:
    conn = await asyncssh.connect(
        "127.0.0.1", port, username=user, password=password, known_hosts=None,
        connect_timeout=IO_TIMEOUT,
    )  # fmt: skip
    async with conn, conn.create_process(term_type="xterm", encoding=None) as proc:
        proc.stdin.write(keys + b"\nexit\n")
        proc.stdin.write_eof()
        async with asyncio.timeout(IO_TIMEOUT):
            await proc.wait()


#: ASCII: asyncssh's server SASLpreps passwords and disconnects on unassigned code points
#: (``ProtocolError: Invalid password auth request``; OpenSSH takes any bytes): reported to
#: the SSH door's owner, not fuzzed here.
PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@settings(FUZZ, max_examples=15)
@given(
    user=st.sampled_from(["root", "admin", "ubuntu", "pi"]),
    password=PRINTABLE,
    keys=st.lists(st.one_of(NASTY, BYTES.map(lambda b: b[:80])), max_size=6).map(b"\n".join),
)
def test_ssh_shell_takes_any_keys(
    platform: Platform, user: str, password: str, keys: bytes
) -> None:
    """Log in (every password is accepted here) and type arbitrary bytes into the shell."""
    asyncio.run(_shell(platform.port("ssh"), user, password, keys))
    platform.client_ports.setdefault("ssh-shell", []).append(0)


# -- afterwards: every door, the API, the database, SSE -----------------------------------
def _all_events(plat: Platform, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = plat.get(
            f"/api/events?kind={kind}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        )
        items += page["items"]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return items


def test_every_door_and_the_api_survived_and_stored_every_case(platform: Platform) -> None:
    pn = platform.pn
    pn.assert_alive()
    for door in ("ssh", "ftp", "smtp"):
        with socket.create_connection(("127.0.0.1", platform.port(door)), timeout=30) as s:
            assert s.recv(64)[:4] in (b"SSH-", b"220 "), door
    with urllib.request.urlopen(f"http://127.0.0.1:{platform.port('http')}/", timeout=30) as r:
        assert r.status == 200
    assert pn.wait_http("/health")["database"] == "ok"

    want = {p for door, ports in platform.client_ports.items() if door != "ssh-shell"
            for p in ports}  # fmt: skip
    assert len(want) > 100
    assert len(platform.client_ports["ssh-shell"]) >= 15  # every shell session completed
    shell = platform.get("/api/events?kind=command.input&protocol=ssh&limit=500")["items"]
    assert shell, "no shell command stored"
    deadline = time.monotonic() + 90
    missing = want
    while time.monotonic() < deadline:
        stored = {e["src_port"] for e in _all_events(platform, "connection.opened")}
        missing = want - stored
        if not missing:
            break
        time.sleep(1)
    assert not missing, f"{len(missing)} fuzz connections not stored; log:\n{pn.log()[-4000:]}"

    # Every stored payload's strings are valid, safe text (JSON parsed them: valid UTF-8).
    for kind in ("command.input", "http.request", "auth.attempt", "smtp.message"):
        for item in _all_events(platform, kind):
            _assert_safe_strings(item["payload"])
    sse = Path(platform.sse_path).read_bytes()  # type: ignore[attr-defined]
    text = sse.decode("utf-8")  # the stream is valid UTF-8
    data_lines = [ln[6:] for ln in text.split("\n") if ln.startswith("data: ")]
    assert len(data_lines) > 100, text[-2000:]
    for line in data_lines:
        payload = json.loads(line)
        if payload["kind"] in ("command.input", "http.request", "smtp.message"):
            _assert_safe_strings(payload)
    # The CLI's view of what the detections led to (blocks, reasons) is clean terminal text.
    blocks = pn.cli("blocks", "--all", check=False)
    assert blocks.returncode == 0, blocks.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", blocks.stdout), blocks.stdout
    assert "Traceback" not in pn.log(), pn.log()[-4000:]


SAFE_KEYS = {"command", "method", "path", "query", "host", "headers", "body_excerpt", "username",
             "password", "subject", "mail_from", "rcpt_to", "helo", "value", "filename"}  # fmt: skip


def _assert_safe_strings(payload: dict[str, Any]) -> None:
    def walk(v: Any) -> Iterator[str]:
        if isinstance(v, str):
            yield v
        elif isinstance(v, (list, tuple)):
            for x in v:
                yield from walk(x)

    for key in SAFE_KEYS & payload.keys():
        for s in walk(payload[key]):
            assert is_safe_text(s), (key, s)
