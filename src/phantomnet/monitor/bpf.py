"""Compile a BPF filter expression (tcpdump syntax) to classic BPF for SO_ATTACH_FILTER.

Uses libpcap's own compiler through ctypes (``pcap_open_dead`` + ``pcap_compile``), the
same code tcpdump runs, so every expression tcpdump accepts works. A bad expression is a
:class:`CaptureError` with libpcap's message.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct

from phantomnet.errors import CaptureError


class _Insn(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_Insn))]


def _libpcap() -> ctypes.CDLL:
    name = ctypes.util.find_library("pcap")
    for candidate in (name, "libpcap.so.0.8", "libpcap.so.1", "libpcap.so"):
        if not candidate:
            continue
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    raise CaptureError("--bpf needs libpcap (Debian package libpcap0.8)")


def compile_bpf(
    expr: str, linktype: int = 1, snaplen: int = 65535
) -> list[tuple[int, int, int, int]]:
    """Instructions (code, jt, jf, k) of ``expr`` for ``linktype`` (Ethernet by default)."""
    lib = _libpcap()
    lib.pcap_open_dead.restype = ctypes.c_void_p
    lib.pcap_geterr.restype = ctypes.c_char_p
    lib.pcap_geterr.argtypes = [ctypes.c_void_p]
    lib.pcap_compile.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(_Program),
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_uint32,
    ]
    lib.pcap_freecode.argtypes = [ctypes.POINTER(_Program)]
    lib.pcap_close.argtypes = [ctypes.c_void_p]
    handle = lib.pcap_open_dead(linktype, snaplen)
    if not handle:
        raise CaptureError("libpcap could not open a compiler handle")
    prog = _Program()
    try:
        if lib.pcap_compile(handle, ctypes.byref(prog), expr.encode(), 1, 0xFFFFFFFF) != 0:
            message = (lib.pcap_geterr(handle) or b"syntax error").decode(errors="replace")
            raise CaptureError(f"bad BPF filter {expr!r}: {message}")
        insns = [
            (prog.bf_insns[i].code, prog.bf_insns[i].jt, prog.bf_insns[i].jf, prog.bf_insns[i].k)
            for i in range(prog.bf_len)
        ]
        lib.pcap_freecode(ctypes.byref(prog))
        return insns
    finally:
        lib.pcap_close(handle)


SO_ATTACH_FILTER = 26


def attach(sock_fd: int, insns: list[tuple[int, int, int, int]]) -> None:
    """Attach compiled instructions to a socket (kernel-side filtering)."""
    import socket

    raw = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = struct.pack("HxxxxxxQ", len(insns), ctypes.addressof(buf))
    sock = socket.socket(fileno=sock_fd)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    finally:
        sock.detach()
