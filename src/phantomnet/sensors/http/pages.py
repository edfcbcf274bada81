"""HTML of the decoy site: a small WordPress company site, a legacy product catalogue,
phpMyAdmin and an admin panel. Text only; every value that comes from the request is
escaped before it is shown."""

from __future__ import annotations

import html
from collections.abc import Sequence

WP_VERSION = "6.4.3"

_WP_HEAD = (
    '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8" />\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
    "<title>{title}</title>\n"
    f'<meta name="generator" content="WordPress {WP_VERSION}" />\n'
    "<link rel='stylesheet' id='twentytwentyone-style-css' "
    f"href='/wp-content/themes/twentytwentyone/style.css?ver={WP_VERSION}' media='all' />\n"
    '<link rel="https://api.w.org/" href="/index.php?rest_route=/" />\n'
    '<link rel="EditURI" type="application/rsd+xml" title="RSD" href="/xmlrpc.php?rsd" />\n'
    "</head>\n"
)


def index(company: str, products: Sequence[Sequence[object]]) -> str:
    items = "\n".join(
        f'<li><a href="/products.php?id={p[0]}">{html.escape(str(p[1]))}</a> '
        f"&ndash; &euro;{html.escape(str(p[2]))}</li>"
        for p in products
    )
    return (
        _WP_HEAD.format(title=html.escape(company))
        + f'<body class="home blog">\n<header><h1><a href="/">{html.escape(company)}</a></h1>\n'
        '<nav><a href="/">Home</a> | <a href="/products.php?id=1">Products</a> | '
        '<a href="/register.php">Create an account</a> | '
        '<a href="/upload.php">Support upload</a> | <a href="/ping.php?ip=127.0.0.1">'
        'Network check</a> | <a href="/index.php?page=contact.html">Contact</a> | '
        '<a href="/wp-login.php">Log in</a></nav></header>\n'
        f"<main><h2>Our products</h2>\n<ul>\n{items}\n</ul></main>\n"
        f"<footer>&copy; 2026 {html.escape(company)}. Proudly powered by WordPress.</footer>\n"
        "</body>\n</html>\n"
    )


def product(company: str, rows: Sequence[Sequence[object]], error: str | None) -> str:
    body = "".join(
        f'<div class="product"><h2>{html.escape(str(r[1]))}</h2>\n'
        f'<p class="price">Price: &euro;{html.escape(str(r[2]))}</p>\n'
        f'<p class="stock">In stock: {html.escape(str(r[3]))}</p></div>\n'
        for r in rows
    )
    if error is not None:
        body = f"<b>Error</b>: {html.escape(error, quote=False)}<br />\n"
    elif not rows:
        body = "<p>Product not found.</p>\n"
    return (
        f"<html>\n<head><title>Products - {html.escape(company)}</title></head>\n<body>\n"
        f'<a href="/">Home</a>\n{body}<p><a href="/products.php?id=1">First product</a></p>\n'
        "</body>\n</html>\n"
    )


def wp_login(company: str, error: str | None = None, user: str = "") -> str:
    err = f'<div id="login_error">{error}</div>\n' if error else ""
    return (
        _WP_HEAD.format(title=f"Log In &lsaquo; {html.escape(company)} &#8212; WordPress")
        + '<body class="login no-js login-action-login wp-core-ui">\n<div id="login">\n'
        f'<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>\n{err}'
        '<form name="loginform" id="loginform" action="/wp-login.php" method="post">\n'
        '<p><label for="user_login">Username or Email Address</label>\n'
        '<input type="text" name="log" id="user_login" '
        f'value="{html.escape(user)}" size="20" /></p>\n'
        '<div class="user-pass-wrap"><label for="user_pass">Password</label>\n'
        '<input type="password" name="pwd" id="user_pass" value="" size="20" /></div>\n'
        '<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" '
        'class="button button-primary button-large" value="Log In" />\n'
        '<input type="hidden" name="redirect_to" value="/wp-admin/" />\n'
        '<input type="hidden" name="testcookie" value="1" /></p>\n</form>\n'
        '<p id="nav"><a href="/wp-login.php?action=lostpassword">Lost your password?</a></p>\n'
        "</div>\n</body>\n</html>\n"
    )


def wp_wrong_password(user: str) -> str:
    u = html.escape(user)
    return (
        f"<strong>Error:</strong> The password you entered for the username <strong>{u}</strong>"
        ' is incorrect. <a href="/wp-login.php?action=lostpassword">Lost your password?</a>'
    )


