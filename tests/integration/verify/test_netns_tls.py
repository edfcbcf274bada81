"""TLS through real independent paths: DoT/DoH to a real unbound, SSL stripping, interception.

The lab (``lab.py``, ``build(..., tls=True)``) gets an HTTPS site (``secure.lab.test``, a
certificate from a test CA every path trusts through ``ca_file``), a real unbound serving
DNS over TLS and DNS over HTTPS with a certificate of that CA, and two attackers written
here, each inside one path namespace:

* p2: an SSL-stripping HTTP proxy: it fetches the https page itself and serves it over plain
  http (no redirect, no HSTS): the path's final scheme is ``http``;
* p3: a TLS-intercepting proxy (``CONNECT``, and transparent on 8443) that terminates TLS
  with a certificate of its own rogue CA, trusted on that path only (an installed root).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phantomnet.verify.config import PathConfig
from phantomnet.verify.engine import Verdict, ask_all
from phantomnet.verify.path import Question, build_path
from tests.integration.verify.certs import Leaf, make_ca
from tests.integration.verify.lab import (
    DOT_IP,
    DOT_NAME,
    EVIL_IP,
    SITE_IP,
    TLS_IP,
    TLS_NAME,
    Lab,
    build,
)

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(600)]

TIMEOUT_S = 60.0
URL = f"https://{TLS_NAME}/"

STRIP = r"""
import asyncio, ssl, sys
listen, upstream, ca = sys.argv[1:4]
cctx = ssl.create_default_context(cafile=ca)

async def handle(r, w):
    try:
        head = await r.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n")[0].decode().split()
        host, _, path = target.split("://", 1)[1].partition("/")
        ur, uw = await asyncio.open_connection(upstream, 443, ssl=cctx, server_hostname=host)
        uw.write(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await uw.drain()
        answer = await ur.read()
        uw.close()
        top, _, body = answer.partition(b"\r\n\r\n")
        body = body.replace(b"https://", b"http://")
        keep = [line for line in top.split(b"\r\n") if not line.lower().startswith(
            (b"strict-transport-security", b"content-length", b"connection"))]
        keep += [b"Content-Length: %d" % len(body), b"Connection: close"]
        w.write(b"\r\n".join(keep) + b"\r\n\r\n" + body)
        await w.drain()
    finally:
        w.close()

async def main():
    server = await asyncio.start_server(handle, listen, 8080)
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""

INTERCEPT = r"""
import asyncio, ssl, sys
listen, upstream, name, cert, key, ca = sys.argv[1:7]
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(cert, key)
cctx = ssl.create_default_context(cafile=ca)

async def pump(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        w.close()

async def relay(r, w, host, port):
    ur, uw = await asyncio.open_connection(upstream, port, ssl=cctx, server_hostname=host)
    await asyncio.gather(pump(r, uw), pump(ur, w))

async def connect(r, w):
    head = await r.readuntil(b"\r\n\r\n")
    method, target, _ = head.split(b"\r\n")[0].decode().split()
    host, _, port = target.rpartition(":")
    w.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await w.drain()
    await w.start_tls(sctx)  # a server stream: the proxy is the TLS server now
    await relay(r, w, host, int(port))

async def transparent(r, w):
    await relay(r, w, name, 443)

async def main():
    a = await asyncio.start_server(connect, listen, 8080)
    b = await asyncio.start_server(transparent, listen, 8443, ssl=sctx)
    print("ready", flush=True)
    await asyncio.gather(a.serve_forever(), b.serve_forever())

asyncio.run(main())
"""


@dataclass
class TlsLab:
    lab: Lab
    ca: Path
    rogue_ca: Path
    #: the lab CA and the rogue CA: what the intercepted path trusts
    bundle: Path
    site: Leaf
    rogue: Leaf


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsLab]:
    tmp = tmp_path_factory.mktemp("vtls")
    with ExitStack() as stack:
        lab = build(tmp, stack, tls=True)
        ca = make_ca(tmp, "PhantomNet Lab CA")
        rogue_ca = make_ca(tmp, "Rogue Inspection CA")
        site = ca.issue(tmp, "site", [TLS_NAME])
        dot = ca.issue(tmp, "dot", [DOT_NAME], [DOT_IP])
        rogue = rogue_ca.issue(tmp, "rogue", [TLS_NAME])
        bundle = tmp / "bundle.pem"
        bundle.write_bytes(ca.pem.read_bytes() + rogue_ca.pem.read_bytes())
        lab.tls_site(site.cert, site.key)
        lab.unbound(dot.cert, dot.key)
        strip, intercept = tmp / "strip.py", tmp / "intercept.py"
        strip.write_text(STRIP)
        intercept.write_text(INTERCEPT)
        lab.start(
            lab.ns("p2"),
            [sys.executable, str(strip), lab.addr("p2"), TLS_IP, str(ca.pem)],
            "ready",
        )
        argv = [sys.executable, str(intercept), lab.addr("p3"), TLS_IP, TLS_NAME]
        lab.start(lab.ns("p3"), [*argv, str(rogue.cert), str(rogue.key), str(ca.pem)], "ready")
        yield TlsLab(lab, ca.pem, rogue_ca.pem, bundle, site, rogue)


