"""Server variables as the real Debian 12 servers report them (data/*.tsv, read lazily).

``mariadb_variables.tsv`` is ``SHOW GLOBAL VARIABLES`` and ``pg_settings.tsv`` is ``SHOW ALL`` of
this machine's stock MariaDB 10.11 / PostgreSQL 15; install-specific values (host name,
version) are replaced from the persona.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _table(name: str) -> tuple[tuple[str, ...], ...]:
    raw = (resources.files("phantomnet.deception.sql") / "data" / name).read_text("utf-8")
    return tuple(tuple(line.split("\t")) for line in raw.splitlines() if line)


def mysql_variables(version: str, hostname: str) -> dict[str, str]:
    out = {row[0]: (row[1] if len(row) > 1 else "") for row in _table("mariadb_variables.tsv")}
    for key, value in list(out.items()):
        if value.startswith("vm") and key.endswith(("_file", "_name", "_basename")):
            out[key] = hostname + value[2:]
    out["hostname"] = hostname
    out["version"] = version
    out["version_comment"] = version_comment(version, out.get("version_comment", ""))
    out["innodb_version"] = version.split("-")[0]
    return out


def version_comment(version: str, debian: str) -> str:
    """What ``mariadb``'s banner prints after the version: the table's Debian 12 value, but
    ``MariaDB Server`` for CentOS 7's MariaDB 5.5 RPM and ``(Ubuntu)`` for Ubuntu's MySQL."""
    if "ubuntu" in version.lower():
        return "(Ubuntu)"
    major = version.split(".", 1)[0]
    if "MariaDB" in version and major.isdigit() and int(major) < 10:
        return "MariaDB Server"
    return debian


def pg_settings(version: str) -> dict[str, tuple[str, str]]:
    """name -> (setting as SHOW prints it, description)."""
    out = {
        row[0]: (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
        for row in _table("pg_settings.tsv")
    }
    number = version.split()[0]
    out["server_version"] = (version, out.get("server_version", ("", ""))[1])
    major, _, minor = number.partition(".")
    num = (
        f"{int(major)}{int(minor or 0):04d}"
        if major.isdigit() and (minor or "0").isdigit()
        else "150000"
    )
    out["server_version_num"] = (num, out.get("server_version_num", ("", ""))[1])
    out["listen_addresses"] = ("*", out.get("listen_addresses", ("", ""))[1])
    return out
