"""XML bodies with DOCTYPE entities, parsed the way a vulnerable PHP endpoint would, on the
fake host only.

The XML endpoints (``/xmlrpc.php``, the SOAP decoy) accept external entities, as PHP with
``LIBXML_NOENT`` does, so XXE payloads *work* for the attacker:

- ``file://`` (or a bare path, or ``php://filter/.../resource=``) entities are answered from
  the attacker's view of the fake filesystem; the real filesystem is never opened;
- ``http://``, ``ftp://`` and the other network schemes are recorded as outbound attempts
  (:attr:`XmlDoc.outbound`, which the door puts in the ``http.request`` event) and never made:
  the entity resolves to nothing, as an unreachable host would;
- XInclude is not processed (PHP's DOM does not either unless asked);
- entity bombs (billion laughs, quadratic blow-up) are refused before parsing from the
  declarations' expanded sizes, with libxml2's own amplification limit as a second cap.

The parser is lxml (libxml2) with ``no_network``, ``huge_tree=False`` and a resolver that
answers *every* external load (a resolver that declined would let libxml2 fall back to its
default loader, which reads real files), so nothing leaves the process.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from phantomnet.deception.fakefs import FsError
from phantomnet.deception.fakefs.node import vnorm

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument

    from phantomnet.deception.fakefs import FsView

MAX_XML_BYTES = 200_000
#: Expanded size of all internal entities (declarations' text with references expanded).
MAX_EXPANSION = 256 * 1024
MAX_ENTITIES = 64
#: External loads one document may ask for, and the bytes one of them returns.
MAX_LOADS = 16
MAX_LOAD_BYTES = 64 * 1024
MAX_RECORDED = 16
NETWORK_SCHEMES = ("http", "https", "ftp", "ftps", "gopher", "jar", "netdoc", "dict", "ldap",
                   "tftp", "sftp", "ssh2", "smb", "expect", "data", "phar")  # fmt: skip
CWD = "/var/www/html"

_ENTITY = re.compile(
    rb"<!ENTITY\s+(%\s+)?([^\s>]+)\s+(?:(SYSTEM|PUBLIC)\b|([\"'])(.*?)\4)", re.S | re.I
)
_REF = re.compile(rb"[&%]([^\s;&%]+);")


class XmlRefused(Exception):
    """A document refused before or while parsing (the endpoint answers a parse error)."""


@dataclass
class XmlDoc:
    """One parsed body: its root, and what its entities asked for."""

    root: etree._Element | None = None
    error: str | None = None
    #: a DOCTYPE declared entities or loaded an external DTD: the request is tagged ``xxe``
    entities: bool = False
    #: network URLs the document tried to load (never fetched)
    outbound: list[str] = field(default_factory=list)
    #: fake-host paths disclosed to the document
    files: list[str] = field(default_factory=list)


def precheck(data: bytes) -> bool:
    """Whether ``data`` declares entities; raises :class:`XmlRefused` for an entity bomb:
    too many declarations, or internal entities whose expansion would exceed the cap."""
    found = _ENTITY.findall(data)
    if not found:
        return b"<!ENTITY" in data.upper()
    if len(found) > MAX_ENTITIES:
        raise XmlRefused("too many entity declarations")
    sizes: dict[bytes, int] = {}
    for _pct, name, external, _q, value in found:
        if external:
            sizes[name] = MAX_LOAD_BYTES
            continue
        size = len(value)
        for ref in _REF.findall(value):
            size += sizes.get(ref, 0)
            if size > MAX_EXPANSION:
                shown = name[:40].decode(errors="replace")
                raise XmlRefused(f"entity '{shown}' expands beyond {MAX_EXPANSION} bytes")
        sizes[name] = size
    return True


def fake_path(url: str) -> tuple[str, bool] | None:
    """(fake path, base64) an entity URL reads on the fake host, or None for a network URL."""
    lower = url.lower()
    encode = False
    if lower.startswith("php://filter"):
        encode = "base64-encode" in lower
        url = url.split("resource=", 1)[1] if "resource=" in url else ""
        lower = url.lower()
    scheme = lower.split(":", 1)[0] if re.match(r"^[a-z][a-z0-9+.-]*:", lower) else ""
    if scheme in NETWORK_SCHEMES or (scheme and scheme != "file"):
        return None
    if scheme == "file":
        url = re.sub(r"^file:(//[^/]*)?", "", url, flags=re.I)  # file:///p, file://host/p, file:p
    return vnorm(url.split("\x00", 1)[0] or "/", CWD), encode


class _FakeHostResolver(etree.Resolver):
    """Answers every external load of one parse from the fake host (or with nothing)."""

    def __init__(self, fs: FsView, doc: XmlDoc) -> None:
        super().__init__()
        self.fs, self.doc, self.loads = fs, doc, 0

    def resolve(
        self, system_url: str | None, public_id: str | None, context: object
    ) -> _InputDocument:
        # Always an answer: lxml hands a load its resolvers decline (or ``resolve_empty``)
        # to libxml2's default loader, which would read the real file or the network.
        try:
            data = self._answer(system_url or "")
        except Exception:  # whatever happens, never fall back to libxml2's loader
            data = b""
        return self.resolve_string(data, context)

    def _answer(self, url: str) -> bytes:
        self.loads += 1
        if self.loads > MAX_LOADS or not url:
            return b""
        target = fake_path(url)
        if target is None:
            if len(self.doc.outbound) < MAX_RECORDED:
                self.doc.outbound.append(url[:2048])
            return b""  # as an unreachable host: the entity is empty
        path, encode = target
        try:
            data = self.fs.read(path)[:MAX_LOAD_BYTES]
        except FsError:
            return b""  # libxml2: "failed to load external entity", the entity is empty
        if len(self.doc.files) < MAX_RECORDED:
            self.doc.files.append(path)
        return base64.b64encode(data) if encode else data


def parse(body: bytes, fs: FsView) -> XmlDoc:
    """Parse ``body`` with entities answered from ``fs`` (the attacker's fake filesystem)."""
    data = body[:MAX_XML_BYTES]
    doc = XmlDoc()
    try:
        doc.entities = precheck(data)
    except XmlRefused as exc:
        doc.entities, doc.error = True, str(exc)
        return doc
    parser = etree.XMLParser(
        resolve_entities=True, load_dtd=True, no_network=True, huge_tree=False,
        dtd_validation=False, attribute_defaults=False, collect_ids=False,
    )  # fmt: skip
    parser.resolvers.add(_FakeHostResolver(fs, doc))
    try:
        doc.root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        doc.error = str(exc)[:300] or "not well formed"
    except (ValueError, MemoryError) as exc:  # e.g. an encoding declaration lxml refuses
        doc.error = str(exc)[:300] or "not well formed"
    doc.entities = doc.entities or bool(doc.outbound or doc.files)  # e.g. an external DTD
    return doc


def text(el: etree._Element | None) -> str:
    """All text under ``el`` (entities already expanded), or ``""``."""
    if el is None:
        return ""
    return "".join(str(t) for t in el.itertext())
