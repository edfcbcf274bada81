"""The decoy site's handlers and the route table.

Every handler is ``async (site, request) -> Response``; vulnerabilities are emulated against
the fake host (its filesystem, shell and database) and never touch the real machine.
"""

from __future__ import annotations

import base64
import html
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.node import vnorm
from phantomnet.deception.shell import run_command
from phantomnet.events import AuthAttempt, FileUpload, HoneytokenTriggered, attacker_text
from phantomnet.sensors.http import apache, pages
from phantomnet.sensors.http.apache import Response
from phantomnet.sensors.http.request import Request, Site

Handler = Callable[[Site, Request], Awaitable[Response]]
DOCROOT = "/var/www/html"
SHELL_META = re.compile(r"[;&|`\n]|\$\(")
TRAVERSAL = re.compile(r"(\.\./|\.\.\\|%2e%2e|/etc/|php://|file://|\x00)", re.I)


def _cookie(req: Request) -> str:
    return apache.session_id(f"{req.client_ip}|{time.time() // 3600}")


async def index(site: Site, req: Request) -> Response:
    if "page" in req.params:
        return await include(site, req, req.params["page"])
    rows = site.db.product("id").rows
    return apache.php(pages.index(site.company, rows))


async def product(site: Site, req: Request) -> Response:
    raw = req.params.get("id", "1")
    outcome = site.db.product(raw)
    error = outcome.error.message if outcome.error else None
    resp = apache.php(pages.product(site.company, outcome.rows, error))
    resp.delay_s = outcome.delay_s
    resp.tags = () if raw.strip().isdigit() else ("sqli",)
    return resp


async def include(site: Site, req: Request, value: str) -> Response:
    """``index.php?page=`` includes a file: traversal shows the fake host's files."""
    tags = ("traversal",) if TRAVERSAL.search(value) else ()
    encode = value.lower().startswith("php://filter") and "base64" in value.lower()
    target = value.split("resource=", 1)[1] if "resource=" in value else value
    target = target.split("\x00", 1)[0]
    path = vnorm(target, DOCROOT)
    try:
        data = site.host.fs(req.client_ip).read(path)
    except FsError:
        warn = (f"<br />\n<b>Warning</b>:  include({html.escape(target)}): Failed to open stream: "
                "No such file or directory in <b>/var/www/html/index.php</b> on line <b>12</b>"
                "<br />\n")  # fmt: skip
        resp = apache.php(pages.index(site.company, []).replace("<main>", "<main>" + warn))
        resp.tags = tags
        return resp
    body = base64.b64encode(data) if encode else data
    resp = apache.php(body)
    resp.tags = tags
    return resp


async def download(site: Site, req: Request) -> Response:
    return await include(site, req, req.params.get("file", "brochure.pdf"))


async def ping(site: Site, req: Request) -> Response:
    """``shell_exec("ping -c 4 " . $_GET['ip'])`` run by the fake shell as www-data."""
    ip = req.params.get("ip", "127.0.0.1")
    result = await run_command(
        f"ping -c 4 {ip}", site.host, req.client_ip, user="www-data", cwd=DOCROOT
    )
    resp = apache.php(pages.ping(result.output.decode("utf-8", "replace")))
    resp.tags = ("cmd_injection",) if SHELL_META.search(ip) else ()
    return resp


async def upload(site: Site, req: Request) -> Response:
    if req.method != "POST" or not req.files:
        return apache.php(pages.upload_form())
    fs, names = site.host.fs(req.client_ip), []
    for item in req.files:
        data = item.data[: site.max_upload_bytes]
        sha = site.host.store_upload(data)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", item.filename.rsplit("/", 1)[-1])[:100] or "file"
        try:
            fs.add_blob(f"{DOCROOT}/uploads/{name}", sha, len(data), uid=33, gid=33)
        except FsError:
            fs.mkdir(f"{DOCROOT}/uploads", parents=True, uid=33, gid=33)
            fs.add_blob(f"{DOCROOT}/uploads/{name}", sha, len(data), uid=33, gid=33)
        await req.session.emit(
            FileUpload, protocol="https" if req.tls else "http",
            filename=attacker_text(item.filename, 512), sha256=sha, size=len(data),
            truncated=len(item.data) > len(data), stored_as=site.host.upload_path(sha),
        )  # fmt: skip
        names.append(name)
    resp = apache.php(pages.upload_form("Uploaded: " + ", ".join(f"uploads/{n}" for n in names)))
    resp.tags = ("upload",)
    return resp


