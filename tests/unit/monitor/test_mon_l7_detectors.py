"""brute_force, arp_spoof, dns_spoof, ssl_strip, weak_tls and http_* on crafted traffic."""

from __future__ import annotations

from pathlib import Path

from mon_traffic import conn, detections, dns_query, run

from phantomnet.detection.config import ArpSpoofConfig, DetectorsConfig
from phantomnet.monitor import craft
from phantomnet.monitor.config import MonitorConfig

C, S = "10.0.0.7", "10.0.0.5"
GW, GW_MAC, EVIL_MAC = "10.0.0.1", "02:00:00:00:00:01", "02:00:00:00:00:66"


def test_ssh_brute_force_by_connections(tmp_path: Path) -> None:
    pk = []
    for i in range(12):
        pk += conn(C, S, 40000 + i, 22, 1.0 + i, b"SSH-2.0-libssh\r\n", b"SSH-2.0-OpenSSH\r\n")
    found = detections(run(tmp_path, pk), "brute_force")
    assert found and found[0].protocol == "ssh" and found[0].src and found[0].src.ip == C
    assert found[0].count == 8


def test_ftp_failed_logins_counted_per_reply(tmp_path: Path) -> None:
    pk = conn(C, S, 40000, 21, 1.0)
    for i in range(10):
        pk.append(
            (
                2.0 + i * 0.1,
                craft.tcp4(
                    S, C, 21, 40000, craft.ACK | craft.PSH, b"530 Login incorrect.\r\n", seq=900 + i
                ),
            )
        )
    found = detections(run(tmp_path, pk), "brute_force")
    assert found and found[0].protocol == "ftp" and found[0].src and found[0].src.ip == C


def test_few_logins_are_not_brute_force(tmp_path: Path) -> None:
    pk = []
    for i in range(4):
        pk += conn(C, S, 40000 + i, 22, 1.0 + i)
    assert detections(run(tmp_path, pk)) == []


def _arp(op: int, eth: str, smac: str, sip: str, tmac: str, tip: str) -> bytes:
    dst = craft.BROADCAST if op == 1 else tmac
    return craft.eth(eth, dst, 0x0806, craft.arp(op, smac, sip, tmac, tip))


def _normal_arp() -> list[tuple[float, bytes]]:
    return [
        (1.0, _arp(1, craft.MAC_A, craft.MAC_A, C, "00:00:00:00:00:00", GW)),
        (1.001, _arp(2, GW_MAC, GW_MAC, GW, craft.MAC_A, C)),
        (1.5, _arp(1, EVIL_MAC, EVIL_MAC, "10.0.0.66", "00:00:00:00:00:00", C)),
        (1.501, _arp(2, craft.MAC_A, craft.MAC_A, C, EVIL_MAC, "10.0.0.66")),
    ]


def test_arp_poisoning_of_the_gateway(tmp_path: Path) -> None:
    pk = _normal_arp()
    pk += [(2.0 + i, _arp(2, EVIL_MAC, EVIL_MAC, GW, craft.MAC_A, C)) for i in range(4)]
    found = detections(run(tmp_path, pk), "arp_spoof")
    assert found
    assert any("changed ethernet address" in d.summary for d in found)
    assert any("unsolicited reply" in d.summary for d in found)
    assert all(d.src and d.src.ip == "10.0.0.66" for d in found)
    assert found[0].target and found[0].target.ip == C
    assert found[0].last_seen.timestamp() <= 4.0  # within two bettercap intervals


def test_configured_gateway_mismatch_is_critical(tmp_path: Path) -> None:
    cfg = MonitorConfig(detectors=DetectorsConfig(arp_spoof=ArpSpoofConfig(gateways={GW: GW_MAC})))
    pk = [(2.0, _arp(2, EVIL_MAC, EVIL_MAC, GW, craft.MAC_A, C))]
    found = detections(run(tmp_path, pk, cfg), "arp_spoof")
    assert found and found[0].severity == "critical"


def test_ethernet_mismatch(tmp_path: Path) -> None:
    pk = [(1.0, _arp(2, EVIL_MAC, GW_MAC, GW, craft.MAC_A, C))]
    found = detections(run(tmp_path, pk), "arp_spoof")
    assert found and "ethernet mismatch" in found[0].summary


def test_benign_arp_and_vrrp_failover(tmp_path: Path) -> None:
    pk = _normal_arp()
    vip = "10.0.0.254"
    for i, mac in enumerate(("00:00:5e:00:01:01", "00:00:5e:00:01:02")):
        pk.append((3.0 + i, _arp(2, mac, mac, vip, craft.BROADCAST, vip)))
    pk += [
        (5.0 + i, _arp(1, craft.MAC_A, craft.MAC_A, C, "00:00:00:00:00:00", GW)) for i in range(5)
    ]
    pk += [(5.001 + i, _arp(2, GW_MAC, GW_MAC, GW, craft.MAC_A, C)) for i in range(5)]
    assert detections(run(tmp_path, pk)) == []