def netns(lab: Lab, name: str, where: str, kind: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "netns",
        "settings": {"namespace": lab.ns(where), "path": {"kind": kind, "settings": settings}},
    }


async def vote(kind: str, target: str, specs: list[dict[str, Any]]) -> Verdict:
    paths = [build_path(PathConfig.model_validate(s)) for s in specs]
    question = Question(kind, target)  # type: ignore[arg-type]
    return await ask_all(question, paths, timeout_s=TIMEOUT_S, early_stop=False)


def honest_http(t: TlsLab) -> list[dict[str, Any]]:
    lab = t.lab
    return [
        netns(lab, "p0-http", "p0", "http", resolver=lab.addr("p0"), ca_file=str(t.ca)),
        netns(lab, "p1-http", "p1", "http", resolver=lab.addr("p1"), ca_file=str(t.ca)),
        netns(
            lab, "p5-http", "p5", "http", proxy=f"http://{lab.addr('p5')}:8118", ca_file=str(t.ca)
        ),
        netns(
            lab,
            "p4-http",
            "p4",
            "http",
            proxy=f"socks5h://{lab.addr('p4')}:1080",
            ca_file=str(t.ca),
        ),
    ]


def plain_dns(lab: Lab) -> list[dict[str, Any]]:
    return [
        netns(lab, f"{p}-dns", p, "dns", server=f"{lab.addr(p)}:53", types=["A"])
        for p in ("p0", "p1", "p3")
    ]


def dot(t: TlsLab, name: str, where: str, ca: Path, **extra: Any) -> dict[str, Any]:
    settings = {"server": DOT_IP, "server_name": DOT_NAME, "ca_file": str(ca), "types": ["A"]}
    return netns(t.lab, name, where, "dns", **(settings | extra))


# --- DNS over TLS / HTTPS against a real unbound ---------------------------------------


async def test_dot_and_doh_agree_with_plain_dns(tls_lab: TlsLab) -> None:
    specs = [
        *plain_dns(tls_lab.lab)[:2],
        dot(tls_lab, "p0-dot", "p0", tls_lab.ca, transport="tls"),
        dot(tls_lab, "p1-doh", "p1", tls_lab.ca, transport="https", url="/dns-query"),
    ]
    verdict = await vote("dns", "ok.lab.test", specs)
    d = verdict.as_dict()
    assert d["failed_paths"] == [], d["paths"]
    assert d["attack_detected"] is False and d["confidence"] == "HIGH"
    assert d["paths"]["p0-dot"]["addresses"] == [SITE_IP]
    assert d["paths"]["p1-doh"]["addresses"] == [SITE_IP]


async def test_dot_outvotes_the_poisoned_resolver(tls_lab: TlsLab) -> None:
    specs = [
        *plain_dns(tls_lab.lab),
        dot(tls_lab, "p3-dot", "p3", tls_lab.ca, transport="tls"),
        dot(tls_lab, "p3-doh", "p3", tls_lab.ca, transport="https"),
    ]
    verdict = await vote("dns", "www.lab.test", specs)
    d = verdict.as_dict()
    # the same namespace, its poisoned plain resolver bypassed by the encrypted transports
    assert d["attack_type"] == "DNS_HIJACKING" and d["compromised_paths"] == ["p3-dns"]
    assert d["paths"]["p3-dns"]["addresses"] == [EVIL_IP]
    assert {"p3-dot", "p3-doh"} <= set(d["agreed_paths"])