async def uploaded(site: Site, req: Request) -> Response:
    """Files under /uploads/ come from the attacker's fake filesystem; PHP is never run."""
    path = vnorm(req.decoded_path, "/").removeprefix("/uploads/")
    try:
        data = site.host.fs(req.client_ip).read(f"{DOCROOT}/uploads/{path}")
    except FsError:
        return not_found(site, req)
    if path.endswith((".php", ".phtml", ".php5")):
        return apache.php(b"")
    return apache.static(data, time.time(), "application/octet-stream")


async def _login(site: Site, req: Request, user: str, password: str, kind: str) -> bool:
    """Record a web login; only honeytoken credentials ever succeed."""
    token = site.host.tokens.match_credential(user, password)
    proto = "https" if req.tls else "http"
    await req.session.emit(AuthAttempt, protocol=proto, method="form",
                           username=attacker_text(user, 256), password=attacker_text(password, 256),
                           accepted=token is not None, client_version=attacker_text(
                               req.header("user-agent") or "", 256))  # fmt: skip
    if token is not None:
        await req.session.emit(
            HoneytokenTriggered,
            token_id=token.token_id,
            token_kind=token.kind,
            protocol=proto,
            detail=attacker_text(f"{kind} login as {user}"),
        )
    return token is not None


async def wp_login(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php(pages.wp_login(site.company), session_cookie=None)
    user, pw = req.form.get("log", ""), req.form.get("pwd", "")
    resp: Response
    if await _login(site, req, user, pw, "wordpress"):
        resp = apache.php(b"", 302, [("Location", "/wp-admin/")])
    elif user in site.wp_users:
        resp = apache.php(pages.wp_login(site.company, pages.wp_wrong_password(user), user))
    else:
        resp = apache.php(pages.wp_login(site.company, pages.wp_unknown_user(user), user))
    resp.tags = ("login",)
    return resp


async def wp_admin(site: Site, req: Request) -> Response:
    return apache.php(b"", 302, [("Location", "/wp-login.php?redirect_to=%2Fwp-admin%2F&reauth=1")])


async def xmlrpc(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php("XML-RPC server accepts POST requests only.", 405)
    try:
        root = ET.fromstring(req.body[:200_000])
    except ET.ParseError:
        return _xml_fault(-32700, "parse error. not well formed")
    strings = [e.text or "" for e in root.iter("string")]
    for user, pw in zip(strings[0::2], strings[1::2], strict=False):
        await _login(site, req, user, pw, "xmlrpc")
    resp = _xml_fault(403, "Incorrect username or password.")
    resp.tags = ("login",) if strings else ()
    return resp


def _xml_fault(code: int, text: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n  <fault>\n    <value>\n'
        "      <struct>\n        <member>\n          <name>faultCode</name>\n"
        f"          <value><int>{code}</int></value>\n        </member>\n        <member>\n"
        "          <name>faultString</name>\n"
        f"          <value><string>{html.escape(text)}</string></value>\n        </member>\n"
        "      </struct>\n    </value>\n  </fault>\n</methodResponse>\n"
    )
    return Response(200, body.encode(), "text/xml; charset=UTF-8", vary=True)


async def phpmyadmin(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php(pages.phpmyadmin(), session_cookie=_cookie(req))
    user, pw = req.form.get("pma_username", ""), req.form.get("pma_password", "")
    ok = await _login(site, req, user, pw, "phpmyadmin")
    error = None if ok else (
        f"mysqli::real_connect(): (HY000/1045): Access denied for user '{user}'@'localhost' "
        "(using password: YES)"
    )  # fmt: skip
    resp = apache.php(pages.phpmyadmin(error), session_cookie=_cookie(req))
    resp.tags = ("login",)
    return resp


async def admin(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php(pages.admin_login(), session_cookie=_cookie(req))
    user, pw = req.form.get("username", ""), req.form.get("password", "")
    await _login(site, req, user, pw, "admin")
    resp = apache.php(
        pages.admin_login("Invalid username or password."), session_cookie=_cookie(req)
    )
    resp.tags = ("login",)
    return resp


async def dotenv(site: Site, req: Request) -> Response:
    db = site.host.tokens.by_kind("db_password")
    aws = site.host.tokens.by_kind("aws_key")
    lines = ["APP_NAME=Laravel", "APP_ENV=production", "APP_DEBUG=false",
             f"APP_URL=https://{site.hostname}", "DB_CONNECTION=mysql", "DB_HOST=127.0.0.1",
             "DB_PORT=3306", "DB_DATABASE=shop"]  # fmt: skip
    if db:
        lines += [f"DB_USERNAME={db[0].username}", f"DB_PASSWORD={db[0].secret}"]
    if aws:
        lines += [f"AWS_ACCESS_KEY_ID={aws[0].username}", f"AWS_SECRET_ACCESS_KEY={aws[0].secret}",
                  "AWS_DEFAULT_REGION=eu-central-1"]  # fmt: skip
    resp = apache.static(
        ("\n".join(lines) + "\n").encode(),
        site.host.persona.boot_time,
        "application/octet-stream",
    )
    resp.tags = ("secrets",)
    return resp


async def git_config(site: Site, req: Request) -> Response:
    body = (
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
        '\tlogallrefupdates = true\n[remote "origin"]\n'
        f"\turl = git@git.{site.hostname.split('.', 1)[-1]}:web/site.git\n"
        "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
        '[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n'
    )
    resp = apache.static(body.encode(), site.host.persona.boot_time, "text/plain")
    resp.tags = ("secrets",)
    return resp


async def server_status(site: Site, req: Request) -> Response:
    up = int(site.host.persona.uptime_s())
    days, rest = divmod(up, 86400)
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head>\n'
        "<title>Apache Status</title>\n</head><body>\n"
        f"<h1>Apache Server Status for {html.escape(req.host_name or site.hostname)} "
        f"(via {req.session.dst.ip if req.session.dst else '127.0.0.1'})</h1>\n\n"
        f"<dl><dt>Server Version: {site.server} OpenSSL/3.0.19</dt>\n"
        "<dt>Server MPM: prefork</dt>\n</dl><hr /><dl>\n"
        f"<dt>Server uptime:  {days} days {rest // 3600} hours {rest % 3600 // 60} minutes</dt>\n"
        f"<dt>Total accesses: {site.counters.get('requests', 0) + 18211}</dt>\n"
        "<dt>1 requests currently being processed, 7 idle workers</dt>\n</dl>\n"
        "</body></html>\n"
    )
    return apache.php(body)


async def robots(site: Site, req: Request) -> Response:
    body = b"User-agent: *\nDisallow: /wp-admin/\nDisallow: /admin/\nDisallow: /backup/\n"
    return apache.static(body, site.host.persona.boot_time, "text/plain")


async def theme_css(site: Site, req: Request) -> Response:
    body = b"body{font-family:sans-serif;margin:0 auto;max-width:60rem}\n"
    return apache.static(body, site.host.persona.boot_time, "text/css")


async def forbidden(site: Site, req: Request) -> Response:
    return apache.error_page(
        403, server=site.server, host=req.host_name or site.hostname, port=req.port
    )


def not_found(site: Site, req: Request) -> Response:
    return apache.error_page(
        404, server=site.server, host=req.host_name or site.hostname, port=req.port
    )


async def fallback(site: Site, req: Request) -> Response:
    """Raw path traversal (``--path-as-is``) reaches the fake root; the rest is a 404."""
    raw = req.decoded_path
    if "/../" in raw + "/" or raw.startswith(("/..", "/%2e")):
        try:
            data = site.host.fs(req.client_ip).read(vnorm(raw, DOCROOT))
        except FsError:
            resp = not_found(site, req)
        else:
            resp = apache.static(data, time.time(), "text/plain")
        resp.tags = ("traversal",)
        return resp
    return not_found(site, req)


ROUTES: dict[str, Handler] = {
    "/": index, "/index.php": index, "/products.php": product, "/download.php": download,
    "/ping.php": ping, "/upload.php": upload, "/wp-login.php": wp_login, "/wp-admin/": wp_admin,
    "/wp-admin": wp_admin, "/xmlrpc.php": xmlrpc, "/phpmyadmin/": phpmyadmin,
    "/phpmyadmin/index.php": phpmyadmin, "/phpMyAdmin/": phpmyadmin, "/pma/": phpmyadmin,
    "/admin/": admin, "/admin/login.php": admin, "/.env": dotenv, "/.git/config": git_config,
    "/server-status": server_status, "/robots.txt": robots, "/.htaccess": forbidden,
    "/.htpasswd": forbidden, "/wp-content/themes/twentytwentyone/style.css": theme_css,
}  # fmt: skip
PREFIXES: tuple[tuple[str, Handler], ...] = (("/uploads/", uploaded),)


def route(path: str) -> Handler:
    handler = ROUTES.get(path)
    if handler is not None:
        return handler
    for prefix, candidate in PREFIXES:
        if path.startswith(prefix):
            return candidate
    return fallback
