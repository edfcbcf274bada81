"""Pure classification of HTTP requests: SQL injection, path traversal, command injection,
XML external entities (XXE).

Shared by the network monitor (requests seen on the wire) and the HTTP honeypot (its own
``http.request`` events). No I/O, no state; every function is total (never raises).

API::

    classify(method, path, query="", body="") -> list[WebFinding]

Each :class:`WebFinding` has ``rule`` (``http_sqli`` | ``http_traversal`` |
``http_cmd_injection`` | ``http_xxe``), ``pattern`` (which signature), ``location``
(``path`` | ``query`` | ``body``) and ``excerpt`` (the decoded text around the match,
capped). At most one finding per rule is returned (the first location that matches, in
path, query, body order).

The HTTP door asks the same module about one parameter value it handed to its emulation
(:func:`include_traversal` for ``include($page)``, :func:`shell_metachar` for a value that
reaches the fake shell) and the FTP rule asks :func:`path_escape` about a path argument, so
every web/file-path attack pattern of PhantomNet lives here.

Inputs are percent-decoded up to three times (double encoding), ``+`` becomes a space in
query and body, SQL comments ``/**/`` become spaces and case is folded, so ``UNION/**/SELECT``
and ``%252e%252e%252f`` are caught. Patterns need an operator or keyword *pair*, so plain
words ("select a plan", "union station", "cat food") do not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

MAX_INPUT = 16384
EXCERPT = 120


@dataclass(frozen=True, slots=True)
class WebFinding:
    rule: str
    pattern: str
    location: str
    excerpt: str


_SQLI: tuple[tuple[str, str], ...] = (
    ("union_select", r"\bunion\b[\s(]+(?:all\s+|distinct\s+)?select\b"),
    (
        "tautology",
        r"['\"`)]\s*(?:or|and|\|\||&&)\s*['\"(]?\s*\w+['\"]?\s*(?:=|like|<|>)\s*['\"(]?\s*\w+",
    ),
    ("numeric_tautology", r"\b(?:or|and)\s+(\d+)\s*=\s*\1\b"),
    ("boolean_probe", r"\b(?:and|or)\s+\d+\s*=\s*\d+\s*(?:--|#|$|\)|'|\")"),
    ("comment_terminator", r"['\"]\s*(?:--|#|/\*|;)"),
    ("time_based", r"\b(?:sleep|pg_sleep|benchmark)\s*\(|\bwaitfor\s+delay\b"),
    ("stacked_query", r";\s*(?:drop|insert|update|delete|create|alter|exec|declare|select)\b"),
    (
        "schema_probe",
        r"\binformation_schema\b|\bsys(?:objects|columns)\b|\bpg_catalog\b|\bsqlite_master\b",
    ),
    (
        "sql_functions",
        r"\b(?:extractvalue|updatexml|load_file|concat_ws|group_concat|char)\s*\(.*(?:select|0x|\d)",
    ),
    ("into_outfile", r"\binto\s+(?:out|dump)file\b"),
    ("order_by_probe", r"\border\s+by\s+\d+\s*(?:--|#)"),
    ("cast_error", r"\b(?:convert|cast)\s*\(.*\b(?:int|char|varchar)\b.*select\b"),
)

_TRAVERSAL: tuple[tuple[str, str], ...] = (
    ("dot_dot_slash", r"(?:\.\.[/\\]){2,}|(?:^|[=\s\"'])\.\.[/\\]"),
    ("dot_dot_end", r"(?:[/\\]\.\.){2,}$"),
    (
        "sensitive_file",
        r"(?:^|[/\\=])(?:etc[/\\](?:passwd|shadow|hosts|group)|proc[/\\]self[/\\]|boot\.ini|win\.ini|windows[/\\]system32)",
    ),
    ("null_byte", r"\x00|%00"),
    ("file_scheme", r"\bfile://"),
)

_CMD_WORDS = (
    r"(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|python3?|perl|ruby|php|"
    r"ping|nslookup|sleep|echo|rm|chmod|busybox|tftp|powershell|cmd(?:\.exe)?)"
)
_CMD: tuple[tuple[str, str], ...] = (
    ("separator_command", r"(?:;|\|\|?|&&|\n|\r)\s*" + _CMD_WORDS + r"\b"),
    ("backticks", r"`[^`]{1,200}`"),
    ("subshell", r"\$\([^)]{1,200}\)"),
    ("ifs", r"\$\{?ifs\}?"),
    ("reverse_shell", r"/dev/tcp/|\bnc\b.*\s-e\s|\bbash\s+-i\b"),
    ("shell_path", r"(?:;|\||&|`|\$\()\s*/(?:usr/)?bin/\w+"),
)


def _compile(table: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(rx, re.I | re.S)) for name, rx in table)


_XXE: tuple[tuple[str, str], ...] = (
    ("external_entity", r"<!entity\s+(?:%\s*)?[^\s>]+\s+(?:system|public)\b"),
    ("external_dtd", r"<!doctype\s+[^\s>\[]+\s+(?:system|public)\s"),
    ("entity_expansion", r"<!entity\s+(?:%\s*)?[^\s>]+\s+[\"'][^\"']*&[^\s;&]+;"),
    ("parameter_entity", r"<!entity\s+%\s*[^\s>]+|%[\w.-]+;\s*\]"),
    ("xinclude", r"[\"']http://www\.w3\.org/200[13]/xinclude[\"']"),
)


_RULES: tuple[tuple[str, tuple[tuple[str, re.Pattern[str]], ...]], ...] = (
    ("http_sqli", _compile(_SQLI)),
    ("http_traversal", _compile(_TRAVERSAL)),
    ("http_cmd_injection", _compile(_CMD)),
    ("http_xxe", _compile(_XXE)),
)


def normalise(text: str | bytes, plus_is_space: bool = False) -> str:
    """Decode percent-escapes (up to three rounds), fold case, turn SQL comments into spaces."""
    if isinstance(text, bytes):
        text = text[:MAX_INPUT].decode("utf-8", "backslashreplace")
    text = text[:MAX_INPUT]
    for _ in range(3):
        decoded = unquote_plus(text) if plus_is_space else unquote(text)
        if decoded == text:
            break
        text = decoded
    text = text.replace("\\x00", "\x00")
    return re.sub(r"/\*.*?\*/", " ", text).lower()


def _excerpt(text: str, match: re.Match[str]) -> str:
    start = max(match.start() - 30, 0)
    return text[start : start + EXCERPT].replace("\x00", "\\x00")


def escapes_root(path: str) -> bool:
    """True when ``..`` segments climb above the path's root (``/a/../../b``)."""
    depth = 0
    for seg in re.split(r"[/\\]+", path):
        if seg == "..":
            depth -= 1
            if depth < 0:
                return True
        elif seg not in ("", "."):
            depth += 1
    return False


