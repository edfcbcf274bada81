"""XXE on the HTTP door's XML endpoints (``/xmlrpc.php``, the SOAP decoy), with curl and
Python's own XML-RPC client: entities read the FAKE host, network entities are recorded and
never made, entity bombs are refused, and the real filesystem stays out of reach."""

from __future__ import annotations

import asyncio
import base64
import html
import re
import secrets
import socket
import threading
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from phantomnet.bus.memory import MemoryBus
from phantomnet.detection.http_attacks import HttpAttacks, HttpAttacksConfig
from phantomnet.events import AuthAttempt, HttpRequest
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from tests.conftest import require_tool
from tests.integration.sensors.http.conftest import Web, run

pytestmark = pytest.mark.integration


def entity_call(url: str, method_wrapped: bool = True) -> str:
    body = "&e;" if method_wrapped else "x"
    return (f'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY e SYSTEM "{url}">]>\n'
            f"<methodCall><methodName>{body}</methodName></methodCall>")  # fmt: skip


async def post(web: Web, path: str, body: str | bytes, ctype: str = "text/xml") -> str:
    data = body.decode("latin-1") if isinstance(body, bytes) else body
    out = await run("curl", "-sS", "-i", "-H", f"Content-Type: {ctype}", "--data-binary", data,
                    web.url + path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


def fault_string(resp: str) -> str:
    found = re.search(r"<name>faultString</name>\s*<value><string>(.*?)</string>", resp, re.S)
    assert found, resp
    return html.unescape(found.group(1))


async def test_file_entity_reads_the_fake_host_through_xmlrpc(web: Web) -> None:
    require_tool("curl")
    resp = await post(web, "/xmlrpc.php", entity_call("file:///etc/passwd"))
    assert resp.startswith("HTTP/1.1 200 OK")
    fake = web.host.fs("127.0.0.1").read("/etc/passwd").decode()
    assert fault_string(resp) == f"server error. requested method {fake.strip()} does not exist."
    assert fake.startswith("root:x:0:0:root:/root:/bin/bash\n")
    with open("/etc/passwd") as real:  # the real one differs (this machine's accounts)
        assert fake != real.read()
    [event] = await web.events(HttpRequest)
    assert "xxe" in event.tags and event.outbound == ()
    detector = HttpAttacks(HttpAttacksConfig(use_classifier=False), node="test")
    assert [d.rule for d in detector.observe(event)] == ["http_xxe"]
    # the classifier (monitor, untagged events) sees the same payload (and the file:// path)
    classified = HttpAttacks(HttpAttacksConfig(), node="test")
    untagged = event.model_copy(update={"tags": ()})
    assert [d.rule for d in classified.observe(untagged)] == ["http_traversal", "http_xxe"]


async def test_a_real_file_is_never_disclosed(web: Web, tmp_path: Path) -> None:
    require_tool("curl")
    secret = "REAL-" + secrets.token_hex(12)
    real = tmp_path / "only-on-the-real-host.txt"
    real.write_text(secret + "\n")
    for url in (f"file://{real}", str(real), f"php://filter/convert.base64-encode/resource={real}"):
        resp = await post(web, "/xmlrpc.php", entity_call(url))
        assert secret not in resp
        assert base64.b64encode(secret.encode()).decode()[:16] not in resp
        assert fault_string(resp) == "server error. requested method  does not exist."
    dtd = f'<!DOCTYPE m SYSTEM "{real}"><methodCall><methodName>x</methodName></methodCall>'
    assert secret not in await post(web, "/xmlrpc.php", dtd)
    soap = (f'<!DOCTYPE s [<!ENTITY e SYSTEM "file://{real}">]>'
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
            "<GetProduct><id>&e;</id></GetProduct></s:Body></s:Envelope>")  # fmt: skip
    assert secret not in await post(web, "/api/soap", soap)


async def test_network_entities_are_recorded_and_never_made(web: Web) -> None:
    require_tool("curl")
    connections: list[int] = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.close()

    listener = await asyncio.start_server(count, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        urls = [f"http://127.0.0.1:{port}/x.dtd", f"ftp://127.0.0.1:{port}/x"]
        oob = (f'<!DOCTYPE m [<!ENTITY % d SYSTEM "{urls[0]}"> %d;]>'
               "<methodCall><methodName>demo.sayHello</methodName></methodCall>")  # fmt: skip
        hello = await post(web, "/xmlrpc.php", oob)
        assert "<string>Hello!</string>" in hello  # the DTD "did not answer": the call goes on
        resp = await post(web, "/xmlrpc.php", entity_call(urls[1]))
        assert fault_string(resp) == "server error. requested method  does not exist."
        ping = ("<methodCall><methodName>pingback.ping</methodName><params>"
                f"<param><value><string>http://127.0.0.1:{port}/p</string></value></param>"
                "<param><value><string>http://site/?p=1</string></value></param>"
                "</params></methodCall>")  # fmt: skip
        assert fault_string(await post(web, "/xmlrpc.php", ping)) == (
            "The source URL does not exist.")  # fmt: skip
        events = await web.events(HttpRequest, 3)
        await asyncio.sleep(0.5)  # a connection the door made would have arrived by now
    finally:
        listener.close()
    assert connections == []
    assert [e.outbound for e in events] == [
        (urls[0],), (urls[1],), (f"http://127.0.0.1:{port}/p",)]  # fmt: skip
    assert ["xxe" in e.tags for e in events] == [True, True, False]


async def test_entity_bombs_are_refused_and_the_door_keeps_serving(web: Web) -> None:
    require_tool("curl")
    decls = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY l0 "lol">{decls}]>'
              "<methodCall><methodName>&l9;</methodName></methodCall>")  # fmt: skip
    quadratic = ('<!DOCTYPE m [<!ENTITY a "' + "A" * 40_000 + '">]><methodCall><methodName>'
                 + "&a;" * 4000 + "</methodName></methodCall>")  # fmt: skip
    for bomb in (laughs, quadratic):
        resp = await post(web, "/xmlrpc.php", bomb)
        assert fault_string(resp) == "parse error. not well formed"
        assert len(resp) < 4096
    hello = "<methodCall><methodName>demo.sayHello</methodName></methodCall>"
    assert "<string>Hello!</string>" in await post(web, "/xmlrpc.php", hello)
    events = await web.events(HttpRequest, 3)
    assert ["xxe" in e.tags for e in events] == [True, True, False]


