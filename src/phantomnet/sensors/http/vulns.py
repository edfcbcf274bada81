"""The emulated vulnerabilities: SQL injection, file inclusion/traversal, command injection,
the upload trap and uploaded web shells.

All of them act on the fake host only: the SQL runs in the fake host's SQL engine (the
attacker source's own copy of the company databases, :mod:`shopdb`), files come
from the attacker's copy-on-write view of the fake filesystem, commands go to the fake shell
as www-data. Nothing is ever executed, read or written on the real machine.
"""

from __future__ import annotations

import base64
import html
import re

from phantomnet.analyzers.web import include_traversal, shell_metachar
from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.node import vnorm
from phantomnet.deception.shell import run_command
from phantomnet.events import FileUpload, attacker_text
from phantomnet.sensors.http import apache, pages
from phantomnet.sensors.http.apache import Response
from phantomnet.sensors.http.request import Request, Site
from phantomnet.sensors.http.shopdb import MAX_DELAY_S, REGISTER_FIELDS
from phantomnet.sensors.http.webroot import DOCROOT, WWW_UID

WEBSHELL = re.compile(
    rb"(?:system|shell_exec|passthru|exec|popen)\s*\(\s*\$_(?:GET|POST|REQUEST)\s*\[\s*"
    rb"['\"]([A-Za-z0-9_]{1,32})['\"]"
)


async def index(site: Site, req: Request) -> Response:
    if "page" in req.params:
        return await include(site, req, req.params["page"])
    rows = site.db.product(req.client_ip, "id").rows
    return apache.php(pages.index(site.company, rows))


async def product(site: Site, req: Request) -> Response:
    """``products.php?id=``: the id is spliced into the SQL, as the page's source shows."""
    raw = req.params.get("id", "1")
    answer = site.db.product(req.client_ip, raw)
    error = answer.error.message if answer.error else None
    resp = apache.php(pages.product(site.company, answer.rows, error))
    resp.delay_s = min(answer.delay_s, MAX_DELAY_S)
    resp.tags = () if raw.strip().isdigit() else ("sqli",)
    return resp


async def register(site: Site, req: Request) -> Response:
    """``register.php``: the customer sign-up form, its fields spliced into an ``INSERT``
    (quoted, never escaped): the shop's one page that writes to the database."""
    if req.method != "POST":
        return apache.php(pages.register(site.company))
    form = {k: v for k, v in req.form.items() if k in REGISTER_FIELDS}
    answer = site.db.register(req.client_ip, form)
    if answer.error is not None:
        resp = apache.php(pages.register(site.company, error=answer.error.message))
    else:
        name = form.get("first_name", "")
        resp = apache.php(pages.register(site.company, welcome=(name, answer.last_insert_id)))
    resp.delay_s = min(answer.delay_s, MAX_DELAY_S)
    resp.tags = ("sqli",) if any(c in v for v in form.values() for c in "'\\") else ()
    return resp


def _candidates(value: str) -> list[str]:
    """``include($page)``, then the page's naive ``str_replace('../', '', $page)``."""
    target = value.split("resource=", 1)[1] if "resource=" in value else value
    target = target.split("\x00", 1)[0].removeprefix("file://")
    paths = [vnorm(target, DOCROOT)]
    filtered = target.replace("../", "")
    if filtered != target:
        paths.append(vnorm(filtered, DOCROOT))
    return paths


async def include(site: Site, req: Request, value: str) -> Response:
    """``index.php?page=`` includes a file: traversal shows the fake host's files."""
    tags = ("traversal",) if include_traversal(value) else ()
    encode = value.lower().startswith("php://filter") and "base64" in value.lower()
    fs = site.host.fs(req.client_ip)
    for path in _candidates(value):
        try:
            data = fs.read(path)
        except FsError:
            continue
        resp = apache.php(base64.b64encode(data) if encode else data)
        resp.tags = tags
        return resp
    shown = html.escape(value.split("\x00", 1)[0])
    warn = (f"<br />\n<b>Warning</b>:  include({shown}): Failed to open stream: No such file or "
            "directory in <b>/var/www/html/index.php</b> on line <b>6</b><br />\n")  # fmt: skip
    resp = apache.php(pages.index(site.company, []).replace("<main>", "<main>" + warn))
    resp.tags = tags
    return resp


async def download(site: Site, req: Request) -> Response:
    return await include(site, req, req.params.get("file", "contact.html"))


async def ping(site: Site, req: Request) -> Response:
    """``shell_exec("ping -c 4 " . $_GET['ip'])`` run by the fake shell as www-data."""
    ip = req.params.get("ip", "127.0.0.1")
    result = await run_command(
        f"ping -c 4 {ip}", site.host, req.client_ip, user="www-data", cwd=DOCROOT
    )
    resp = apache.php(pages.ping(result.output.decode("utf-8", "replace")))
    resp.tags = ("cmd_injection",) if shell_metachar(ip) else ()
    return resp


async def upload(site: Site, req: Request) -> Response:
    """The upload trap: bodies stored by SHA-256 (capped), placed in the attacker's
    ``/var/www/html/uploads/`` and announced as ``file.upload``."""
    if req.method != "POST" or not req.files:
        return apache.php(pages.upload_form())
    fs, names = site.host.fs(req.client_ip), []
    for item in req.files:
        data = item.data[: site.max_upload_bytes]
        verdict = site.host.accept_upload(req.client_ip, data)  # quota and disk, before writing
        sha = verdict.sha256
        name = re.sub(r"[^A-Za-z0-9._-]", "_", item.filename.rsplit("/", 1)[-1])[:100] or "file"
        if not fs.is_dir(f"{DOCROOT}/uploads"):
            fs.mkdir(f"{DOCROOT}/uploads", parents=True, uid=WWW_UID, gid=WWW_UID)
        refused = verdict.refused
        if refused is None:
            try:
                fs.add_blob(f"{DOCROOT}/uploads/{name}", sha, len(data), uid=WWW_UID, gid=WWW_UID)
            except FsError:
                refused = "quota"  # PHP's move_uploaded_file() fails silently too
        await req.session.emit(
            FileUpload, protocol="https" if req.tls else "http",
            filename=attacker_text(item.filename, 512), sha256=sha, size=len(data),
            truncated=len(item.data) > len(data) or refused is not None,
            stored_as=site.host.upload_path(sha) if refused is None else None, refused=refused,
        )  # fmt: skip
        if refused is None:
            names.append(name)
    resp = apache.php(pages.upload_form("Uploaded: " + ", ".join(f"uploads/{n}" for n in names)))
    resp.tags = ("upload",)
    return resp


async def php_file(site: Site, req: Request, source: bytes) -> Response:
    """A ``.php`` file the attacker placed in the web root: a classic one-line web shell
    (``system($_GET['cmd'])``...) answers through the fake shell; anything else prints
    nothing, as a script without output would."""
    match = WEBSHELL.search(source[:100_000])
    if match is None:
        return apache.php(b"")
    param = match.group(1).decode()
    line = req.params.get(param) or req.form.get(param)
    if not line:
        return apache.php(b"")
    result = await run_command(line, site.host, req.client_ip, user="www-data", cwd=DOCROOT)
    resp = apache.php(result.stdout)
    resp.tags = ("cmd_injection", "webshell")
    return resp