RESOLVER = "10.0.0.53"


def test_dns_spoof_race(tmp_path: Path) -> None:
    q = dns_query("bank.example", 0x1234)
    pk = [
        (1.0, craft.udp4(C, RESOLVER, 5555, 53, q)),
        (
            1.001,
            craft.udp4(
                RESOLVER, C, 53, 5555, dns_query("bank.example", 0x1234, ("6.6.6.6",), True)
            ),
        ),
        (
            1.02,
            craft.udp4(
                RESOLVER, C, 53, 5555, dns_query("bank.example", 0x1234, ("93.184.216.34",), True)
            ),
        ),
    ]
    found = detections(run(tmp_path, pk), "dns_spoof")
    assert found and found[0].target and found[0].target.ip == C
    assert "6.6.6.6" in found[0].summary and found[0].count == 2


def test_dns_answer_from_unasked_server(tmp_path: Path) -> None:
    pk = [
        (1.0, craft.udp4(C, RESOLVER, 5555, 53, dns_query("bank.example", 7))),
        (
            1.001,
            craft.udp4("10.0.0.66", C, 53, 5555, dns_query("bank.example", 7, ("6.6.6.6",), True)),
        ),
    ]
    found = detections(run(tmp_path, pk), "dns_spoof")
    assert found and found[0].src and found[0].src.ip == "10.0.0.66"


def test_dns_retransmission_with_rotated_answers_is_benign(tmp_path: Path) -> None:
    q = dns_query("cdn.example", 99)
    pk = [
        (1.0, craft.udp4(C, RESOLVER, 5555, 53, q)),
        (1.5, craft.udp4(C, RESOLVER, 5555, 53, q)),
        (
            1.51,
            craft.udp4(
                RESOLVER, C, 53, 5555, dns_query("cdn.example", 99, ("1.1.1.1", "1.1.1.2"), True)
            ),
        ),
        (
            1.52,
            craft.udp4(
                RESOLVER, C, 53, 5555, dns_query("cdn.example", 99, ("1.1.1.2", "1.1.1.3"), True)
            ),
        ),
        (2.0, craft.udp4(C, RESOLVER, 5556, 53, dns_query("x.example", 5))),
    ]
    assert detections(run(tmp_path, pk)) == []


BANK = "10.0.0.80"


def test_ssl_strip_credentials_over_http_after_tls(tmp_path: Path) -> None:
    pk = conn(
        C, BANK, 40000, 443, 1.0, craft.client_hello(sni="bank.example"), craft.server_hello()
    )
    post = (
        b"POST /login HTTP/1.1\r\nHost: bank.example\r\nContent-Type: application/x-www-form"
        b"-urlencoded\r\n\r\nuser=bob&password=hunter2"
    )
    pk += conn(C, BANK, 40001, 80, 5.0, post, b"HTTP/1.1 302 Found\r\n\r\n")
    found = detections(run(tmp_path, pk), "ssl_strip")
    assert found and found[0].target and found[0].target.ip == C
    assert "bank.example" in found[0].summary


def test_ssl_strip_bettercap_headers(tmp_path: Path) -> None:
    resp = (
        b"HTTP/1.1 200 OK\r\nAllow-Access-From-Same-Origin: *\r\nAccess-Control-Allow-Origin:"
        b" *\r\nAccess-Control-Allow-Methods: *\r\nAccess-Control-Allow-Headers: *\r\n\r\n"
    )
    pk = conn(C, BANK, 40001, 80, 5.0, b"GET / HTTP/1.1\r\nHost: x.example\r\n\r\n", resp)
    found = detections(run(tmp_path, pk), "ssl_strip")
    assert found and "bettercap" in found[0].summary


def test_plain_http_login_to_never_tls_host_is_not_ssl_strip(tmp_path: Path) -> None:
    post = b"POST /login HTTP/1.1\r\nHost: intranet.example\r\n\r\nuser=a&password=b"
    pk = conn(C, BANK, 40001, 80, 5.0, post, b"HTTP/1.1 200 OK\r\n\r\n")
    pk += conn(
        C,
        "10.0.0.81",
        40002,
        443,
        6.0,
        craft.client_hello(sni="other.example"),
        craft.server_hello(),
    )
    assert detections(run(tmp_path, pk), "ssl_strip") == []


