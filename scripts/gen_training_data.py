#!/usr/bin/env python3
"""Generate PhantomNet's labelled training traffic with real tools in network namespaces.

Creates two namespaces (``pns-srv`` server, ``pns-atk`` client) joined by one veth pair,
with no default route: nothing can leave them. In ``pns-srv`` it runs a lab web target
(``scripts/lab/http_recorder.py``), a TLS server (``openssl s_server``), a DNS responder and
a real ``sshd`` whose log becomes sensor events (``scripts/lab/sshd_recorder.py``). For each
scenario it starts ``tcpdump`` on the server side, runs one real tool from ``pns-atk``
(curl, wget, dig, ssh, scp, openssl, nmap, masscan, hping3, hydra, sqlmap), bounded in count
and time, and stops everything by PID.

Output (``--out``, default ``data/training``):

* ``captures/<scenario>-r<run>.pcap.gz``: the packets (snaplen 256), gzipped
* ``sessions/<scenario>-r<run>.jsonl.gz``: the sensor events the servers recorded
* ``manifest.json``: every file with its label, tool, run, held-out split and SHA-256

Needs root (namespaces, raw sockets). Usage::

    sudo .venv/bin/python scripts/gen_training_data.py --out data/training [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRV, ATK = "pns-srv", "pns-atk"
SRV_IF, ATK_IF = "pns-s0", "pns-a0"
SRV_IP, ATK_IP = "10.231.0.1", "10.231.0.2"
HERE = Path(__file__).resolve().parent
PY = sys.executable
T = SRV_IP


@dataclass(frozen=True)
class Scenario:
    """One bounded run of one tool; every flow and session it produces gets ``label``."""

    name: str
    label: str
    tool: str
    run: int
    split: str  # "train" or "test" (held-out scenario)
    command: str
    timeout: float = 120.0


def _loop(n: int, body: str) -> str:
    return f"for i in $(seq 1 {n}); do {body}; done"


SCENARIOS: tuple[Scenario, ...] = (
    # ---- benign ----
    Scenario(
        "curl_browse",
        "benign",
        "curl",
        1,
        "train",
        _loop(500, f"curl -s -o /dev/null http://{T}/page/$((i % 12))")
        + "; "
        + _loop(
            100,
            f"curl -s -o /dev/null http://{T}/ http://{T}/page/1 "
            f"http://{T}/static/file$((i % 3)).bin",
        ),
    ),
    Scenario(
        "curl_browse",
        "benign",
        "curl",
        2,
        "test",
        _loop(
            400,
            f"curl -s -A 'Mozilla/5.0' -o /dev/null http://{T}/page/$((i % 9)); "
            "[ $((i % 10)) -eq 0 ] && sleep 0.3",
        )
        + "; "
        + _loop(80, f"curl -s -o /dev/null http://{T}/static/file$((i % 4)).bin"),
    ),
    Scenario(
        "wget_mirror",
        "benign",
        "wget",
        1,
        "train",
        _loop(15, f"wget -q -r -l 2 -P $WORK/w$i http://{T}/"),
    ),
    Scenario(
        "wget_mirror",
        "benign",
        "wget",
        2,
        "test",
        _loop(20, f"wget -q -p -P $WORK/v$i http://{T}/page/$i http://{T}/"),
    ),
    Scenario(
        "dig_lookup",
        "benign",
        "dig",
        1,
        "train",
        _loop(800, f"dig +short +tries=1 +time=1 @{T} host$i.lab.internal A > /dev/null"),
    ),
    Scenario(
        "dig_lookup",
        "benign",
        "dig",
        2,
        "test",
        _loop(500, f"dig +tries=1 +time=1 @{T} www$i.example.lab AAAA > /dev/null")
        + "; "
        + _loop(60, f"dig +tcp +tries=1 +time=1 @{T} mx$i.lab MX > /dev/null"),
    ),
    Scenario(
        "ssh_session",
        "benign",
        "ssh",
        1,
        "train",
        _loop(40, "ssh $SSHOPTS root@" + T + " 'uname -a; ls /; cat /etc/hostname; id'"),
    ),
    Scenario(
        "ssh_session",
        "benign",
        "ssh",
        2,
        "test",
        _loop(30, "ssh $SSHOPTS root@" + T + " 'df -h; uptime; ls -la /tmp | head -5'"),
    ),
    Scenario(
        "scp_copy",
        "benign",
        "scp",
        1,
        "train",
        _loop(20, "scp -O -q $SSHOPTS $WORK/blob$((i % 3)) root@" + T + ":$WORK/up-$i"),
    ),
    Scenario(
        "scp_copy",
        "benign",
        "scp",
        2,
        "test",
        _loop(20, "scp -O -q $SSHOPTS root@" + T + ":$WORK/blob$((i % 3)) $WORK/down-$i"),
    ),
    Scenario(
        "tls_curl", "benign", "curl", 1, "train", _loop(400, f"curl -sk -o /dev/null https://{T}/")
    ),
    Scenario(
        "tls_openssl",
        "benign",
        "openssl",
        1,
        "test",
        _loop(200, f"timeout 3 openssl s_client -connect {T}:443 </dev/null >/dev/null 2>&1"),
    ),
    # ---- scans ----
    Scenario("nmap_syn", "scan", "nmap", 1, "train", f"nmap -n -Pn -sS -T4 --top-ports 1000 {T}"),
    Scenario(
        "nmap_udp",
        "scan",
        "nmap",
        1,
        "train",
        f"nmap -n -Pn -sU -T4 --top-ports 60 --max-retries 1 --host-timeout 60s {T}",
    ),
    Scenario("nmap_xmas", "scan", "nmap", 1, "train", f"nmap -n -Pn -sX -T4 -p 1-1000 {T}"),
    Scenario(
        "nmap_version",
        "scan",
        "nmap",
        1,
        "train",
        f"nmap -n -Pn -sV --version-light -p 22,53,80,443 {T}",
    ),
    Scenario("nmap_connect", "scan", "nmap", 1, "test", f"nmap -n -Pn -sT -T4 -p 1-2000 {T}"),
    Scenario(
        "masscan",
        "scan",
        "masscan",
        1,
        "test",
        f"timeout 40 masscan {T} -p1-3000 --rate 600 --wait 2 --adapter {ATK_IF} "
        "--router-mac $SRVMAC",
        timeout=60,
    ),
    # ---- floods (bounded counts) ----
    Scenario("hping_syn", "flood", "hping3", 1, "train", f"hping3 -q -S -p 80 -c 3000 -i u300 {T}"),
    Scenario("hping_icmp", "flood", "hping3", 1, "train", f"hping3 -q --icmp -c 2000 -i u300 {T}"),
    Scenario(
        "hping_udp",
        "flood",
        "hping3",
        1,
        "test",
        f"hping3 -q --udp -p 53 -d 64 -c 3000 -i u300 {T}",
    ),
    Scenario(
        "hping_syn_randsrc",
        "flood",
        "hping3",
        1,
        "test",
        f"hping3 -q -S -p 443 --rand-source -c 3000 -i u300 {T}",
    ),
    # ---- brute force ----
    Scenario(
        "hydra_ssh",
        "bruteforce",
        "hydra",
        1,
        "train",
        f"hydra -q -l root -P $WORK/words.txt -t 4 -I ssh://{T}",
    ),
    Scenario(
        "hydra_ssh",
        "bruteforce",
        "hydra",
        2,
        "train",
        f"hydra -q -L $WORK/users.txt -P $WORK/words-short.txt -t 2 -I ssh://{T}",
    ),
    Scenario(
        "hydra_http_form",
        "bruteforce",
        "hydra",
        1,
        "test",
        f"hydra -q -l alice -P $WORK/words.txt -t 4 -I {T} http-post-form "
        "'/login:username=^USER^&password=^PASS^:Invalid login'",
    ),
    # ---- web attacks ----
    Scenario(
        "sqlmap",
        "web_attack",
        "sqlmap",
        1,
        "train",
        f"sqlmap -u 'http://{T}/item?id=1' --batch --level 2 --risk 1 --timeout 5 "
        "--retries 0 --flush-session --output-dir $WORK/sqlmap1",
        timeout=150,
    ),
    Scenario(
        "sqlmap",
        "web_attack",
        "sqlmap",
        2,
        "test",
        f"sqlmap -u 'http://{T}/item?id=7' --batch --level 3 --technique=BT "
        "--tamper=space2comment --random-agent --timeout 5 --retries 0 --flush-session "
        "--output-dir $WORK/sqlmap2",
        timeout=150,
    ),
    Scenario(
        "nmap_http_scripts",
        "web_attack",
        "nmap",
        1,
        "test",
        f"nmap -n -Pn -p 80 --script http-enum,http-sql-injection {T}",
        timeout=150,
    ),
)


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def ns(name: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", name, *cmd]


def teardown() -> None:
    for name in (SRV, ATK):
        sh("ip", "netns", "del", name, check=False)
    sh("ip", "link", "del", SRV_IF, check=False)


def setup() -> str:
    """Create the two namespaces; return the server interface MAC (masscan needs it)."""
    teardown()
    sh("ip", "netns", "add", SRV)
    sh("ip", "netns", "add", ATK)
    sh("ip", "link", "add", SRV_IF, "type", "veth", "peer", "name", ATK_IF)
    sh("ip", "link", "set", SRV_IF, "netns", SRV)
    sh("ip", "link", "set", ATK_IF, "netns", ATK)
    for name, ifname, ip in ((SRV, SRV_IF, SRV_IP), (ATK, ATK_IF, ATK_IP)):
        sh(*ns(name, "ip", "addr", "add", f"{ip}/24", "dev", ifname))
        sh(*ns(name, "ip", "link", "set", ifname, "up"))
        sh(*ns(name, "ip", "link", "set", "lo", "up"))
    for name in (SRV, ATK):
        routes = sh(*ns(name, "ip", "route", "show", "default")).stdout.strip()
        if routes:
            raise SystemExit(f"{name} unexpectedly has a default route: {routes}")
    mac = sh(*ns(SRV, "cat", f"/sys/class/net/{SRV_IF}/address")).stdout.strip()
    return mac


def prepare_workdir(work: Path) -> None:
    """Keys, sshd config, wordlists, TLS certificate and blobs for the scenarios."""
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "hostkey"))
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "clientkey"))
    shutil.copy(work / "clientkey.pub", work / "authorized_keys")
    wrapper = work / "logcmd.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$SSH_CLIENT|$SSH_ORIGINAL_COMMAND" >> {work}/cmdlog\n'
        'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
    )
    wrapper.chmod(0o755)
    (work / "sshd_config").write_text(
        f"Port 22\nListenAddress {SRV_IP}\nHostKey {work}/hostkey\nPidFile none\n"
        f"AuthorizedKeysFile {work}/authorized_keys\nStrictModes no\nUsePAM no\n"
        "PermitRootLogin yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
        "LogLevel VERBOSE\nMaxStartups 100:30:200\nMaxAuthTries 6\n"
        f"ForceCommand {wrapper}\nSubsystem sftp internal-sftp\n"
    )
    words = [f"pass{i}" for i in range(100)] + ["123456", "password", "qwerty", "letmein"]
    (work / "words.txt").write_text("\n".join(words) + "\n")
    (work / "words-short.txt").write_text("\n".join(words[:15]) + "\n")
    (work / "users.txt").write_text("admin\nuser\ntest\noracle\n")
    sh(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=pns-lab",
        "-keyout",
        str(work / "tls.key"),
        "-out",
        str(work / "tls.crt"),
    )
    for i, size in enumerate((200_000, 800_000, 2_000_000)):
        (work / f"blob{i}").write_bytes(os.urandom(size))
    os.makedirs("/run/sshd", exist_ok=True)


@contextlib.contextmanager
def servers(work: Path, sessions: Path) -> Iterator[None]:
    """Start the lab servers in ``pns-srv``; stop them by PID afterwards."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    procs = [
        subprocess.Popen(
            ns(
                SRV,
                PY,
                str(HERE / "lab" / "http_recorder.py"),
                "--out",
                str(sessions),
                "--seconds",
                "400",
            ),
            env=env,
        ),
        subprocess.Popen(
            ns(
                SRV,
                PY,
                str(HERE / "lab" / "sshd_recorder.py"),
                "--config",
                str(work / "sshd_config"),
                "--cmdlog",
                str(work / "cmdlog"),
                "--out",
                str(sessions),
                "--seconds",
                "400",
            ),
            env=env,
        ),
        subprocess.Popen(
            ns(
                SRV,
                PY,
                str(HERE / "lab" / "dns_responder.py"),
                "--answer",
                SRV_IP,
                "--seconds",
                "400",
            )
        ),
        subprocess.Popen(
            ns(
                SRV,
                "openssl",
                "s_server",
                "-quiet",
                "-www",
                "-accept",
                "443",
                "-cert",
                str(work / "tls.crt"),
                "-key",
                str(work / "tls.key"),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    time.sleep(1.5)
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_scenario(sc: Scenario, work: Path, out: Path, srv_mac: str) -> dict[str, object]:
    pcap = out / "captures" / f"{sc.name}-r{sc.run}.pcap"
    sessions = out / "sessions" / f"{sc.name}-r{sc.run}.jsonl"
    for path in (pcap, sessions):
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".gz").unlink(missing_ok=True)
    (work / "cmdlog").write_text("")
    with servers(work, sessions):
        dump = subprocess.Popen(
            ns(
                SRV,
                "tcpdump",
                "-q",
                "-U",
                "-n",
                "-s",
                "256",
                "-i",
                SRV_IF,
                "-w",
                str(pcap),
                "not arp and not ip6",
            ),
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        env = {
            **os.environ,
            "WORK": str(work),
            "SRVMAC": srv_mac,
            "SSHOPTS": f"-i {work}/clientkey -o StrictHostKeyChecking=no "
            "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes",
        }
        t0 = time.monotonic()
        try:
            subprocess.run(
                ns(ATK, "bash", "-c", sc.command),
                env=env,
                timeout=sc.timeout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(f"  {sc.name} r{sc.run}: stopped at its {sc.timeout:.0f}s bound")
        elapsed = time.monotonic() - t0
        time.sleep(1.5)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
    sessions.touch()
    pcap, sessions = compress(pcap), compress(sessions)
    return {
        "scenario": sc.name,
        "label": sc.label,
        "tool": sc.tool,
        "run": sc.run,
        "split": sc.split,
        "command": sc.command,
        "seconds": round(elapsed, 1),
        "capture": str(pcap.relative_to(out)),
        "capture_sha256": sha256(pcap),
        "sessions": str(sessions.relative_to(out)),
        "sessions_sha256": sha256(sessions),
    }


def compress(path: Path) -> Path:
    """Gzip ``path`` reproducibly (no name, mtime 0) to ``path.gz``; remove the original."""
    target = path.with_name(path.name + ".gz")
    with (
        path.open("rb") as src,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        shutil.copyfileobj(src, gz)
    path.unlink()
    return target


def compress_existing(out: Path) -> None:
    """Convert an older uncompressed data directory in place (manifest updated)."""
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for item in manifest["items"]:
        for key in ("capture", "sessions"):
            if not item[key].endswith(".gz"):
                item[key] = str(compress(out / item[key]).relative_to(out))
                item[f"{key}_sha256"] = sha256(out / item[key])
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/training"))
    parser.add_argument("--only", nargs="*", default=None, help="scenario names to (re)run")
    parser.add_argument("--compress-only", action="store_true", help="gzip an older data dir")
    args = parser.parse_args()
    if args.compress_only:
        compress_existing(args.out.resolve())
        return
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces, raw sockets)")
    out: Path = args.out.resolve()
    (out / "captures").mkdir(parents=True, exist_ok=True)
    (out / "sessions").mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"items": []}
    items = {f"{i['scenario']}-r{i['run']}": i for i in old["items"]}
    work = Path(tempfile.mkdtemp(prefix="pns-lab-"))
    try:
        prepare_workdir(work)
        srv_mac = setup()
        for sc in SCENARIOS:
            if args.only and sc.name not in args.only:
                continue
            print(f"{sc.name} r{sc.run} ({sc.label}, {sc.split})", flush=True)
            items[f"{sc.name}-r{sc.run}"] = run_scenario(sc, work, out, srv_mac)
    finally:
        teardown()
        shutil.rmtree(work, ignore_errors=True)
    manifest = {
        "description": "PhantomNet labelled lab traffic: real tools in network namespaces "
        "pns-srv/pns-atk (10.231.0.0/24, no default route), one label per run",
        "generator": "scripts/gen_training_data.py",
        "items": sorted(items.values(), key=lambda i: (i["label"], i["scenario"], i["run"])),
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {manifest_path}")


if __name__ == "__main__":
    main()
