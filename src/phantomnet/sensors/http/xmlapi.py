"""The XML endpoints: WordPress's ``/xmlrpc.php`` and a SOAP API decoy (``/api/soap``, WSDL
at ``?wsdl``), both parsed by :mod:`xxe` so external entities read the fake host.

XML-RPC answers like WordPress's IXR server: ``system.listMethods``, ``demo.sayHello``,
``system.multicall`` (the brute-force amplifier), credential methods (``wp.getUsersBlogs``...)
recorded as ``auth.attempt``, ``pingback.ping`` (its source URL recorded as an outbound
attempt, never fetched) and ``-32601 requested method ... does not exist`` for the rest, which
reflects an entity in ``methodName`` the way the real server does. The SOAP decoy is a PHP
``SoapServer`` shaped inventory service whose faults reflect the element they could not
find.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from lxml import etree

from phantomnet.sensors.http import apache, logins
from phantomnet.sensors.http.apache import Response
from phantomnet.sensors.http.request import Request, Site
from phantomnet.sensors.http.xxe import XmlDoc, parse, text

MAX_CALLS = 40  # credentials tried per request (system.multicall)
XML = "text/xml; charset=UTF-8"
WP_METHODS = (
    "system.multicall", "system.listMethods", "system.getCapabilities", "demo.addTwoNumbers",
    "demo.sayHello", "pingback.extensions.getPingbacks", "pingback.ping", "mt.publishPost",
    "mt.getTrackbackPings", "mt.supportedTextFilters", "mt.supportedMethods",
    "mt.setPostCategories", "mt.getPostCategories", "mt.getRecentPostTitles",
    "mt.getCategoryList", "metaWeblog.getUsersBlogs",
    "metaWeblog.deletePost", "metaWeblog.newMediaObject", "metaWeblog.getCategories",
    "metaWeblog.getRecentPosts", "metaWeblog.getPost", "metaWeblog.editPost", "metaWeblog.newPost",
    "blogger.deletePost", "blogger.editPost", "blogger.newPost", "blogger.getRecentPosts",
    "blogger.getPost", "blogger.getUserInfo", "blogger.getUsersBlogs", "wp.restoreRevision",
    "wp.getRevisions", "wp.getPostTypes", "wp.getPostType", "wp.getPostFormats",
    "wp.getMediaLibrary", "wp.getMediaItem", "wp.getCommentStatusList", "wp.newComment",
    "wp.editComment", "wp.deleteComment", "wp.getComments", "wp.getComment", "wp.setOptions",
    "wp.getOptions", "wp.getPageTemplates", "wp.getPageStatusList", "wp.getPostStatusList",
    "wp.getCommentCount", "wp.deleteFile", "wp.uploadFile", "wp.suggestCategories",
    "wp.deleteCategory", "wp.newCategory", "wp.getTags", "wp.getCategories", "wp.getAuthors",
    "wp.getPageList", "wp.editPage", "wp.deletePage", "wp.newPage", "wp.getPages", "wp.getPage",
    "wp.editProfile", "wp.getProfile", "wp.getUsers", "wp.getUser", "wp.getTaxonomies",
    "wp.getTaxonomy", "wp.getTerms", "wp.getTerm", "wp.deleteTerm", "wp.editTerm", "wp.newTerm",
    "wp.getPosts", "wp.getPost", "wp.deletePost", "wp.editPost", "wp.newPost", "wp.getUsersBlogs",
)  # fmt: skip
#: (user, password) positions in a credential method's params
CREDENTIALS = {"wp.getUsersBlogs": (0, 1), "blogger.getUsersBlogs": (1, 2),
               "metaWeblog.getUsersBlogs": (1, 2), "blogger.getUserInfo": (1, 2)}  # fmt: skip


def _tags(doc: XmlDoc, *more: str) -> tuple[str, ...]:
    return (*more, "xxe") if doc.entities else more


def _done(resp: Response, doc: XmlDoc, *tags: str) -> Response:
    resp.tags = _tags(doc, *tags)
    resp.outbound = (*resp.outbound, *doc.outbound)
    return resp


# -- XML-RPC ---------------------------------------------------------------------------------
def _value(el: etree._Element) -> object:
    """An XML-RPC ``<value>``: strings, ints, arrays and structs (other types as text)."""
    child = next(iter(el), None)
    if child is None or not isinstance(child.tag, str):
        return text(el)
    if child.tag == "array":
        return [_value(v) for v in child.iterfind("data/value")]
    if child.tag == "struct":
        return {text(m.find("name")): _value(v) for m in child.iterfind("member")
                if (v := m.find("value")) is not None}  # fmt: skip
    return text(child)


def _params(el: etree._Element) -> list[object]:
    return [_value(v) for v in el.iterfind("params/param/value")]


def _xml_value(v: object) -> str:
    if isinstance(v, bool):
        return f"<boolean>{int(v)}</boolean>"
    if isinstance(v, int):
        return f"<int>{v}</int>"
    if isinstance(v, list):
        inner = "".join(f"<value>{_xml_value(x)}</value>" for x in v)
        return f"<array><data>{inner}</data></array>"
    if isinstance(v, dict):
        members = "".join(f"<member><name>{html.escape(str(k))}</name><value>{_xml_value(x)}"
                          "</value></member>" for k, x in v.items())  # fmt: skip
        return f"<struct>{members}</struct>"
    return f"<string>{html.escape(str(v))}</string>"


def _rpc_response(value: object) -> Response:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n  <params>\n    <param>\n'
            f"      <value>{_xml_value(value)}</value>\n    </param>\n  </params>\n"
            "</methodResponse>\n")  # fmt: skip
    return Response(200, body.encode(), XML, vary=True)


def _fault(code: int, message: str) -> dict[str, object]:
    return {"faultCode": code, "faultString": message}


async def _call(site: Site, req: Request, method: str, params: list[object],
                outbound: list[str]) -> object:  # fmt: skip
    """One XML-RPC call's result (a fault is a dict with faultCode)."""
    if method == "system.listMethods":
        return list(WP_METHODS)
    if method == "demo.sayHello":
        return "Hello!"
    if method == "pingback.ping":
        if params and isinstance(params[0], str):
            outbound.append(params[0][:2048])  # WordPress would fetch it: never done here
        return _fault(16, "The source URL does not exist.")
    if method in WP_METHODS and method.startswith(("wp.", "blogger.", "metaWeblog.", "mt.")):
        ui, pi = CREDENTIALS.get(method, (1, 2))
        user = params[ui] if len(params) > ui else ""
        pw = params[pi] if len(params) > pi else ""
        await logins.login(site, req, str(user), str(pw), "xmlrpc")
        return _fault(403, "Incorrect username or password.")
    if method in WP_METHODS:
        return _fault(-32602, "server error. wrong number of method parameters.")
    return _fault(-32601, f"server error. requested method {method} does not exist.")