@pytest.mark.parametrize("transport", ["tls", "https"])
async def test_a_wrong_ca_fails_closed(tls_lab: TlsLab, transport: str) -> None:
    specs = [
        *plain_dns(tls_lab.lab)[:2],
        dot(tls_lab, "bad", "p0", tls_lab.rogue_ca, transport=transport),
    ]
    verdict = await vote("dns", "ok.lab.test", specs)
    assert verdict.failed_paths == ("bad",)
    assert "CERTIFICATE_VERIFY_FAILED" in verdict.per_path["bad"]["reason"]
    assert verdict.per_path["bad"]["agrees"] is False


async def test_a_wrong_server_name_fails_closed(tls_lab: TlsLab) -> None:
    specs = [
        *plain_dns(tls_lab.lab)[:2],
        dot(tls_lab, "bad", "p0", tls_lab.ca, transport="tls", server_name="other.lab.test"),
    ]
    verdict = await vote("dns", "ok.lab.test", specs)
    assert verdict.failed_paths == ("bad",)


# --- TLS facts of the HTTP answer --------------------------------------------------------


async def test_all_honest_https_paths_are_clean(tls_lab: TlsLab) -> None:
    verdict = await vote("http", f"http://{TLS_NAME}/", honest_http(tls_lab))
    d = verdict.as_dict()
    assert d["failed_paths"] == [], d["paths"]
    assert d["attack_detected"] is False and d["confidence"] == "HIGH"
    for name in ("p0-http", "p4-http", "p5-http"):  # direct, SOCKS5 and CONNECT
        seen = d["paths"][name]
        assert seen["final_scheme"] == "https" and seen["spki_sha256"] == tls_lab.site.spki
        assert seen["redirects"] == [{"url": f"http://{TLS_NAME}/", "status": 301}]
        assert seen["hsts_max_age"] == 31536000
        assert next(c["issuer"] for c in seen["chain"]) == "CN=PhantomNet Lab CA"


async def test_ssl_stripping_proxy_is_named(tls_lab: TlsLab) -> None:
    lab = tls_lab.lab
    strip = netns(
        lab, "p2-http", "p2", "http", proxy=f"http://{lab.addr('p2')}:8080", ca_file=str(tls_lab.ca)
    )
    verdict = await vote("http", f"http://{TLS_NAME}/", [*honest_http(tls_lab), strip])
    d = verdict.as_dict()
    assert d["attack_detected"] is True and d["attack_type"] == "SSL_STRIPPING"
    assert d["compromised_paths"] == ["p2-http"]
    stripped = d["paths"]["p2-http"]
    assert stripped["final_scheme"] == "http" and stripped["hsts_max_age"] is None
    assert stripped["status"] == 200  # the same page: only the scheme gives it away


async def test_tls_interception_is_named(tls_lab: TlsLab) -> None:
    lab = tls_lab.lab
    mitm = netns(
        lab,
        "p3-http",
        "p3",
        "http",
        proxy=f"http://{lab.addr('p3')}:8080",
        ca_file=str(tls_lab.bundle),
    )
    verdict = await vote("http", URL, [*honest_http(tls_lab), mitm])
    d = verdict.as_dict()
    assert d["attack_detected"] is True and d["attack_type"] == "TLS_INTERCEPTION"
    assert d["compromised_paths"] == ["p3-http"]
    seen = d["paths"]["p3-http"]
    assert seen["spki_sha256"] == tls_lab.rogue.spki
    assert seen["chain"][0]["issuer"] == "CN=Rogue Inspection CA"


