"""Tiny option splitter shared by the commands (GNU style: ``-la``, ``--long``, ``--``)."""

from __future__ import annotations


def split_opts(
    args: list[str], takes_value: str = "", long_values: tuple[str, ...] = ()
) -> tuple[set[str], list[str]]:
    """Return (short flags and ``--long`` names, operands). Values of ``takes_value`` flags
    are kept as ``"<flag>=<value>"`` entries in the set."""
    flags: set[str] = set()
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i + 1 :])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            if name in long_values and not eq and i + 1 < len(args):
                value, eq = args[i + 1], "="
                i += 1
            flags.add(f"--{name}={value}" if eq else f"--{name}")
        elif arg.startswith("-") and len(arg) > 1 and not arg[1].isdigit():
            for j, ch in enumerate(arg[1:], start=1):
                if ch in takes_value:
                    value = arg[j + 1 :]
                    if not value and i + 1 < len(args):
                        value = args[i + 1]
                        i += 1
                    flags.add(f"{ch}={value}")
                    flags.add(ch)
                    break
                flags.add(ch)
        else:
            rest.append(arg)
        i += 1
    return flags, rest


def opt_value(flags: set[str], name: str, default: str | None = None) -> str | None:
    """The value given to ``name`` (``"n"`` or ``"--lines"``), or ``default``."""
    prefix = f"{name}="
    for f in flags:
        if f.startswith(prefix):
            return f[len(prefix) :]
    return default
