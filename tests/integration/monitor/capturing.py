"""Wait for a capture to be open, by asking the kernel instead of sleeping."""

from __future__ import annotations

import os


def capturing_on(pid: int, ifindex: int) -> bool:
    """True once process ``pid`` holds an AF_PACKET socket bound to interface ``ifindex``.

    Reads the process's own network namespace (``/proc/PID/net/packet``), so it works for a
    process started with ``ip netns exec`` too.
    """
    try:
        with open(f"/proc/{pid}/net/packet", encoding="ascii") as f:
            rows = [line.split() for line in f.readlines()[1:]]
        fds = os.listdir(f"/proc/{pid}/fd")
    except (FileNotFoundError, ProcessLookupError):
        return False
    inodes = {row[-1] for row in rows if len(row) > 4 and row[4] == str(ifindex)}
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False
