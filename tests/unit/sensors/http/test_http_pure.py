"""Pure parts of the HTTP sensor: Apache framing, request parsing, routing, content types."""

from __future__ import annotations

from phantomnet.analyzers import web
from phantomnet.events import Endpoint
from phantomnet.sensors.http import apache, logins, routes, vulns
from phantomnet.sensors.http.request import Request, parse_multipart
from phantomnet.sensors.http.sensor import company_name


class _Session:
    src = Endpoint(ip="198.51.100.4", port=5555)
    dst = Endpoint(ip="10.0.0.1", port=8080)


def make(target: str, body: bytes = b"", ctype: str | None = None) -> Request:
    headers = [("Host", "shop.example.net:8080"), ("User-Agent", "x")]
    if ctype:
        headers.append(("Content-Type", ctype))
    return Request(method="POST" if body else "GET", target=target, version="1.1",
                   headers=headers, body=body, session=_Session(), port=8080, tls=False)  # type: ignore[arg-type]  # fmt: skip


def test_apache_frames_headers_in_httpd_order() -> None:
    page = apache.php(b"<p>x</p>", session_cookie="abc")
    names = [k for k, _ in apache.frame(page, server="Apache/2.4.65 (Debian)", keep_alive=True)]
    assert names == ["Date", "Server", "Set-Cookie", "Expires", "Cache-Control", "Pragma",
                     "Content-Length", "Vary", "Keep-Alive", "Connection", "Content-Type"]  # fmt: skip
    closing = apache.frame(apache.error_page(404, server="S", host="h", port=80), server="S",
                           keep_alive=False)  # fmt: skip
    assert [k for k, _ in closing][-2:] == ["Connection", "Content-Type"]
    assert "Vary" not in dict(closing)


def test_error_page_matches_httpd_template() -> None:
    page = apache.error_page(405, server="Apache/2.4.65 (Debian)", host="h<x>", port=80,
                             method="PUT")  # fmt: skip
    body = page.body.decode()
    assert body.startswith('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n')
    assert "<p>The requested method PUT is not allowed for this URL.</p>" in body
    assert "<address>Apache/2.4.65 (Debian) Server at h&lt;x&gt; Port 80</address>" in body
    assert ("Allow", "GET,POST,OPTIONS,HEAD") in page.headers


def test_request_parsing_keeps_raw_target_and_forms() -> None:
    req = make("/products.php?id=1%27%20OR%201=1&x=")
    assert (req.path, req.params) == ("/products.php", {"id": "1' OR 1=1", "x": ""})
    assert req.host_name == "shop.example.net" and req.client_ip == "198.51.100.4"
    form = make("/wp-login.php", b"log=admin&pwd=p%40ss", "application/x-www-form-urlencoded")
    assert form.form == {"log": "admin", "pwd": "p@ss"}
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="../../x.php"\r\n'
            b"Content-Type: application/x-php\r\n\r\n<?php ?>\r\n--B\r\n"
            b'Content-Disposition: form-data; name="note"\r\n\r\nhi\r\n--B--\r\n')  # fmt: skip
    fields, files = parse_multipart("multipart/form-data; boundary=B", body)
    assert fields == {"note": "hi"}
    assert [(f.field, f.filename, f.data) for f in files] == [("file", "../../x.php", b"<?php ?>")]
    assert parse_multipart("multipart/form-data; boundary=B", b"garbage") == ({}, [])


def test_routes_and_content_types() -> None:
    assert routes.route("/products.php") is vulns.product
    assert routes.route("/wp-login.php") is logins.wp_login
    assert routes.route("/anything/else.txt") is routes.static
    assert routes._content_type("/var/www/html/robots.txt") == "text/plain"
    assert routes._content_type("/var/www/html/.env") == "application/octet-stream"
    assert routes._content_type("/x/a.tar.gz") == "application/x-tar"


def test_injection_markers() -> None:
    assert web.shell_metachar("127.0.0.1;id") and web.shell_metachar("$(id)")
    assert not web.shell_metachar("10.0.0.1")
    assert vulns.WEBSHELL.search(b"<?php system($_GET['cmd']); ?>").group(1) == b"cmd"  # type: ignore[union-attr]
    assert vulns.WEBSHELL.search(b"<?php echo 'hello'; ?>") is None


def test_company_name_depends_on_the_install_seed() -> None:
    names = {company_name(seed) for seed in range(40)}
    assert len(names) > 10 and company_name(5) == company_name(5)
