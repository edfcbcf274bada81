"""An accepted SSH login for a user the fake host lacks (``wpuser``, whose password leaks in
``wp-config.php``) gets a whole account, and every tool agrees about it (asyncssh client)."""

from __future__ import annotations

import re

import asyncssh
import pytest

from tests.integration.sensors.ssh.conftest import Running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
YESCRYPT = r"\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}"


def _connect(port: int, user: str, password: str) -> asyncssh.SSHClientConnection:
    return asyncssh.connect("127.0.0.1", port, username=user, password=password,
                            known_hosts=None, client_keys=None, agent_path=None)  # fmt: skip


async def test_a_leaked_web_login_has_its_own_account(ssh: Running) -> None:
    token = ssh.sensor.host.tokens.by_kind("db_password")[0]
    assert token.username == "wpuser"
    async with _connect(ssh.port, "wpuser", token.secret) as conn:
        me = await conn.run("id; id -Gn; id wpuser; groups; pwd; ls -ld ~; ls -A ~", check=False)
        rows = await conn.run("grep wpuser /etc/passwd /etc/group", check=False)
        shadow = await conn.run("cat /etc/shadow", check=False)
        who = await conn.run("who; whoami", check=False)
    out = me.stdout.splitlines()
    uid = re.fullmatch(r"uid=(\d+)\(wpuser\) gid=(\d+)\(wpuser\) groups=\2\(wpuser\)", out[0])
    assert uid is not None, out
    assert int(uid[1]) >= 1000 and out[1] == "wpuser" and out[2] == out[0] and out[3] == "wpuser"
    assert out[4] == "/home/wpuser" and out[5].startswith("drwxr-xr-x 2 wpuser wpuser ")
    assert out[6:] == [".bash_logout", ".bashrc", ".profile"]
    assert rows.stdout == (f"/etc/passwd:wpuser:x:{uid[1]}:{uid[2]}:,,,:/home/wpuser:/bin/bash\n"
                           f"/etc/group:wpuser:x:{uid[2]}:\n")  # fmt: skip
    assert shadow.stderr == "cat: /etc/shadow: Permission denied\n"
    assert who.stdout.split()[0] == "wpuser" and who.stdout.endswith("wpuser\n")
    async with _connect(ssh.port, "root", "123456") as conn:
        as_root = await conn.run("grep -c . /etc/passwd; id wpuser; cat /etc/shadow", check=False)
    lines = as_root.stdout.splitlines()
    assert lines[1] == out[0]  # the same account seen by root (one attacker's view)
    for row in lines[2:]:
        hashed = row.split(":")[1]
        assert hashed == "*" or re.fullmatch(YESCRYPT, hashed), row
    assert re.fullmatch(YESCRYPT, next(r for r in lines if r.startswith("wpuser:")).split(":")[1])
    assert re.fullmatch(YESCRYPT, next(r for r in lines if r.startswith("root:")).split(":")[1])