async def xmlrpc(site: Site, req: Request) -> Response:
    if req.method != "POST":
        return apache.php("XML-RPC server accepts POST requests only.", 405)
    doc = parse(req.body, site.host.fs(req.client_ip))
    if doc.root is None or doc.root.tag != "methodCall":
        return _done(logins.xml_fault(-32700, "parse error. not well formed"), doc)
    method = text(doc.root.find("methodName")).strip()
    params = _params(doc.root)
    outbound: list[str] = []
    calls = 0
    if method == "system.multicall":
        results: list[object] = []
        calls_in = params[0] if params and isinstance(params[0], list) else []
        for call in _structs(calls_in):
            calls += 1
            if calls > MAX_CALLS:
                break
            sub = str(call.get("methodName", ""))
            sub_params = call.get("params")
            args = sub_params if isinstance(sub_params, list) else []
            out = await _call(site, req, sub, args, outbound)
            results.append(out if isinstance(out, dict) and "faultCode" in out else [out])
        resp = _rpc_response(results)
    else:
        out = await _call(site, req, method, params, outbound)
        if isinstance(out, dict) and "faultCode" in out:
            resp = logins.xml_fault(int(str(out["faultCode"])), str(out["faultString"]))
        else:
            resp = _rpc_response(out)
    resp.outbound = tuple(outbound)
    login = method in CREDENTIALS or method == "system.multicall" or method.startswith("wp.")
    return _done(resp, doc, *(("login",) if login else ()))


def _structs(items: Iterable[object]) -> Iterable[dict[str, object]]:
    for item in items:
        if isinstance(item, dict):
            yield item


