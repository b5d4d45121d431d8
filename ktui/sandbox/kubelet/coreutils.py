"""The core utilities pods run from a shell (sleep, echo, cat, rm, test, ...), GNU or BusyBox flavoured."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ktui.sandbox.kubelet.runtime import Container


class IO(Protocol):
    """Where a command writes."""

    def out(self, text: str) -> None: ...
    def err(self, text: str) -> None: ...


@dataclass
class BufferIO:
    """Collects output (exec probes)."""

    text: list[str] = field(default_factory=list)

    def out(self, text: str) -> None:
        self.text.append(text if text.endswith("\n") else text + "\n")

    def err(self, text: str) -> None:
        self.out(text)


Utility = Callable[[Container, list[str], IO], Awaitable[int]]

_SUFFIX = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def busybox(c: Container) -> bool:
    """Whether the image's shell and utilities are BusyBox (their messages differ from GNU's)."""
    return c.image.shell == "busybox"


async def sleep(c: Container, args: list[str], io: IO) -> int:
    """``sleep N[smhd]...``."""
    if not args:
        if busybox(c):
            io.err(
                "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: sleep [N]...\n\n"
                "Pause for a time equal to the total of the args given, where each arg can\n"
                "have an optional suffix of (s)econds, (m)inutes, (h)ours, or (d)ays"
            )
        else:
            io.err("sleep: missing operand\nTry 'sleep --help' for more information.")
        return 1
    total = 0.0
    for arg in args:
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if m is None:
            if busybox(c):
                io.err(f"sleep: invalid number '{arg}'")
            else:
                io.err(f"sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.")
            return 1
        total += float(m.group(1)) * _SUFFIX[m.group(2)]
    await c.sleep(total)
    return 0


async def echo(c: Container, args: list[str], io: IO) -> int:
    """``echo [-n] words``."""
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    text = " ".join(args)
    if newline or text:
        io.out(text)
    return 0


async def cat(c: Container, args: list[str], io: IO) -> int:
    """``cat FILE...`` against the container's files."""
    code = 0
    for path in args:
        data = c.files.get(path)
        if data is None:
            io.err(
                f"cat: can't open '{path}': No such file or directory"
                if busybox(c)
                else f"cat: {path}: No such file or directory"
            )
            code = 1
        else:
            io.out(data.decode(errors="replace").rstrip("\n"))
    return code


async def touch(c: Container, args: list[str], io: IO) -> int:
    """``touch FILE...``."""
    for path in args:
        c.files.setdefault(path, b"")
    return 0


async def rm(c: Container, args: list[str], io: IO) -> int:
    """``rm [-f] FILE...``."""
    force = "-f" in args or "-rf" in args
    code = 0
    for path in (a for a in args if not a.startswith("-")):
        if c.files.pop(path, None) is None and not force:
            io.err(
                f"rm: can't remove '{path}': No such file or directory"
                if busybox(c)
                else f"rm: cannot remove '{path}': No such file or directory"
            )
            code = 1
    return code


async def test(c: Container, args: list[str], io: IO) -> int:
    """``test`` / ``[``: -f -e -z -n = !=."""
    if args and args[-1] == "]":
        args = args[:-1]
    if len(args) == 2 and args[0] in ("-f", "-e", "-s"):
        present = args[1] in c.files
        return 0 if present and (args[0] != "-s" or c.files[args[1]]) else 1
    if len(args) == 2 and args[0] in ("-z", "-n"):
        return 0 if (args[1] == "") == (args[0] == "-z") else 1
    if len(args) == 3 and args[1] in ("=", "==", "!="):
        return 0 if (args[0] == args[2]) == (args[1] != "!=") else 1
    return 0 if args and args[0] else 1


async def printenv(c: Container, args: list[str], io: IO) -> int:
    """``env`` / ``printenv [NAME]``."""
    if args:
        value = c.env.get(args[0])
        if value is None:
            return 1
        io.out(value)
        return 0
    for k, v in c.env.items():
        io.out(f"{k}={v}")
    return 0


async def true(c: Container, args: list[str], io: IO) -> int:
    """``true``."""
    return 0


async def false(c: Container, args: list[str], io: IO) -> int:
    """``false``."""
    return 1


async def hostname(c: Container, args: list[str], io: IO) -> int:
    """``hostname``: the pod name."""
    io.out(c.pod["metadata"]["name"])
    return 0


async def date(c: Container, args: list[str], io: IO) -> int:
    """``date`` in the C locale's default format."""
    io.out(c.clock.now().strftime("%a %b %d %H:%M:%S UTC %Y"))
    return 0


UTILITIES: dict[str, Utility] = {
    "sleep": sleep,
    "echo": echo,
    "cat": cat,
    "touch": touch,
    "rm": rm,
    "test": test,
    "[": test,
    "env": printenv,
    "printenv": printenv,
    "true": true,
    ":": true,
    "false": false,
    "hostname": hostname,
    "date": date,
}
