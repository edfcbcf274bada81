"""The decoy site's route table, static files from the fake web root, and error pages.

Every handler is ``async (site, request) -> Response``. Dynamic pages (the vulnerable PHP
scripts and login decoys) are in :mod:`vulns` and :mod:`logins`; everything else is served
from the attacker's view of ``/var/www/html`` on the fake host, like Apache serving files.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Awaitable, Callable

from phantomnet.analyzers.web import dot_segment
from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.node import vnorm
from phantomnet.sensors.http import apache, logins, vulns, xmlapi
from phantomnet.sensors.http.apache import Response
from phantomnet.sensors.http.request import Request, Site
from phantomnet.sensors.http.webroot import DOCROOT

Handler = Callable[[Site, Request], Awaitable[Response]]
TYPES = {".php": "text/html; charset=UTF-8", ".txt": "text/plain", ".css": "text/css",
         ".html": "text/html", ".js": "application/javascript", ".env": "application/octet-stream",
         "": "text/plain"}  # fmt: skip
PHP_EXT = (".php", ".phtml", ".php5", ".php7", ".phar")


def error(site: Site, req: Request, status: int) -> Response:
    host = req.host_name or site.hostname
    return apache.error_page(status, server=site.server, host=host, port=req.port,
                             method=req.method)  # fmt: skip


async def forbidden(site: Site, req: Request) -> Response:
    return error(site, req, 403)


async def server_status(site: Site, req: Request) -> Response:
    up = int(site.host.persona.uptime_s())
    days, rest = divmod(up, 86400)
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html><head>\n'
        "<title>Apache Status</title>\n</head><body>\n"
        f"<h1>Apache Server Status for {html.escape(req.host_name or site.hostname)} "
        f"(via {req.session.dst.ip if req.session.dst else '127.0.0.1'})</h1>\n\n"
        f"<dl><dt>Server Version: {site.server} OpenSSL/3.0.17</dt>\n"
        "<dt>Server MPM: prefork</dt>\n</dl><hr /><dl>\n"
        f"<dt>Server uptime:  {days} days {rest // 3600} hours {rest % 3600 // 60} minutes</dt>\n"
        f"<dt>Total accesses: {site.counters.get('requests', 0) + 18211}</dt>\n"
        "<dt>1 requests currently being processed, 7 idle workers</dt>\n</dl>\n"
        "</body></html>\n"
    )
    resp = apache.php(body)
    resp.tags = ("recon",)
    return resp


def _content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ext = "." + name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else ""
    if name.startswith(".") and "." not in name[1:]:
        ext = name  # .env, .htaccess: no extension for Apache
    return TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


async def static(site: Site, req: Request) -> Response:
    """A file from the attacker's view of the web root (or, through a raw ``/../``, of the
    whole fake host: the traversal Apache 2.4.49 was famous for)."""
    raw = req.decoded_path
    traversal = dot_segment(raw)
    path = vnorm(raw.lstrip("/"), DOCROOT)
    name = path.rsplit("/", 1)[-1]
    if name.startswith(".ht") and not traversal:
        return error(site, req, 403)  # Debian's apache2.conf: <FilesMatch "^\.ht">
    fs = site.host.fs(req.client_ip)
    try:
        node = fs.stat(path)
        data = b"" if node.is_dir else fs.read(path)
    except FsError:
        resp = error(site, req, 404)
    else:
        if node.is_dir:
            resp = error(site, req, 403)
        elif path.endswith(PHP_EXT) and path.startswith(DOCROOT + "/") and not traversal:
            resp = await vulns.php_file(site, req, data)
        else:
            resp = apache.static(data, node.mtime, _content_type(path))
    if traversal:
        resp.tags = (*resp.tags, "traversal")
    elif name in (".env", "config") and resp.status == 200:
        resp.tags = (*resp.tags, "secrets")
    return resp


ROUTES: dict[str, Handler] = {
    "/": vulns.index, "/index.php": vulns.index, "/products.php": vulns.product,
    "/register.php": vulns.register,
    "/download.php": vulns.download, "/ping.php": vulns.ping, "/upload.php": vulns.upload,
    "/wp-login.php": logins.wp_login, "/wp-admin/": logins.wp_admin, "/wp-admin": logins.wp_admin,
    "/xmlrpc.php": xmlapi.xmlrpc, "/api/soap": xmlapi.soap, "/phpmyadmin/": logins.phpmyadmin,
    "/phpmyadmin/index.php": logins.phpmyadmin, "/phpMyAdmin/": logins.phpmyadmin,
    "/pma/": logins.phpmyadmin, "/admin/": logins.admin, "/admin/login.php": logins.admin,
    "/server-status": server_status, "/.htpasswd": forbidden,
    "/wp-json/wp/v2/users": logins.wp_users, "/wp-json/wp/v2/users/": logins.wp_users,
}  # fmt: skip


def route(path: str) -> Handler:
    """The handler for ``path`` (exact match), else the static file server."""
    return ROUTES.get(path, static)
