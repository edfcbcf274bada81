"""The shared fake filesystem: a base tree plus per-attacker copy-on-write overlays."""

from phantomnet.deception.fakefs.node import FsError, Node, mode_string, vname, vnorm, vparent
from phantomnet.deception.fakefs.store import BlobStore, OverlayStore
from phantomnet.deception.fakefs.view import BaseTree, FsLimits, FsView

__all__ = [
    "BaseTree",
    "BlobStore",
    "FsError",
    "FsLimits",
    "FsView",
    "Node",
    "OverlayStore",
    "mode_string",
    "vname",
    "vnorm",
    "vparent",
]