async def test_an_interceptor_the_path_does_not_trust_fails_closed(tls_lab: TlsLab) -> None:
    lab = tls_lab.lab
    mitm = netns(
        lab, "p3-http", "p3", "http", proxy=f"http://{lab.addr('p3')}:8080", ca_file=str(tls_lab.ca)
    )
    verdict = await vote("http", URL, [*honest_http(tls_lab), mitm])
    assert verdict.failed_paths == ("p3-http",)
    assert verdict.attack_detected is False and verdict.confidence == "HIGH"


# --- the tls question --------------------------------------------------------------------


def tls_paths(t: TlsLab) -> list[dict[str, Any]]:
    lab = t.lab
    return [netns(lab, f"{p}-tls", p, "tls", resolver=lab.addr(p)) for p in ("p0", "p1", "p5")] + [
        # the interceptor's transparent port: where this path's traffic for the name lands
        netns(lab, "p3-tls", "p3", "tls", connect_to=f"{lab.addr('p3')}:8443"),
    ]


async def test_tls_question_names_the_intercepted_path(tls_lab: TlsLab) -> None:
    verdict = await vote("tls", f"{TLS_NAME}:443", tls_paths(tls_lab))
    d = verdict.as_dict()
    assert d["attack_detected"] is True and d["attack_type"] == "TLS_INTERCEPTION"
    assert d["compromised_paths"] == ["p3-tls"]
    assert d["paths"]["p0-tls"]["spki_sha256"] == [tls_lab.site.spki]
    assert d["paths"]["p3-tls"]["spki_sha256"] == [tls_lab.rogue.spki]
    assert d["confidence"] == "HIGH"


async def test_tls_question_through_connect_proxies(tls_lab: TlsLab) -> None:
    lab = tls_lab.lab
    specs = [
        *tls_paths(tls_lab)[:2],
        netns(lab, "p5-tls", "p5", "tls", proxy=f"http://{lab.addr('p5')}:8118"),
        netns(lab, "p3-tls", "p3", "tls", proxy=f"http://{lab.addr('p3')}:8080"),
    ]
    verdict = await vote("tls", f"{TLS_NAME}:443", specs)
    d = verdict.as_dict()
    assert d["compromised_paths"] == ["p3-tls"] and d["attack_type"] == "TLS_INTERCEPTION"
    assert d["paths"]["p5-tls"]["spki_sha256"] == [tls_lab.site.spki]  # honest Privoxy


async def test_tls_question_all_honest_is_clean(tls_lab: TlsLab) -> None:
    verdict = await vote("tls", f"{TLS_NAME}:443", tls_paths(tls_lab)[:3])
    assert verdict.attack_detected is False and verdict.confidence == "HIGH"
    chain = verdict.per_path["p1-tls"]["chain"]
    assert chain[0]["subject"] == f"CN={TLS_NAME}"


async def test_tls_question_verify_with_wrong_ca_fails_closed(tls_lab: TlsLab) -> None:
    lab = tls_lab.lab
    specs = [
        *tls_paths(tls_lab)[:2],
        netns(
            lab,
            "strict",
            "p0",
            "tls",
            resolver=lab.addr("p0"),
            verify=True,
            ca_file=str(tls_lab.rogue_ca),
        ),
    ]
    verdict = await vote("tls", f"{TLS_NAME}:443", specs)
    assert verdict.failed_paths == ("strict",)


async def test_verifying_an_https_url_asks_its_key_too(tls_lab: TlsLab) -> None:
    """``Verifier.verify`` (the CLI and ``POST /api/v1/verify``) asks the name, the page and,
    for https, the key: the intercepting path is named by the ``tls`` question."""
    from phantomnet.verify.config import verify_config
    from phantomnet.verify.verifier import Verifier

    paths = plain_dns(tls_lab.lab) + honest_http(tls_lab) + tls_paths(tls_lab)
    cfg = verify_config({"timeout_s": 60, "early_stop": False, "paths": paths})
    report, verdicts = await Verifier(cfg).verify(URL)
    assert [v.question.kind for v in verdicts] == ["dns", "http", "tls"]
    tls = verdicts[2]
    assert tls.question.target == f"{TLS_NAME}:443"
    assert tls.compromised_paths == ("p3-tls",) and tls.attack_type == "TLS_INTERCEPTION"
    assert report["attack_detected"] is True and "p3-tls" in report["compromised_paths"]
