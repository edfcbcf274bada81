"""Every door listens through ``phantomnet.sensors.listen`` and nowhere else.

The reuse-address, IPv4/IPv6, backlog and "port taken" behaviour lives in one helper; a door
that opens its own server or binds its own socket would quietly differ. This reads the source
of every module under ``phantomnet/sensors`` (new doors included) and fails on any direct
listening call outside ``sensors/listen.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SENSORS = Path(__file__).resolve().parents[2] / "src" / "phantomnet" / "sensors"
HELPER = SENSORS / "listen.py"
#: methods that open a listening server (asyncio, asyncssh, aiosmtpd's Controller)
SERVER_CALLS = {
    "start_server",
    "start_unix_server",
    "create_server",
    "create_unix_server",
    "create_datagram_endpoint",
}
SERVER_NAMES = {"Controller", "UnthreadedController"}


def _receiver(node: ast.expr) -> str:
    return ast.unparse(node).lower()


def listening_calls(source: str) -> list[tuple[int, str]]:
    """``(line, code)`` of every call in ``source`` that opens or binds a listening socket."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        bad = name in SERVER_CALLS or name in SERVER_NAMES
        if isinstance(func, ast.Attribute):
            owner = _receiver(func.value)
            if name == "listen" and owner in ("asyncssh", "trio"):
                bad = True  # asyncssh.listen() binds by itself
            if name in ("bind", "listen") and (
                "sock" in owner or any(isinstance(a, ast.Tuple) for a in node.args)
            ):
                bad = True  # a raw socket's bind()/listen()
        if bad:
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_no_door_listens_by_itself() -> None:
    offenders = []
    for path in sorted(SENSORS.rglob("*.py")):
        if path == HELPER:
            continue
        for line, code in listening_calls(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(SENSORS.parent)}:{line}: {code}")
    assert offenders == [], "use phantomnet.sensors.listen.bind():\n" + "\n".join(offenders)


def test_the_check_sees_each_way_of_listening() -> None:
    """The grep must be able to fail: each forbidden form is caught, look-alikes are not."""
    caught = [
        "await asyncio.start_server(cb, host, port)",
        "await loop.create_server(lambda: P(), host, port)",
        "await asyncio.get_running_loop().create_server(f, sock=s)",
        "await asyncssh.listen(host, port)",
        "await asyncssh.create_server(S, host, port)",
        "sock.bind((host, port))",
        "self._sock.listen(5)",
        "s.bind(('0.0.0.0', 21))",
        "Controller(handler, hostname=h, port=p).start()",
    ]
    for code in caught:
        assert listening_calls(code), code
    for code in ("self.trap.bind(session)", "await c.data.listen(ip, peer, ports)"):
        assert listening_calls(code) == [], code


def test_the_helper_is_where_binding_happens() -> None:
    assert listening_calls(HELPER.read_text(encoding="utf-8"))
