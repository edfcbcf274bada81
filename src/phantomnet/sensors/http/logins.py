"""Login decoys: WordPress (form; xmlrpc is in :mod:`xmlapi`), phpMyAdmin, a generic admin panel.

Every attempt becomes an ``auth.attempt`` (protocol http/https); only honeytoken credentials
succeed (and raise ``honeytoken.triggered``), so a brute force never gets in by luck.
"""

from __future__ import annotations

import html
import json
import time

from phantomnet.events import AuthAttempt, HoneytokenTriggered, attacker_text
from phantomnet.sensors.http import apache, pages
from phantomnet.sensors.http.apache import Response
from phantomnet.sensors.http.request import Request, Site


def _cookie(req: Request) -> str:
    return apache.session_id(f"{req.client_ip}|{time.time() // 3600}")


async def login(site: Site, req: Request, user: str, password: str, kind: str) -> bool:
    """Record a web login; only honeytoken credentials ever succeed."""
    token = site.host.tokens.match_credential(user, password)
    proto = "https" if req.tls else "http"
    await req.session.emit(AuthAttempt, protocol=proto, method="form",
                           username=attacker_text(user, 256), password=attacker_text(password, 256),
                           accepted=token is not None, client_version=attacker_text(
                               req.header("user-agent") or "", 256))  # fmt: skip
    if token is not None:
        await req.session.emit(
            HoneytokenTriggered, token_id=token.token_id, token_kind=token.kind, protocol=proto,
            detail=attacker_text(f"{kind} login as {user}"),
        )  # fmt: skip
    return token is not None


async def wp_login(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php(pages.wp_login(site.company), session_cookie=None)
    user, pw = req.form.get("log", ""), req.form.get("pwd", "")
    resp: Response
    if await login(site, req, user, pw, "wordpress"):
        resp = apache.php(b"", 302, [("Location", "/wp-admin/")])
    elif user in site.wp_users:
        resp = apache.php(pages.wp_login(site.company, pages.wp_wrong_password(user), user))
    else:
        resp = apache.php(pages.wp_login(site.company, pages.wp_unknown_user(user), user))
    resp.tags = ("login",)
    return resp


async def wp_admin(site: Site, req: Request) -> Response:
    return apache.php(b"", 302, [("Location", "/wp-login.php?redirect_to=%2Fwp-admin%2F&reauth=1")])


async def wp_users(site: Site, req: Request) -> Response:
    """The REST user list WordPress exposes by default (what WPScan enumerates first): the
    names it gives are the ones the login decoys know, planted users included."""
    base = f"https://{site.hostname}"
    users = [{"id": i, "name": name, "url": "", "description": "", "slug": name.replace(".", "-"),
              "link": f"{base}/author/{name.replace('.', '-')}/", "meta": []}
             for i, name in enumerate(site.wp_users, 1)]  # fmt: skip
    body = json.dumps(users, separators=(",", ":")).encode()
    headers = [("X-WP-Total", str(len(users))), ("X-WP-TotalPages", "1"),
               ("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"')]  # fmt: skip
    resp = Response(200, body, "application/json; charset=UTF-8", headers)
    resp.tags = ("recon",)
    return resp


def xml_fault(code: int, text: str) -> Response:
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
    ok = await login(site, req, user, pw, "phpmyadmin")
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
    await login(site, req, user, pw, "admin")
    resp = apache.php(
        pages.admin_login("Invalid username or password."), session_cookie=_cookie(req)
    )
    resp.tags = ("login",)
    return resp
