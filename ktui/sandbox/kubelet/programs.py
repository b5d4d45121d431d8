"""What a container runs: a registry of programs chosen by image and command, and the dispatch rules.

``register_program(matcher, program)`` lets other parts of the sandbox plug in (the ingress-nginx
controller's router lives with the controllers). Otherwise argv is resolved as the runtime would:
``command`` replaces the image's ENTRYPOINT, ``args`` its CMD; an entrypoint script that ``exec "$@"``
hands over to the command; shells and utilities come from the image's userland; anything else
not on the image's PATH fails to start with runc's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ktui.sandbox.kubelet.runtime import Container, StartFailure
from ktui.sandbox.kubelet.shell import IO, UTILITIES, Shell, _available

Program = Callable[[Container], Awaitable[int]]
Matcher = Callable[[Container], bool]

_REGISTERED: list[tuple[Matcher, Program]] = []
APPS: dict[str, Callable[[Container, list[str], IO], Awaitable[int]]] = {}  # filled by apps.py

_ENTRY_SCRIPTS = {
    "/docker-entrypoint.sh",
    "docker-entrypoint.sh",
    "/usr/local/bin/docker-entrypoint.sh",
    "/usr/bin/dumb-init",
    "tini",
    "/tini",
}


def register_program(matcher: Matcher, program: Program) -> Callable[[], None]:
    """Run ``program`` for containers ``matcher`` accepts (latest wins); returns an unregister function."""
    entry = (matcher, program)
    _REGISTERED.append(entry)

    def unregister() -> None:
        if entry in _REGISTERED:
            _REGISTERED.remove(entry)

    return unregister


def effective_argv(spec: dict[str, Any], repo: dict[str, Any]) -> list[str]:
    """The process argv: ``command`` replaces ENTRYPOINT (and drops CMD), ``args`` replaces CMD."""
    entrypoint = list(repo.get("entrypoint") or [])
    cmd = list(repo.get("cmd") or [])
    if spec.get("command"):
        entrypoint, cmd = [str(x) for x in spec["command"]], []
    if spec.get("args") is not None and spec.get("args") != []:
        cmd = [str(x) for x in spec["args"]]
    return entrypoint + cmd


def expand(argv: list[str], env: dict[str, str]) -> list[str]:
    """Kubernetes ``$(VAR)`` expansion in command and args (``$$`` escapes)."""
    import re

    def one(text: str) -> str:
        return re.sub(
            r"\$\$|\$\((\w+)\)",
            lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
            text,
        )

    return [one(a) for a in argv]


def not_found_message(exe: str) -> str:
    """runc's start failure for a missing executable, as containerd reports it."""
    why = (
        f"stat {exe}: no such file or directory"
        if exe.startswith("/")
        else "executable file not found in $PATH"
    )
    return (
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
        f'runc create failed: unable to start container process: exec: "{exe}": {why}: unknown'
    )


def resolve(c: Container) -> Program:
    """The program ``c`` runs; raises StartFailure when the runtime cannot start it."""
    for matcher, program in reversed(_REGISTERED):
        if matcher(c):
            return program
    if not c.argv:
        raise StartFailure(
            "failed to create containerd task: failed to create shim task: OCI runtime create "
            "failed: runc create failed: unable to start container process: exec: no command "
            "specified: unknown"
        )
    runner = find(c, c.argv, c)
    if runner is None:
        raise StartFailure(not_found_message(c.argv[0]))

    async def main(container: Container) -> int:
        return await runner()

    return main


def find(c: Container, argv: list[str], io: IO) -> Callable[[], Awaitable[int]] | None:
    """A runner for ``argv`` in ``c`` if the image has that executable, else None."""
    exe = argv[0]
    base = exe.rsplit("/", 1)[-1]
    repo = c.image.repo
    entry = list(repo.get("entrypoint") or repo.get("cmd") or [])
    app = APPS.get(str(repo.get("program", "")))
    executables = {str(x) for x in repo.get("executables") or []}
    if exe in _ENTRY_SCRIPTS and (exe in executables or exe in entry):
        rest = [a for a in argv[1:] if a != "--"]
        if not rest:
            return None
        if app is not None and rest[0].rsplit("/", 1)[-1] in _app_names(repo):
            return lambda: app(c, rest, io)
        return find(c, rest, io)
    if app is not None and (exe in entry[:1] or exe in executables or base in _app_names(repo)):
        return lambda: app(c, argv, io)
    userland = _available(c) if c.image.shell != "none" else set()
    if base in ("sh", "bash", "ash", "dash") and base in userland | {"sh"} and c.image.shell != "none":
        name = "bash" if base == "bash" else "sh"
        if argv[1:2] == ["-c"] and len(argv) > 2:
            return lambda: Shell(c, io, name, external).run(argv[2])
        return _noninteractive_shell
    if base in UTILITIES and base in userland:
        return lambda: UTILITIES[base](c, argv[1:], io)
    return None


def external(c: Container, argv: list[str], io: IO) -> Callable[[], Awaitable[int]] | None:
    """Commands a shell runs that are not builtins: image programs and utilities."""
    return find(c, argv, io)


def _app_names(repo: dict[str, Any]) -> set[str]:
    names = {str(x).rsplit("/", 1)[-1] for x in repo.get("executables") or []}
    for key in ("entrypoint", "cmd"):
        for x in (repo.get(key) or [])[:1]:
            names.add(str(x).rsplit("/", 1)[-1])
    return names - {"docker-entrypoint.sh", "dumb-init", "tini"}


async def _noninteractive_shell() -> int:
    # a shell with no terminal and no script reads EOF from stdin and exits 0 (busybox's default CMD)
    return 0