async def test_python_xmlrpc_client_sees_wordpress(web: Web) -> None:
    with xmlrpc.client.ServerProxy(web.url + "/xmlrpc.php") as proxy:
        await _xmlrpc_calls(proxy)
    attempts = await web.events(AuthAttempt, 4)
    assert [(a.username, a.password) for a in attempts] == [
        ("admin", "hunter2"), ("admin", "a1"), ("admin", "b2"), ("admin", "c3")]  # fmt: skip
    assert not any(a.accepted for a in attempts)


async def _xmlrpc_calls(proxy: xmlrpc.client.ServerProxy) -> None:
    methods = await asyncio.to_thread(proxy.system.listMethods)
    assert "wp.getUsersBlogs" in methods and "system.multicall" in methods
    assert await asyncio.to_thread(proxy.demo.sayHello) == "Hello!"
    with pytest.raises(xmlrpc.client.Fault) as fault:
        await asyncio.to_thread(proxy.wp.getUsersBlogs, "admin", "hunter2")
    assert (fault.value.faultCode, fault.value.faultString) == (
        403, "Incorrect username or password.")  # fmt: skip
    multi = xmlrpc.client.MultiCall(proxy)
    for pw in ("a1", "b2", "c3"):
        multi.wp.getUsersBlogs("admin", pw)
    results = await asyncio.to_thread(lambda: list(map(repr, _each(multi()))))
    assert results == ["403"] * 3
    with pytest.raises(xmlrpc.client.Fault) as unknown:
        await asyncio.to_thread(proxy.no.such)
    assert unknown.value.faultCode == -32601


def _each(results: xmlrpc.client.MultiCallIterator) -> list[int]:
    codes = []
    for i in range(3):
        try:
            results[i]
        except xmlrpc.client.Fault as f:
            codes.append(f.faultCode)
    return codes


