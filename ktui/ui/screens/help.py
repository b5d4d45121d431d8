"""The `?` screen: every key, grouped by the widget that owns it, from the live bindings."""

from __future__ import annotations

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
    "win over the others (t in the logs pane is its tail size): esc goes back to the pod list."
)


def _key_label(binding: Binding) -> str:
    return binding.key_display or ", ".join(
        {"slash": "/", "exclamation_mark": "!", "question_mark": "?", "colon": ":"}.get(k, k)
        for k in binding.key.split(",")
    )


def bindings_table(groups: list[tuple[str, list[Binding]]]) -> Table:
    """A table of keys and what they do, grouped."""
    table = Table(box=None, show_header=False, pad_edge=False, expand=True)
    table.add_column(no_wrap=True, style="bold cyan", min_width=14)
    table.add_column(ratio=1)
    for title, bindings in groups:
        table.add_row(Text(title, "bold underline"), "")
        for binding in bindings:
            description = binding.tooltip or binding.description
            table.add_row(_key_label(binding), description)
        table.add_row("", "")
    return table


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