#: A value handed to ``include()`` that reaches outside the web root or uses a PHP wrapper.
INCLUDE_TRAVERSAL = re.compile(r"(\.\./|\.\.\\|%2e%2e|/etc/|php://|file://|\x00)", re.I)
#: A shell metacharacter in a value that the emulation passes to the (fake) shell.
SHELL_META = re.compile(r"[;&|`\n]|\$\(")


def include_traversal(value: str) -> bool:
    """Whether a file-include parameter tries traversal or a wrapper (``../``, ``php://``)."""
    return INCLUDE_TRAVERSAL.search(value) is not None


def shell_metachar(value: str) -> bool:
    """Whether a value that reaches a shell carries a command separator or substitution."""
    return SHELL_META.search(value) is not None


def dot_segment(decoded_path: str) -> bool:
    """Whether a (percent-decoded) request path carries a ``..`` segment or starts with one
    still encoded: what Apache 2.4.49 let through (CVE-2021-41773)."""
    return "/../" in decoded_path + "/" or decoded_path.startswith(("/..", "/%2e"))


def path_escape(arg: str) -> bool:
    """Whether a file-path argument (FTP, SFTP) climbs out: ``..`` past the top, ``~``, NUL."""
    return escapes_root(arg) or "\x00" in arg or arg.startswith("~")


def classify(method: str, path: str, query: str = "", body: str | bytes = "") -> list[WebFinding]:
    """Findings for one request (see module docstring); empty for a benign request."""
    del method  # every method can carry an injection; kept in the API for callers' symmetry
    decoded_path = normalise(path)
    if escapes_root(decoded_path):
        return [
            WebFinding("http_traversal", "escapes_root", "path", decoded_path[:EXCERPT]),
            *[f for f in _classify_parts(path, query, body) if f.rule != "http_traversal"],
        ]
    return _classify_parts(path, query, body)


def _classify_parts(path: str, query: str, body: str | bytes) -> list[WebFinding]:
    parts = (
        ("path", normalise(path)),
        ("query", normalise(query, plus_is_space=True)),
        ("body", normalise(body, plus_is_space=True)),
    )
    findings: list[WebFinding] = []
    for rule, patterns in _RULES:
        found = _first(rule, patterns, parts)
        if found is not None:
            findings.append(found)
    return findings


def _first(
    rule: str,
    patterns: tuple[tuple[str, re.Pattern[str]], ...],
    parts: tuple[tuple[str, str], ...],
) -> WebFinding | None:
    for location, text in parts:
        if not text:
            continue
        for name, rx in patterns:
            match = rx.search(text)
            if match is not None:
                return WebFinding(rule, name, location, _excerpt(text, match))
    return None
