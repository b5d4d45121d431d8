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


def _lines(rows: Sequence[EventRow]) -> tuple[object, ...]:
    """What decides the table's lines: every cell but AGE, and the AGE column's width."""
    return (
        tuple((r.type, r.reason, r.message, r.object) for r in rows),
        max((len(r.age) for r in rows), default=0),
    )


class EventsView(VerticalScroll, can_focus=True):
    """Scrollable events of the selected pod and its controllers."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: tuple[EventRow, ...] = ()
        """The event rows shown."""
        self._key: tuple[tuple[EventRow, ...], str, str] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("No pod selected.", "dim"), id="events-body")

    def show(self, rows: Sequence[EventRow], *, subject: str, forbidden: str = "") -> None:
        """Show the events of one object (or why they cannot be read)."""
        key = (tuple(rows), subject, forbidden)
        if key == self._key:
            return
        # Only the AGE texts moved (the same events, a second later: once a second while a pod is
        # selected): the table keeps its lines, so the screen is not laid out again (a layout pass
        # is ~20-40 ms with 20k pods during a watch storm, and a key pressed meanwhile waits).
        old = self._key
        same_lines = (
            old is not None and old[0] and not forbidden and not old[2] and old[1] == subject
            and _lines(old[0]) == _lines(rows)
        )
        self._key = key
        self.rows = key[0]
        body = self.query_one("#events-body", Static)
        if same_lines:
            body.update(events_table(rows), layout=False)
            return
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
