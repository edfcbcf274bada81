"""The HTTP(S) sensor against curl and raw sockets: Apache framing, error pages, and the
emulated traversal, command injection and upload trap agreeing with the fake shell."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from pathlib import Path

import pytest

from phantomnet.deception.shell import run_command
from phantomnet.detection.http_attacks import HttpAttacks, HttpAttacksConfig
from phantomnet.events import FileUpload, HttpRequest
from phantomnet.sensors.http.sensor import shop_logins
from tests.conftest import require_tool
from tests.integration.sensors.http.conftest import Web, run

pytestmark = pytest.mark.integration


def headers(raw: str) -> list[tuple[str, str]]:
    lines = raw.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")[1:]
    return [(k, v.strip()) for k, v in (line.split(":", 1) for line in lines if ":" in line)]


async def test_headers_are_apache_on_debian_and_stable(web: Web) -> None:
    require_tool("curl")
    first = await run("curl", "-sS", "-i", web.url + "/")
    second = await run("curl", "-sS", "-I", web.url + "/")
    names = [k for k, _ in headers(first.stdout)]
    assert names == ["Date", "Server", "Content-Length", "Vary", "Keep-Alive", "Connection",
                     "Content-Type"]  # fmt: skip
    assert dict(headers(first.stdout))["Server"] == "Apache/2.4.65 (Debian)"
    assert dict(headers(second.stdout))["Server"] == "Apache/2.4.65 (Debian)"
    assert first.stdout.startswith("HTTP/1.1 200 OK")
    assert "WordPress 6.4.3" in first.stdout and "/products.php?id=1" in first.stdout
    static = await run("curl", "-sS", "-i", web.url + "/robots.txt")
    static_names = [k for k, _ in headers(static.stdout)]
    assert static_names[:5] == ["Date", "Server", "Last-Modified", "ETag", "Accept-Ranges"]
    etag = dict(headers(static.stdout))["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag)
    twice = await run("curl", "-sS", "-v", "-o", "/dev/null", "-o", "/dev/null",
                      web.url + "/robots.txt", web.url + "/robots.txt")  # fmt: skip
    assert re.findall(r"Keep-Alive: (.*)\r?\n", twice.stderr) == [
        "timeout=5, max=100", "timeout=5, max=99"]  # fmt: skip
    closing = await run("curl", "-sS", "-i", "-H", "Connection: close", web.url + "/robots.txt")
    assert [k for k, _ in headers(closing.stdout)][-2:] == ["Connection", "Content-Type"]
    for probe in ("python", "werkzeug", "aiohttp", "h11", "honeypot", "uvicorn"):
        assert probe not in (first.stdout + static.stdout).lower()


async def test_error_pages_and_the_http1337_probe(web: Web) -> None:
    require_tool("curl")
    port = web.sensor.bound_port
    missing = await run("curl", "-sS", "-i", f"{web.url}/nope-31337")
    assert missing.stdout.startswith("HTTP/1.1 404 Not Found")
    assert (
        "<p>The requested URL was not found on this server.</p>\n<hr>\n"
        f"<address>Apache/2.4.65 (Debian) Server at 127.0.0.1 Port {port}</address>"
    ) in missing.stdout
    assert "charset=iso-8859-1" in missing.stdout
    hidden = await run("curl", "-sS", "-i", f"{web.url}/.htaccess")
    assert hidden.stdout.startswith("HTTP/1.1 403 Forbidden")
    assert "You don't have permission to access this resource." in hidden.stdout
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1337\r\nHost: x\r\n\r\n")
    await writer.drain()
    answer = (await asyncio.wait_for(reader.read(), 60)).decode()
    writer.close()
    assert answer.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Server: Apache/2.4.65 (Debian)\r\n" in answer and "Connection: close\r\n" in answer
    assert "Your browser sent a request that this server could not understand." in answer
    assert "Bad status line" not in answer
    recorded = [r for r in await web.events(HttpRequest, 3) if r.status == 400]
    assert [(r.method, r.path, r.tags) for r in recorded] == [("GET", "/", ("malformed", "probe"))]


async def test_traversal_shows_the_same_passwd_as_the_fake_shell(web: Web) -> None:
    require_tool("curl")
    shell = await run_command("cat /etc/passwd", web.host, "127.0.0.1", user="root")
    raw = await run("curl", "-sS", "--path-as-is", f"{web.url}/../../../../etc/passwd")
    included = await run(
        "curl", "-sS", f"{web.url}/index.php?page=....//....//....//....//etc/passwd"
    )
    download = await run("curl", "-sS", f"{web.url}/download.php?file=/etc/passwd")
    assert shell.stdout.startswith(b"root:x:0:0:root:/root:/bin/bash\n")
    assert raw.stdout.encode() == shell.stdout
    assert included.stdout.encode() == shell.stdout
    assert download.stdout.encode() == shell.stdout
    source = await run(
        "curl", "-sS",
        f"{web.url}/index.php?page=php://filter/convert.base64-encode/resource=products.php",
    )  # fmt: skip
    import base64

    assert b"mysqli_query" in base64.b64decode(source.stdout)
    requests = await web.events(HttpRequest, 4)
    assert sum("traversal" in r.tags for r in requests) >= 4


async def test_command_injection_answers_like_the_fake_shell(web: Web) -> None:
    require_tool("curl")
    out = await run("curl", "-sS", f"{web.url}/ping.php?ip=127.0.0.1;id;cat%20/etc/hostname")
    pre = html.unescape(out.stdout.split("<pre>", 1)[1].split("</pre>", 1)[0])
    shell = await run_command("id; cat /etc/hostname", web.host, "127.0.0.1", user="www-data")
    assert pre.endswith(shell.output.decode())
    assert "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n" in pre
    assert pre.rstrip().endswith(web.host.persona.hostname)
    assert pre.startswith("PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.")
    assert re.search(r"icmp_seq=1 ttl=64 time=0\.\d{3} ms", pre)  # loopback, iputils format
    benign = await run("curl", "-sS", f"{web.url}/ping.php?ip=10.0.0.1")
    assert "uid=" not in benign.stdout
    requests = await web.events(HttpRequest, 2)
    assert [("cmd_injection" in r.tags) for r in requests] == [True, False]
    detector = HttpAttacks(HttpAttacksConfig(use_classifier=False), node="test")
    found = [d for r in requests for d in detector.observe(r)]
    assert [(d.rule, d.evidence) for d in found] == [
        ("http_cmd_injection", (f"event:{requests[0].event_id}",))
    ]


async def test_upload_trap_stores_serves_and_shows_in_the_fake_fs(web: Web, tmp_path: Path) -> None:
    require_tool("curl")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"drop table users;\n" * 10)
    shell_php = tmp_path / "cmd.php"
    shell_php.write_bytes(b"<?php system($_GET['cmd']); ?>\n")
    for item in (notes, shell_php):
        sent = await run("curl", "-sS", "-F", f"file=@{item}", f"{web.url}/upload.php")
        assert f"Uploaded: uploads/{item.name}" in sent.stdout
    served = await run("curl", "-sS", f"{web.url}/uploads/notes.txt")
    assert served.stdout.encode() == notes.read_bytes()
    digest = hashlib.sha256(notes.read_bytes()).hexdigest()
    listed = await run_command(
        "sha256sum /var/www/html/uploads/notes.txt", web.host, "127.0.0.1", user="root"
    )
    assert listed.stdout.split()[0].decode() == digest
    ran = await run("curl", "-sS", f"{web.url}/uploads/cmd.php?cmd=whoami")
    assert ran.stdout == "www-data\n"
    other = await run_command("ls /var/www/html/uploads", web.host, "192.0.2.9", user="root")
    assert b"notes.txt" not in other.stdout  # another attacker's view is untouched
    uploads = await web.events(FileUpload, 2)
    assert {(u.sha256, u.size, u.protocol) for u in uploads} >= {(digest, 180, "http")}
    assert (web.host.root / uploads[0].stored_as).exists()


async def test_https_certificate_is_the_persona_and_requests_are_recorded(web: Web) -> None:
    require_tool("curl")
    out = await run("curl", "-sSkv", f"{web.tls_url}/wp-login.php")
    assert f"subject: CN={web.host.persona.fqdn}" in out.stderr
    assert 'name="loginform"' in out.stdout
    request = next(r for r in await web.events(HttpRequest) if r.path == "/wp-login.php")
    assert request.tls and request.status == 200
    assert request.user_agent and request.user_agent.startswith("curl/")
    # JA3/JA4 of the door's client come from the shared analyzers (always present)
    assert request.ja3 and request.ja4 and request.ja4.startswith("t13")


async def test_wordpress_user_enumeration_lists_the_login_decoy_users(web: Web) -> None:
    require_tool("curl")
    import json

    out = await run("curl", "-sS", "-i", f"{web.url}/wp-json/wp/v2/users")
    head, body = out.stdout.split("\n\n", 1)
    assert "Content-Type: application/json; charset=UTF-8" in head and "X-WP-Total: " in head
    names = [u["name"] for u in json.loads(body)]
    tokens = shop_logins(web.host)  # the shop.users logins (sql_password honeytokens)
    assert len(tokens) == 5
    assert names[0] == "admin" and set(tokens) <= set(names) and len(names) == len(set(names))
