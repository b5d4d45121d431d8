"""A tiny POSIX-ish shell (``sh -c`` / ``bash -c``), enough for the commands pods really run.

``sh -c "echo starting; sleep 5; exit 3"``, ``while true; do echo tick; sleep 5; done``, the liveness
example's ``touch /tmp/healthy; sleep 30; rm -f /tmp/healthy``, ``cat`` of a missing config file,
``sleep a``. Messages follow the real tools: dash on Debian-based images, BusyBox on Alpine/BusyBox
images; the utilities themselves live in ``coreutils.py``. Written by hand: no library simulates a
shell against an in-memory filesystem, and the subset is small.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from ktui.sandbox.kubelet.coreutils import IO, UTILITIES, BufferIO, Utility, busybox
from ktui.sandbox.kubelet.runtime import Container, Exit

__all__ = ["IO", "UTILITIES", "BufferIO", "External", "Shell", "Utility", "tokenize"]  # older import paths

# Image executables that are not utilities (exec'd from a shell): filled in by programs.py
External = Callable[[Container, list[str], IO], Callable[[], Awaitable[int]] | None]


_OPS = ("&&", "||", ";", "\n", "|", "&")
Word = list[tuple[str, bool]]  # segments: (text, expand variables?)


def tokenize(script: str) -> list[Word | str]:
    """Words (quoted segments kept apart) and operators."""
    tokens: list[Word | str] = []
    word: Word = []
    started = False
    i = 0
    while i < len(script):
        ch = script[i]
        two = script[i : i + 2]
        if ch in " \t" or two in ("&&", "||") or ch in ";\n|&" or (ch == "#" and not started):
            if started:
                tokens.append(word)
                word, started = [], False
            if ch == "#":
                while i < len(script) and script[i] != "\n":
                    i += 1
                continue
            if two in ("&&", "||"):
                tokens.append(two)
                i += 2
                continue
            if ch in ";\n|&":
                tokens.append(ch)
            i += 1
            continue
        started = True
        if ch == "'":
            end = script.find("'", i + 1)
            end = len(script) if end < 0 else end
            word.append((script[i + 1 : end], False))
            i = end + 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < len(script) and script[j] != '"':
                if script[j] == "\\" and j + 1 < len(script) and script[j + 1] in '"\\$`':
                    j += 1
                buf.append(script[j])
                j += 1
            word.append(("".join(buf), True))
            i = j + 1
        elif ch == "\\" and i + 1 < len(script):
            word.append((script[i + 1], False))
            i += 2
        else:
            word.append((ch, True))
            i += 1
    if started:
        tokens.append(word)
    return tokens


class Shell:
    """Runs a parsed script in a container: builtins, utilities, and exec of image programs."""

    def __init__(self, c: Container, io: IO, name: str, external: External) -> None:
        self.c = c
        self.io = io
        self.name = name  # "sh" (dash/busybox) or "bash"
        self.external = external
        self.status = 0

    async def run(self, script: str) -> int:
        """Run a ``-c`` script; returns its exit status."""
        tokens = tokenize(script)
        try:
            await self._list(tokens, 0, len(tokens))
        except Exit as e:
            return e.code
        return self.status

    def _text(self, word: Word | str) -> str:
        if isinstance(word, str):
            return word
        out = []
        for text, expand in word:
            if expand and "$" in text:
                text = re.sub(r"\$(\?|\{\w+\}|\w+)", self._var, text)
            out.append(text)
        return "".join(out)

    def _var(self, m: re.Match[str]) -> str:
        name = m.group(1).strip("{}")
        if name == "?":
            return str(self.status)
        if name == "HOSTNAME":
            return str(self.c.pod["metadata"]["name"])
        return self.c.env.get(name, "")

    async def _list(self, tokens: list[Word | str], start: int, end: int) -> None:
        i = start
        while i < end:
            i = await self._command(tokens, i, end)
            if i < end and tokens[i] in (";", "\n", "&", "|"):
                i += 1
            elif i < end and tokens[i] in ("&&", "||"):
                op = tokens[i]
                i += 1
                if (op == "&&") != (self.status == 0):
                    i = self._skip(tokens, i, end)

    def _skip(self, tokens: list[Word | str], i: int, end: int) -> int:
        """Skip one command (the right side of a short-circuited && or ||)."""
        depth = 0
        while i < end:
            t = self._text(tokens[i]) if not isinstance(tokens[i], str) else tokens[i]
            if t in ("while", "until", "if", "for"):
                depth += 1
            elif t in ("done", "fi"):
                depth -= 1
            elif depth == 0 and isinstance(tokens[i], str) and t in (";", "\n", "&&", "||"):
                return i
            i += 1
        return i

    def _find(self, tokens: list[Word | str], i: int, end: int, words: tuple[str, ...]) -> int:
        depth = 0
        while i < end:
            if not isinstance(tokens[i], str):
                t = self._text(tokens[i])
                if t in ("while", "until", "if", "for") and (i == 0 or isinstance(tokens[i - 1], str)):
                    depth += 1
                elif t in ("done", "fi") and depth > 0:
                    depth -= 1
                elif depth == 0 and t in words and isinstance(tokens[i - 1], str):
                    return i
            i += 1
        raise Exit(self._syntax(f'Syntax error: end of file unexpected (expecting "{words[0]}")'))

    def _syntax(self, message: str) -> int:
        self.io.err(f"{self.name}: 1: {message}" if self.name == "sh" else f"{self.name}: {message}")
        return 2

    async def _command(self, tokens: list[Word | str], i: int, end: int) -> int:
        first = tokens[i]
        if isinstance(first, str):
            return i  # empty command (e.g. a leading newline)
        head = self._text(first)
        if head in ("while", "until"):
            do = self._find(tokens, i + 1, end, ("do",))
            done = self._find(tokens, do + 1, end, ("done",))
            for _ in range(1_000_000):
                await self._list(tokens, i + 1, do)
                if (self.status == 0) != (head == "while"):
                    break
                await self._list(tokens, do + 1, done)
                await self.c.sleep(0)  # a busy loop must still yield to the event loop
            self.status = 0
            return done + 1
        if head == "if":
            then = self._find(tokens, i + 1, end, ("then",))
            fi = self._find(tokens, then + 1, end, ("fi",))
            try:
                else_ = self._find(tokens, then + 1, fi, ("else",))
            except Exit:
                else_ = fi
            await self._list(tokens, i + 1, then)
            if self.status == 0:
                await self._list(tokens, then + 1, else_)
            elif else_ < fi:
                await self._list(tokens, else_ + 1, fi)
            return fi + 1
        words = []
        while i < end and not isinstance(tokens[i], str):
            words.append(self._text(tokens[i]))
            i += 1
        self.status = await self.execute(words)
        return i

    async def execute(self, argv: list[str]) -> int:
        """Run one simple command."""
        while argv and re.fullmatch(r"[A-Za-z_]\w*=.*", argv[0]):
            k, v = argv[0].split("=", 1)
            self.c.env[k] = v
            argv = argv[1:]
        if not argv:
            return 0
        cmd, args = argv[0], argv[1:]
        if cmd == "exit":
            raise Exit(int(args[0]) if args and args[0].lstrip("-").isdigit() else self.status)
        if cmd in ("export", "cd", "set", "trap", "ulimit", "umask"):
            for arg in args:
                if "=" in arg:
                    k, v = arg.split("=", 1)
                    self.c.env[k] = v
            return 0
        if cmd == "exec":
            if not args:
                return 0
            raise Exit(await self.execute(args))
        base = cmd.rsplit("/", 1)[-1]
        if base in ("sh", "bash", "ash", "dash") and args[:1] == ["-c"] and len(args) > 1:
            return await Shell(self.c, self.io, base if base == "bash" else "sh", self.external).run(args[1])
        if base in UTILITIES and base in _available(self.c):
            return await UTILITIES[base](self.c, args, self.io)
        run = self.external(self.c, argv, self.io)
        if run is not None:
            return await run()
        if self.name == "bash":
            self.io.err(f"bash: line 1: {cmd}: command not found")
        elif busybox(self.c):
            self.io.err(f"sh: {cmd}: not found")
        else:
            self.io.err(f"sh: 1: {cmd}: not found")
        return 127


def _available(c: Container) -> set[str]:
    shells: dict[str, list[str]] = getattr(c.context, "shells", {}) if c.context is not None else {}
    return set(shells.get(c.image.shell, UTILITIES)) | {":", "exit"}
