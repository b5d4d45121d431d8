"""The resource views (pods, services, ingresses, deployments, replicasets, nodes) and the `:` command.

k9s users switch views with ``:svc``, ``:ing``, ``:deploy``...; the same aliases work here, plus
``:svc kube-system`` (view and namespace at once), ``:ns NAME``, ``:ctx NAME`` and ``:q``. Parsing is
pure so the prompt, its completion and the tests agree on one table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class View:
    """One resource view: its name (as the header shows it), the kind listed, and its aliases."""

    name: str
    kind: str
    aliases: tuple[str, ...]
    key: str
    """The short alias shown in hints (``svc``)."""


VIEWS: tuple[View, ...] = (
    View("pods", "Pod", ("po", "pod", "pods"), "po"),
    View("services", "Service", ("svc", "service", "services"), "svc"),
    View("ingresses", "Ingress", ("ing", "ingress", "ingresses"), "ing"),
    View("deployments", "Deployment", ("deploy", "dp", "deployment", "deployments", "deploys"), "deploy"),
    View("replicasets", "ReplicaSet", ("rs", "replicaset", "replicasets"), "rs"),
    View("nodes", "Node", ("no", "node", "nodes"), "no"),
)
"""Every view, in the order the palette lists them."""

BY_NAME = {v.name: v for v in VIEWS}
"""View name -> view."""

_ALIASES = {alias: v for v in VIEWS for alias in (*v.aliases, v.kind.lower())}

NAMESPACE_WORDS = ("ns", "namespace", "namespaces")
CONTEXT_WORDS = ("ctx", "context", "contexts")
QUIT_WORDS = ("q", "q!", "quit", "exit")
ALL_WORDS = ("all", "-A", "*")


def view_for(alias: str) -> View | None:
    """The view an alias names (case-insensitive), or None."""
    return _ALIASES.get(alias.strip().lower())


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed `:` command: ``action`` is view / namespace / context / quit / help / error."""

    action: str
    view: View | None = None
    argument: str | None = None
    """The namespace (None: all namespaces) or context name; the message of an error."""
    has_argument: bool = False


def parse_command(text: str) -> Command:
    """``svc``, ``svc kube-system``, ``po all``, ``ns NAME``, ``ctx NAME``, ``q``, ``help``."""
    words = text.strip().lstrip(":").split()
    if not words:
        return Command("error", argument="type a view (po, svc, ing, deploy, rs, no), ns NAME or ctx NAME")
    head, rest = words[0], words[1:]
    if len(rest) > 1:
        return Command("error", argument=f"too many words: {text.strip()!r}")
    argument = rest[0] if rest else None
    namespace = None if argument in ALL_WORDS else argument
    if head.lower() in QUIT_WORDS and not rest:
        return Command("quit")
    if head.lower() in ("help", "?", "h") and not rest:
        return Command("help")
    if head.lower() in NAMESPACE_WORDS:
        if argument is None:
            return Command("namespace")  # no name: the picker
        return Command("namespace", argument=namespace, has_argument=True)
    if head.lower() in CONTEXT_WORDS:
        return Command("context", argument=argument, has_argument=argument is not None)
    view = view_for(head)
    if view is None:
        known = ", ".join(v.key for v in VIEWS)
        return Command("error", argument=f"unknown view or command {head!r} (views: {known}; ns, ctx, q)")
    return Command("view", view, namespace, has_argument=argument is not None)


def completions(namespaces: list[str], contexts: list[str]) -> list[str]:
    """Everything the prompt can complete: aliases, then ``ns NAME`` and ``ctx NAME``."""
    words = [alias for v in VIEWS for alias in v.aliases]
    words += [f"ns {name}" for name in namespaces] + [f"ctx {name}" for name in contexts]
    return [*words, "quit", "help"]