def test_weak_tls_negotiation(tmp_path: Path) -> None:
    pk = conn(
        C,
        S,
        40000,
        443,
        1.0,
        craft.client_hello(),
        craft.server_hello(cipher=0x0005, version=0x0301, record_version=0x0301),
    )
    found = detections(run(tmp_path, pk), "weak_tls")
    assert found and "TLS 1.0 negotiated" in found[0].summary and "RC4" in found[0].summary
    assert "downgrade" in found[0].summary
    assert found[0].src and found[0].src.ip == S
    # a downgrade names the server (SNI) multi-path verification checks
    assert found[0].subject == "example.com"


def test_strong_tls_is_fine(tmp_path: Path) -> None:
    pk = conn(
        C,
        S,
        40000,
        443,
        1.0,
        craft.client_hello(),
        craft.server_hello(cipher=0x1301, selected=0x0304),
    )
    pk += conn(C, S, 40001, 443, 2.0, craft.client_hello(), craft.server_hello(cipher=0xC02F))
    assert detections(run(tmp_path, pk)) == []


def test_web_attacks_on_the_wire(tmp_path: Path) -> None:
    reqs = [
        b"GET /item.php?id=1%27%20UNION%20SELECT%20user,pass%20FROM%20users--+ HTTP/1.1\r\n\r\n",
        b"GET /static/../../../../etc/passwd HTTP/1.1\r\n\r\n",
        b"POST /ping HTTP/1.1\r\nHost: x\r\n\r\nhost=127.0.0.1;cat%20/etc/shadow",
    ]
    pk = []
    for i, req in enumerate(reqs):
        pk += conn(C, S, 40000 + i, 80, 1.0 + i, req, b"HTTP/1.1 200 OK\r\n\r\n")
    events = run(tmp_path, pk)
    for rule in ("http_sqli", "http_traversal", "http_cmd_injection"):
        found = detections(events, rule)
        assert found and found[0].src and found[0].src.ip == C, rule
        assert found[0].target and found[0].target.port == 80


def test_benign_web_requests(tmp_path: Path) -> None:
    reqs = [
        b"GET /search?q=select+a+union+station+map HTTP/1.1\r\n\r\n",
        b"GET /docs/v1.2/../index.html HTTP/1.1\r\n\r\n",
        b'POST /api HTTP/1.1\r\n\r\n{"name": "O\'Brien", "cmd": "cat food"}',
    ]
    pk = []
    for i, req in enumerate(reqs):
        pk += conn(C, S, 40000 + i, 80, 1.0 + i, req, b"HTTP/1.1 200 OK\r\n\r\n")
    assert detections(run(tmp_path, pk)) == []


def test_protocols_are_handled_in_packet_order_within_a_batch(tmp_path: Path) -> None:
    """TLS to bank.example then a plain POST in the same batch: the hello counts first."""
    pk = conn(C, BANK, 40000, 443, 1.0, craft.client_hello(sni="bank.example"))
    post = b"POST /login HTTP/1.1\r\nHost: bank.example\r\n\r\npassword=x"
    pk += conn(C, "10.0.0.66", 40001, 80, 1.01, post)
    assert detections(run(tmp_path, pk), "ssl_strip")


def _cert_der(cn: str) -> bytes:
    """A real self-signed certificate (DER), made with the cryptography library."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _tls12(
    cport: int, t: float, der: bytes, sni: str = "bank.example"
) -> list[tuple[float, bytes]]:
    hello = craft.client_hello(sni=sni, versions=())
    return conn(C, S, cport, 443, t, hello, craft.server_hello() + craft.certificate([der]))


def test_cert_change_names_the_server_once(tmp_path: Path) -> None:
    first, second = _cert_der("bank.example"), _cert_der("bank.example")
    pk = _tls12(40000, 1.0, first) + _tls12(40001, 2.0, first)  # the same key: quiet
    pk += _tls12(40002, 3.0, second) + _tls12(40003, 4.0, second)  # changed, then stable
    pk += _tls12(40004, 5.0, second, sni="other.example")  # another name: its own reference
    found = detections(run(tmp_path, pk), "cert_change")
    assert len(found) == 1, [d.summary for d in found]
    assert found[0].subject == "bank.example" and found[0].protocol == "tls"
    assert f"bank.example ({S}:443)" in found[0].summary
    assert found[0].target and found[0].target.ip == C


def test_one_certificate_per_server_is_quiet(tmp_path: Path) -> None:
    der = _cert_der("bank.example")
    pk = _tls12(40000, 1.0, der) + _tls12(40001, 2.0, der, sni="x.example")
    assert detections(run(tmp_path, pk), "cert_change") == []
