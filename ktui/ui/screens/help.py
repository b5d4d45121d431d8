"""The `?` screen: every key, grouped by the widget that owns it, from the live bindings."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "ktui shows every pod with a verdict (✖ error, ▲ warning, ? cannot tell, ✔ ok). Move with the "
    "arrows or j/k: the diagnosis of the pod under the cursor explains what is wrong, with the "
    "evidence and the kubectl commands to check it. Events, logs and the connection path of the same "
    "pod are one key away. The probe keys test the pod, the Services in front of it and the Ingresses "
    "routing to it (a picker asks when there are several; off in --readonly). Keys of a focused pane "
    "win over the others (t in the logs pane is its tail size): esc goes back to the list.\n"
    ":svc, :ing, :deploy, :rs and :no list Services, Ingresses, Deployments, ReplicaSets and Nodes, "
    "each with its verdict and diagnosis (:po goes back to the pods, cursor kept; :svc NS also "
    "switches the namespace). There T probes a Service, i an Ingress, F forwards to a Service, "
    "and enter lists the pods behind the object."
)


def _key_label(binding: Binding) -> str:
    return binding.key_display or ", ".join(
        {"slash": "/", "exclamation_mark": "!", "question_mark": "?", "colon": ":"}.get(k, k)
        for k in binding.key.split(",")
    )


def bindings_table(groups: list[tuple[str, list[Binding]]]) -> Group:
    """Keys and what they do, one titled table per group (the same key column width in each)."""
    parts: list[Text | Table] = []
    for title, bindings in groups:
        parts.append(Text(title, "bold underline"))
        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column(no_wrap=True, style="bold cyan", width=16)
        table.add_column(ratio=1)
        for binding in bindings:
            description = binding.tooltip or binding.description
            table.add_row(_key_label(binding), description)
        parts += [table, Text("")]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Keys, grouped by pane."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static(Text(INTRO + "\n", "italic"))
            yield Static(bindings_table(self.groups))

    def on_mount(self) -> None:
        self.query_one("#help-scroll").border_title = "ktui keys (esc closes)"