async def test_soap_decoy_wsdl_and_entity_reflection(web: Web) -> None:
    require_tool("curl")
    got = await run("curl", "-sS", web.url + "/api/soap?wsdl")
    wsdl = etree.fromstring(got.stdout.encode())
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    ops = wsdl.xpath("//w:portType/w:operation/@name", namespaces=ns)
    assert ops == ["GetProduct", "SearchProducts", "GetStock", "Login"]
    [address] = wsdl.xpath("//s:address/@location", namespaces=ns)
    assert address == web.url + "/api/soap"
    leak = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e SYSTEM "php://filter/convert.base64-'
            'encode/resource=/var/www/html/wp-config.php">]>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:urn="urn:InventoryService"><soapenv:Body><urn:GetProduct><id>&e;</id>'
            "</urn:GetProduct></soapenv:Body></soapenv:Envelope>")  # fmt: skip
    resp = await post(web, "/api/soap", leak)
    assert resp.startswith("HTTP/1.1 500 Internal Server Error")
    reply = etree.fromstring(resp.split("\n\n", 1)[1].encode())
    fault = reply.findtext(".//faultstring")
    assert fault is not None and fault.startswith("Product not found: ")
    config = base64.b64decode(fault.removeprefix("Product not found: "))
    assert config == web.host.fs("127.0.0.1").read("/var/www/html/wp-config.php")
    assert b"DB_PASSWORD" in config
    good = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
            "<GetProduct><id>1</id></GetProduct></s:Body></s:Envelope>")  # fmt: skip
    ok = await post(web, "/api/soap", good)
    name = web.sensor.site.db.product("127.0.0.1", "1").rows[0][1]
    assert ok.startswith("HTTP/1.1 200 OK") and f">{html.escape(str(name))}</return>" in ok
    bad = await post(web, "/api/soap", "<not xml")
    assert "<faultcode>SOAP-ENV:Client</faultcode><faultstring>Bad Request</faultstring>" in bad
    events = await web.events(HttpRequest, 4)
    assert [("xxe" in e.tags) for e in events] == [False, True, False, False]


# -- fuzz: arbitrary XML-ish bodies over real sockets ------------------------------------------
SECRET = "REAL-" + secrets.token_hex(10)


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The HTTP door on its own event loop thread (hypothesis drives it synchronously)."""
    tmp = tmp_path_factory.mktemp("xxe-fuzz")
    real = tmp / "real-secret.txt"
    real.write_text(SECRET)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[HttpSensor, asyncio.Task[None]]:
        ctx = SensorContext(node="test", bus=MemoryBus(), data_dir=tmp / "data")
        sensor = HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=None), ctx)
        await sensor.start()
        return sensor, asyncio.ensure_future(sensor.run())

    sensor, task = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    assert sensor.bound_port is not None
    yield sensor.bound_port, real
    asyncio.run_coroutine_threadsafe(sensor.stop(), loop).result(60)
    loop.call_soon_threadsafe(task.cancel)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.close()


def post_raw(port: int, path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(head + body)
        while chunk := s.recv(65536):
            got += chunk
    return got


PIECES = st.sampled_from([
    b"<?xml version='1.0'?>", b"<!DOCTYPE m [", b"]>", b"<!ENTITY ", b"% ", b"e ", b"SYSTEM ",
    b'"file:///etc/passwd"', b'"http://127.0.0.1:9/x"', b"REALFILE", b"&e;", b"%e;",
    b"<methodCall><methodName>", b"</methodName></methodCall>", b'"&e;&e;&e;"', b"\x00", b"\xff",
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetProduct><id>',
    b"</id></GetProduct></s:Body></s:Envelope>", b"<![CDATA[", b"]]>", b"<!--", b"-->",
])  # fmt: skip
XML_BODY = st.lists(st.one_of(PIECES, st.binary(max_size=10)), max_size=25).map(b"".join)


@settings(max_examples=120, deadline=None, derandomize=False)
@given(body=XML_BODY, path=st.sampled_from(["/xmlrpc.php", "/api/soap"]))
def test_xml_doors_take_any_body(door: tuple[int, Path], body: bytes, path: str) -> None:
    port, real = door
    body = body.replace(b"REALFILE", f'"file://{real}"'.encode())
    got = post_raw(port, path, body)
    status = got.split(b"\r\n", 1)[0]
    assert status in (b"HTTP/1.1 200 OK", b"HTTP/1.1 500 Internal Server Error"), got[:200]
    assert SECRET.encode() not in got
    hello = b"<methodCall><methodName>demo.sayHello</methodName></methodCall>"
    assert b"<string>Hello!</string>" in post_raw(port, "/xmlrpc.php", hello)
