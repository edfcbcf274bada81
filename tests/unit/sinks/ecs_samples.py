"""One sample event of every kind, with its optional fields filled (for the ECS tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from phantomnet import events as ev

T0 = datetime(2026, 12, 6, 21, 0, 0, 123456, tzinfo=UTC)
SHA = "a" * 64
SHA2 = "b" * 64


def _env(component: str = "ssh") -> dict[str, object]:
    return {
        "occurred_at": T0,
        "sensor": ev.SensorRef(node="hp-1", component=component),
        "session_id": uuid4(),
        "src": ev.Endpoint(ip="203.0.113.7", port=40022),
        "dst": ev.Endpoint(ip="192.0.2.10", port=22),
        "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
    }


def samples() -> list[ev.EventBase]:
    e = _env
    return [
        ev.ConnectionOpened(**e(), protocol="ssh"),
        ev.ConnectionClosed(
            **e(), protocol="telnet", reason="timeout", duration_s=12.5, bytes_in=300,
            bytes_out=900, recording="rec/1.cast",
        ),
        ev.AuthAttempt(
            **e(), protocol="ssh", username="root", password="123456", accepted=False,
            key_fingerprint="SHA256:abc", key_type="ssh-ed25519", client_version="SSH-2.0-Go",
            hassh="c" * 32,
        ),
        ev.CommandInput(**e(), protocol="ssh", command="uname -a; wget http://x/y", known=True),
        ev.CommandError(
            **e(), protocol="ssh", command="yes | head", reason="cpu", detail="cpu budget"
        ),
        ev.SessionRequest(
            **e(), protocol="ssh", request="direct-tcpip", target="10.0.0.1:25", accepted=False
        ),
        ev.FileUpload(
            **e(), protocol="ftp", filename="x.sh", sha256=SHA, size=120, truncated=True,
            stored_as="uploads/aa", refused="quota",
        ),
        ev.FileDownload(
            **e(), protocol="ssh", url="http://198.51.100.9/bot.sh", filename="bot.sh",
            fetched=True, sha256=SHA2, size=4096,
        ),
        ev.HttpRequest(
            **e("http"), method="POST", path="/wp-login.php", query="a=1&b=2",
            host="shop.example:8080", headers=(("Host", "shop.example:8080"),),
            body_excerpt="log=admin&pwd=x", body_size=15, user_agent="curl/8.0", status=403,
            tls=True, ja3="d" * 32, ja4="t13d1516h2_8daaf6152771_02713d6af862",
            tags=("wordpress", "login"), outbound=("http://evil.example/x",),
        ),
        ev.SmtpMessage(
            **e("smtp"), helo="mx.evil", mail_from="a@evil.example",
            rcpt_to=("b@corp.example", "c@corp.example"), header_from="boss@corp.example",
            subject="Invoice", size=2048, sha256=SHA, truncated=False,
            attachments=(
                ev.SmtpAttachment(
                    filename="inv.pdf.exe", content_type="application/x-msdownload",
                    sha256=SHA2, size=1000,
                ),
            ),
            spoofing=("header_from_mismatch",), spam_trap=True, authenticated_as="relay",
            stored_as="mail/1.eml",
        ),
        ev.DbQuery(
            **e("mysql"), protocol="mysql", query="SELECT * FROM users", database="shop",
            rows=None, error_code="1146", duration_ms=1.5,
        ),
        ev.ClientFingerprint(**e(), protocol="https", method="ja3", value="e" * 32, raw="771,..."),
        ev.HoneytokenTriggered(
            **e(), token_id="aws-key-1", token_kind="aws_key", protocol="http", detail="used"
        ),
        ev.SensorStatus(
            **e("monitor"), state="up", listen="127.0.0.1:2222", connections=3, events=10,
            detail="ok",
        ),
        ev.NetworkFlow(
            **e("monitor"), transport="tcp", started_at=T0 - timedelta(seconds=3),
            ended_at=T0, packets_out=10, packets_in=8, bytes_out=1000, bytes_in=5000,
            state="SF", tcp_flags_out=0x1B, tcp_flags_in=0x1B, syn_count=1, rst_count=0,
            fin_count=2, app="ssh", iat_mean_ms=1.5, iat_std_ms=0.5, payload_entropy=7.1,
            end_reason="fin",
        ),
        ev.NetworkPacket(
            **e("monitor"), transport="udp", length=512, tcp_flags=None, ttl=64,
            suspicious=True, attack_type="udp_flood", packet_number=77,
        ),
        ev.NetworkStats(
            sensor=ev.SensorRef(node="hp-1", component="monitor"), occurred_at=T0,
            window_s=10, total_packets=1000, malicious_packets=5, total_bytes=90000,
            dropped_packets=0,
        ),
        ev.NetworkDns(
            **e("monitor"), txid=4660, is_response=True, qname="evil.example", qtype="A",
            rcode="NOERROR",
            answers=(ev.DnsAnswer(name="evil.example", rtype="A", ttl=60, data="198.51.100.9"),),
        ),
        ev.NetworkHttp(
            **e("monitor"), is_response=False, method="GET", uri="/index.php?x=1",
            host="corp.example", user_agent="Mozilla/5.0", status=None,
        ),
        ev.NetworkTls(
            **e("monitor"), message="client_hello", version="TLS 1.2",
            supported_versions=("TLS 1.3", "TLS 1.2"), ciphers=("0x1301", "0xc02f"),
            cipher="TLS_AES_128_GCM_SHA256", sni="corp.example", alpn=("h2",),
            cert_key_bits=None, ja3="f" * 32, ja3_string="771,4865", ja3s="0" * 32,
            ja4="t13d1516h2_8daaf6152771_02713d6af862",
        ),
        ev.NetworkTls(
            **e("monitor"), message="certificate", cert_key_bits=2048, cert_key_type="RSA"
        ),
        ev.NetworkSsh(
            **e("monitor"), is_server=False, banner="SSH-2.0-libssh", hassh="1" * 32,
            hassh_string="curve25519-sha256",
        ),
        ev.NetworkArp(
            sensor=ev.SensorRef(node="hp-1", component="monitor"), occurred_at=T0,
            op="reply", eth_src="aa:bb:cc:dd:ee:ff", sender_mac="aa:bb:cc:dd:ee:ff",
            sender_ip="192.0.2.1", target_mac="00:11:22:33:44:55", target_ip="192.0.2.10",
        ),
        ev.ParserAnomaly(
            **e("monitor"), parser="tls", code="bad_record", detail="len", packet_number=3
        ),
        ev.Detection(
            **e("detectors"), rule="syn_flood", severity="critical", protocol="tcp",
            target=ev.Endpoint(ip="192.0.2.10", port=80), first_seen=T0 - timedelta(seconds=9),
            last_seen=T0, count=5000, summary="SYN flood", evidence=("packet:1",),
            detector="flood",
        ),
        ev.Detection(
            **e("detectors"), rule="weak_tls", severity="low", first_seen=T0, last_seen=T0,
            count=1, summary="TLS 1.0 offered", detector="tls",
        ),
        ev.Score(
            **e("scoring"), subject_event_id=uuid4(), subject_kind="network.flow", score=87.5,
            level="HIGH", decision="BLOCK", confidence=0.9, model_version="m1", anomaly=0.3,
            reasons=("rate",),
        ),
        ev.VerificationResult(
            **e("verify"), target="corp.example", method="dns", outcome="confirmed",
            detail="2 of 3 agree",
        ),
        ev.ResponseBlock(
            **e("response"), target="203.0.113.7", source="detection", reason="syn_flood",
            duration_s=600, expires_at=T0 + timedelta(seconds=600), backend="dry-run",
            applied=False, offence=2,
        ),
        ev.ResponseUnblock(
            **e("response"), target="203.0.113.0/24", reason="expired", backend="nftables",
            applied=True,
        ),
    ]  # fmt: skip
