"""The header line: context, namespace, connection state and the count of problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

STATE_STYLE = {
    "live": ("● live", "bold green"),
    "connecting": ("◌ connecting", "bold cyan"),
    "reconnecting": ("◌ reconnecting", "bold yellow"),
    "unreachable": ("✖ unreachable", "bold red"),
}
"""How each connection state reads."""


@dataclass
class StatusInfo:
    """What the status bar shows."""

    context: str = ""
    namespace: str | None = None
    state: str = "connecting"
    message: str = ""
    pods: int = 0
    shown: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    forbidden: int = 0
    query: str = ""
    problems_only: bool = False
    readonly: bool = False
    forwards: int = 0
    """Port-forwards alive."""
    view: str = "pods"
    """The resource view shown: its objects are what ``pods``, ``shown`` and ``counts`` count."""
    selector: str = ""
    """The label selector the pods are listed with (``ktui -l``)."""


def status_text(info: StatusInfo) -> Text:
    """The status line as Text (context and namespace names inserted as plain text)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" ktui ", "bold reverse")
    text.append("  ctx ", "dim")
    text.append(info.context, "bold")
    text.append("  ns ", "dim")
    text.append(info.namespace if info.namespace is not None else "all namespaces", "bold")
    label, style = STATE_STYLE.get(info.state, (info.state, "bold"))
    if info.state == "connecting" and info.pods and info.message.startswith("listing "):
        label = "◌ syncing"  # the cluster answered: the lists the message names are still coming in
    text.append("  ")
    text.append(label, style)
    if info.forbidden:
        text.append(f"  ⚠ {info.forbidden} forbidden", "bold yellow")
    text.append("  │ ", "dim")
    noun = info.view if info.pods != 1 else {"ingresses": "ingress"}.get(info.view, info.view.rstrip("s"))
    text.append(f"{info.pods} {noun}", "bold")
    if info.shown != info.pods:
        text.append(f" ({info.shown} shown)", "dim")
    errors, warnings = info.counts.get("error", 0), info.counts.get("warning", 0)
    unknown = info.counts.get("unknown", 0)
    text.append("  ")
    text.append(f"✖ {errors}", "bold red" if errors else "dim")
    text.append("  ")
    text.append(f"▲ {warnings}", "bold yellow" if warnings else "dim")
    if unknown:
        text.append(f"  ? {unknown}", "bold magenta")
    if info.selector:
        text.append("  -l ", "dim")
        text.append(info.selector, "bold")
    if info.problems_only:
        text.append("  [problems only]", "bold")
    if info.query:
        text.append("  filter: ", "dim")
        text.append(info.query, "italic")
    if info.forwards:
        text.append(f"  ⇄ {info.forwards} forward{'s' if info.forwards > 1 else ''}", "bold cyan")
    if info.readonly:
        text.append("  readonly", "dim")
    if info.state != "live" and info.message:
        text.append(f"  ({info.message})", "dim")
    return text


def connection_banner(context: str, server: str, state: str, message: str) -> Text:
    """The screen shown before any data while the cluster cannot be reached (or is being reached)."""
    text = Text()
    if state == "unreachable":
        text.append("Cannot reach the cluster\n\n", "bold red")
    else:
        text.append("Connecting…\n\n", "bold")
    text.append("context  ", "dim")
    text.append(f"{context}\n")
    text.append("server   ", "dim")
    text.append(f"{server}\n\n")
    if message:
        text.append(message + "\n\n", "yellow")
    text.append(
        "Retrying on its own; this screen goes away as soon as the cluster answers.\n"
        "q quits, :ctx NAME or ctrl+p switches to another context.",
        "dim",
    )
    return text


class StatusBar(Static):
    """One line at the top of the main screen."""

    def show(self, info: StatusInfo) -> None:
        """Redraw from the given state."""
        # One line high (ktui.tcss): new text never changes the layout, so skip the screen's reflow.
        self.update(status_text(info), layout=False)
