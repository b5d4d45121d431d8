"""Events about the selected object and its owners (Pod <- ReplicaSet <- Deployment), warnings first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ktui.model.tables import EventRow


def events_table(rows: Sequence[EventRow]) -> Table:
    """A compact table of event rows, every cell plain Text."""
    table = Table(box=None, expand=True, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("TYPE", no_wrap=True)
    table.add_column("REASON", no_wrap=True)
    table.add_column("AGE", no_wrap=True)
    table.add_column("MESSAGE", ratio=1, overflow="fold")
    for row in rows:
        style = "yellow" if row.type == "Warning" else "dim"
        message = Text(row.message)
        if row.object:
            message = Text.assemble((f"{row.object}: ", "italic"), message)
        table.add_row(
            Text(row.type, style),
            Text(row.reason, "bold" if row.type == "Warning" else ""),
            Text(row.age),
            message,
        )
    return table


class EventsView(VerticalScroll, can_focus=True):
    """Scrollable events of the selected pod and its controllers."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: tuple[EventRow, ...] = ()
        """The event rows shown."""
        self._key: object = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("No pod selected.", "dim"), id="events-body")

    def show(self, rows: Sequence[EventRow], *, subject: str, forbidden: str = "") -> None:
        """Show the events of one object (or why they cannot be read)."""
        key = (tuple(rows), subject, forbidden)
        if key == self._key:
            return
        self._key = key
        self.rows = tuple(rows)
        body = self.query_one("#events-body", Static)
        if forbidden:
            body.update(
                Text.assemble(
                    ("Cannot read events: ", "bold yellow"),
                    forbidden,
                    ("\nAsk for RBAC permission to list events in this namespace.", "dim"),
                )
            )
        elif not rows:
            body.update(Text(f"No events for {subject}. (Events expire after an hour by default.)", "dim"))
        else:
            body.update(events_table(rows))