# -- SOAP ------------------------------------------------------------------------------------
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_NS = "urn:InventoryService"
OPERATIONS = ("GetProduct", "SearchProducts", "GetStock", "Login")


def wsdl(site: Site, req: Request) -> str:
    scheme = "https" if req.tls else "http"
    host = req.header("host") or site.hostname
    location = f"{scheme}://{html.escape(host)}/api/soap"
    messages = "".join(
        f'<message name="{op}Request"><part name="{arg}" type="xsd:string"/></message>'
        f'<message name="{op}Response"><part name="return" type="xsd:string"/></message>'
        for op, arg in (("GetProduct", "id"), ("SearchProducts", "query"), ("GetStock", "sku"),
                        ("Login", "username"))
    )  # fmt: skip
    ops = "".join(
        f'<operation name="{op}"><input message="tns:{op}Request"/>'
        f'<output message="tns:{op}Response"/></operation>'
        for op in OPERATIONS
    )
    bops = "".join(
        f'<operation name="{op}"><soap:operation soapAction="{SOAP_NS}#{op}"/>'
        f'<input><soap:body use="encoded" namespace="{SOAP_NS}" '
        'encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></input>'
        f'<output><soap:body use="encoded" namespace="{SOAP_NS}" '
        'encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/></output></operation>'
        for op in OPERATIONS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions name="InventoryService" targetNamespace="{SOAP_NS}" '
        f'xmlns:tns="{SOAP_NS}" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
        'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns="http://schemas.xmlsoap.org/wsdl/">\n'
        f"{messages}\n"
        f'<portType name="InventoryServicePortType">{ops}</portType>\n'
        '<binding name="InventoryServiceBinding" type="tns:InventoryServicePortType">'
        '<soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>'
        f"{bops}</binding>\n"
        '<service name="InventoryService"><port name="InventoryServicePort" '
        f'binding="tns:InventoryServiceBinding"><soap:address location="{location}"/></port>'
        "</service>\n</definitions>\n"
    )


def _soap(body: str, status: int = 200) -> Response:
    env = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:ns1="{SOAP_NS}" '
           'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
           'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
           'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
           f"<SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>\n")  # fmt: skip
    return Response(status, env.encode(), XML, vary=True)


def soap_fault(code: str, message: str) -> Response:
    """PHP SoapServer's fault (HTTP 500)."""
    fault = (f"<SOAP-ENV:Fault><faultcode>SOAP-ENV:{code}</faultcode>"
             f"<faultstring>{html.escape(message)}</faultstring></SOAP-ENV:Fault>")  # fmt: skip
    return _soap(fault, 500)


def _soap_return(op: str, value: str) -> Response:
    return _soap(f'<ns1:{op}Response><return xsi:type="xsd:string" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                 f"{html.escape(value)}</return></ns1:{op}Response>")  # fmt: skip


async def soap(site: Site, req: Request) -> Response:
    if req.method != "POST":
        if "wsdl" in {k.lower() for k in req.params}:
            resp = Response(200, wsdl(site, req).encode(), XML, vary=True)
            resp.tags = ("recon",)
            return resp
        return soap_fault("Server", "Bad Request. Can't find HTTP_RAW_POST_DATA")
    doc = parse(req.body, site.host.fs(req.client_ip))
    if doc.root is None:
        return _done(soap_fault("Client", "Bad Request"), doc)
    body = doc.root.find(f"{{{SOAP_ENV}}}Body")
    call = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if call is None:
        return _done(soap_fault("Client", "Bad Request"), doc)
    op = etree.QName(call).localname
    args = [text(a) for a in call if isinstance(a.tag, str)]
    first = args[0] if args else ""
    if op == "Login":
        await logins.login(site, req, first, args[1] if len(args) > 1 else "", "soap")
        return _done(soap_fault("Server", "Invalid credentials"), doc, "login")
    if op in ("GetProduct", "GetStock") and first.strip().isdigit():
        rows = site.db.product(req.client_ip, first.strip()).rows
        if rows:
            name = str(rows[0][1])
            return _done(_soap_return(op, name if op == "GetProduct" else "0"), doc)
    if op in OPERATIONS:
        return _done(soap_fault("Server", f"Product not found: {first}"), doc)
    invalid = f'Function ("{op}") is not a valid method for this service'
    return _done(soap_fault("Server", invalid), doc)