def wp_unknown_user(user: str) -> str:
    return (
        f"<strong>Error:</strong> The username <strong>{html.escape(user)}</strong> is not "
        "registered on this site. If you are unsure of your username, try your email address "
        "instead."
    )


def wp_dashboard(company: str, user: str) -> str:
    return (
        _WP_HEAD.format(title=f"Dashboard &lsaquo; {html.escape(company)} &#8212; WordPress")
        + f'<body class="wp-admin"><div id="wpbody"><h1>Dashboard</h1><p>Howdy, '
        f"{html.escape(user)}</p><ul><li>Posts</li><li>Media</li><li>Plugins</li>"
        "<li>Users</li><li>Settings</li></ul></div></body></html>\n"
    )


def phpmyadmin(error: str | None = None) -> str:
    err = (f'<div class="alert alert-danger" role="alert">{html.escape(error)}</div>\n'
           if error else "")  # fmt: skip
    return (
        '<!DOCTYPE HTML>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        "<title>phpMyAdmin</title>\n"
        '<link rel="stylesheet" type="text/css" '
        'href="./themes/pmahomme/css/theme.css?v=5.2.1deb1">\n'
        '</head>\n<body id="loginform">\n<div class="container">\n'
        '<h1>Welcome to <bdo dir="ltr" lang="en">phpMyAdmin</bdo></h1>\n'
        f'{err}<form method="post" id="login_form" action="index.php?route=/" name="login_form">\n'
        '<input type="text" name="pma_username" id="input_username" value="">\n'
        '<input type="password" name="pma_password" id="input_password" value="">\n'
        '<input type="hidden" name="server" value="1">\n'
        '<input class="btn btn-primary" value="Log in" type="submit" id="input_go">\n'
        "</form>\n</div>\n</body>\n</html>\n"
    )


def admin_login(error: str | None = None) -> str:
    err = f'<p class="error">{html.escape(error)}</p>\n' if error else ""
    return (
        "<!DOCTYPE html>\n<html><head><title>Administration - Login</title></head>\n<body>\n"
        f"<h1>Administration</h1>\n{err}"
        '<form method="post" action="/admin/login.php">\n'
        'User: <input name="username" type="text"> Password: <input name="password" '
        'type="password">\n<input type="submit" value="Sign in"></form>\n</body></html>\n'
    )


def upload_form(message: str | None = None) -> str:
    msg = f"<p>{html.escape(message)}</p>\n" if message else ""
    return (
        "<html><head><title>Support file upload</title></head><body>\n"
        f"<h1>Send us your log files</h1>\n{msg}"
        '<form action="/upload.php" method="post" enctype="multipart/form-data">\n'
        '<input type="file" name="file"> <input type="submit" value="Upload"></form>\n'
        "</body></html>\n"
    )


def ping(output: str) -> str:
    return (
        "<html><head><title>Network check</title></head><body>\n<h1>Network check</h1>\n"
        '<form action="/ping.php"><input name="ip" value="127.0.0.1"> '
        '<input type="submit" value="Ping"></form>\n'
        f"<pre>{html.escape(output)}</pre>\n</body></html>\n"
    )


REGISTER_LABELS = (
    ("first_name", "First name"), ("last_name", "Last name"), ("email", "E-mail"),
    ("phone", "Phone"), ("city", "City"), ("country", "Country (2 letters)"),
)  # fmt: skip


def register(company: str, error: str | None = None,
             welcome: tuple[str, int] | None = None) -> str:  # fmt: skip
    """The customer sign-up page (``register.php``), its form, an error or the welcome."""
    if error is not None:
        body = f"<b>Error</b>: {html.escape(error, quote=False)}<br />\n"
    elif welcome is not None:
        body = (f"<p>Welcome, {html.escape(welcome[0])}! Your customer number is "
                f"{welcome[1]}.</p>\n")  # fmt: skip
    else:
        fields = "".join(f'<p><label>{label} <input name="{name}" type="text"></label></p>\n'
                         for name, label in REGISTER_LABELS)  # fmt: skip
        body = (f'<form method="post" action="/register.php">\n{fields}'
                '<input type="submit" value="Create account"></form>\n')  # fmt: skip
    return (
        f"<html>\n<head><title>Create an account - {html.escape(company)}</title></head>\n"
        f'<body>\n<a href="/">Home</a>\n<h1>Create an account</h1>\n{body}</body>\n</html>\n'
    )
