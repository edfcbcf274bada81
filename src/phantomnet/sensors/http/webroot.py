"""The web root of the fake host: what ``/var/www/html`` holds, for every door.

The HTTP sensor plants its site into the shared base image at start, so the SSH shell, FTP
and the web show the same files: the vulnerable PHP pages (their source explains what the
emulation does), the leaked ``.env`` and ``.git/config`` (honeytoken secrets), ``robots.txt``,
and a ``uploads/`` folder owned by www-data. Static requests are served from the attacker's
copy-on-write view, so a file put there over FTP or SSH is served over HTTP too.
"""

from __future__ import annotations

from phantomnet.deception.fakefs.node import Node
from phantomnet.deception.host import FakeHost

DOCROOT = "/var/www/html"
WWW_UID = 33

PHP_SOURCES = {
    "index.php": (
        "<?php\n// old include router, kept for the legacy contact pages\n"
        "if (isset($_GET['page'])) {\n    $page = $_GET['page'];\n"
        "    if (!file_exists($page)) $page = str_replace('../', '', $page);\n"
        "    include($page);\n    exit;\n}\ndefine( 'WP_USE_THEMES', true );\n"
        "require __DIR__ . '/wp-blog-header.php';\n"
    ),
    "products.php": (
        "<?php\nrequire 'inc/db.php';\n$id = $_GET['id'] ?? 1;\n"
        '$res = mysqli_query($db, "SELECT id, name, price, stock FROM products WHERE '
        'id = $id")\n    or die("<b>Error</b>: " . mysqli_error($db) . "<br />");\n'
        "while ($row = mysqli_fetch_row($res)) { render_product($row); }\n"
    ),
    "register.php": (
        "<?php\nrequire 'inc/db.php';\nif ($_SERVER['REQUEST_METHOD'] === 'POST') {\n"
        "    extract($_POST);\n"
        '    mysqli_query($db, "INSERT INTO customers (first_name, last_name, email, phone, '
        "city, country, created_at) VALUES ('$first_name', '$last_name', '$email', '$phone', "
        "'$city', '$country', NOW())\")\n"
        '        or die("<b>Error</b>: " . mysqli_error($db) . "<br />");\n'
        '    echo "Welcome, " . htmlspecialchars($first_name) . "! Your customer number is " '
        ". mysqli_insert_id($db);\n}\n"
    ),
    "inc/db.php": (
        "<?php\n// shop database (see .env)\n"
        "$db = mysqli_connect('localhost', getenv('DB_USERNAME') ?: '{db_user}', "
        "getenv('DB_PASSWORD') ?: '{db_password}', 'shop');\n"
    ),
    "ping.php": (
        "<?php\n$ip = $_GET['ip'] ?? '127.0.0.1';\n"
        "echo '<pre>' . htmlspecialchars(shell_exec('ping -c 4 ' . $ip)) . '</pre>';\n"
    ),
    "download.php": "<?php\nheader('Content-Type: application/octet-stream');\n"
    "readfile($_GET['file']);\n",
    "upload.php": (
        "<?php\nif (!empty($_FILES['file'])) {\n"
        "    move_uploaded_file($_FILES['file']['tmp_name'], 'uploads/' . "
        "basename($_FILES['file']['name']));\n    echo 'Uploaded';\n}\n"
    ),
}

STATIC = {
    "robots.txt": "User-agent: *\nDisallow: /wp-admin/\nDisallow: /admin/\nDisallow: /backup/\n",
    "contact.html": "<h2>Contact</h2>\n<p>Sales: sales@{domain}<br>Support: support@{domain}</p>\n",
    "wp-content/themes/twentytwentyone/style.css": (
        "/*\nTheme Name: Twenty Twenty-One\nVersion: 2.1\n*/\n"
        "body{font-family:sans-serif;margin:0 auto;max-width:60rem}\n"
    ),
    ".htaccess": (
        "# BEGIN WordPress\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\n"
        "# END WordPress\n"
    ),
}


def dotenv(host: FakeHost) -> str:
    """The Laravel-style ``.env`` left in the web root, carrying honeytoken secrets."""
    db, aws = host.tokens.by_kind("db_password"), host.tokens.by_kind("aws_key")
    lines = ["APP_NAME=Shop", "APP_ENV=production", "APP_DEBUG=false",
             f"APP_URL=https://{host.persona.fqdn}", "DB_CONNECTION=mysql", "DB_HOST=127.0.0.1",
             "DB_PORT=3306", "DB_DATABASE=shop"]  # fmt: skip
    if db:
        lines += [f"DB_USERNAME={db[0].username}", f"DB_PASSWORD={db[0].secret}"]
    if aws:
        lines += [f"AWS_ACCESS_KEY_ID={aws[0].username}", f"AWS_SECRET_ACCESS_KEY={aws[0].secret}",
                  "AWS_DEFAULT_REGION=eu-central-1"]  # fmt: skip
    return "\n".join(lines) + "\n"


def git_config(host: FakeHost) -> str:
    domain = host.persona.fqdn.split(".", 1)[-1]
    return (
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
        '\tlogallrefupdates = true\n[remote "origin"]\n'
        f"\turl = git@git.{domain}:web/site.git\n"
        "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
        '[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n'
    )


def plant(host: FakeHost) -> None:
    """Put the site into the host's base image (idempotent; the base is rebuilt each start)."""
    base, t = host.base, host.persona.identity.installed_at + 86400 * 2
    domain = host.persona.fqdn.split(".", 1)[-1]
    db = host.tokens.by_kind("db_password")
    user, password = (db[0].username or "wpuser", db[0].secret) if db else ("wpuser", "")
    files = {name: src.replace("{db_user}", user).replace("{db_password}", password)
             for name, src in PHP_SOURCES.items()}  # fmt: skip
    files |= {name: text.replace("{domain}", domain) for name, text in STATIC.items()}
    files[".env"] = dotenv(host)
    files[".git/config"] = git_config(host)
    base.nodes.pop(f"{DOCROOT}/index.html", None)
    base.children.get(DOCROOT, set()).discard("index.html")
    for name, text in files.items():
        data = text.encode()
        _ensure_dir(host, f"{DOCROOT}/{name}".rsplit("/", 1)[0], t)
        path = f"{DOCROOT}/{name}"
        base.nodes[path] = Node("file", mode=0o644, mtime=t, size=len(data), content=data)
        base.children.setdefault(path.rsplit("/", 1)[0], set()).add(name.rsplit("/", 1)[-1])
    _ensure_dir(host, f"{DOCROOT}/uploads", t, uid=WWW_UID)


def _ensure_dir(host: FakeHost, path: str, t: float, uid: int = 0) -> None:
    base = host.base
    if path in base.nodes:
        return
    parent, name = path.rsplit("/", 1)
    _ensure_dir(host, parent or "/", t)
    base.nodes[path] = Node("dir", mode=0o755, uid=uid, gid=uid, mtime=t)
    base.children.setdefault(parent or "/", set()).add(name)
