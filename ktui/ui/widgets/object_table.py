"""A list of Services, Ingresses, Deployments, ReplicaSets or Nodes: a virtual table on the Line API.

The same approach as the pod list (only visible lines rendered, each Strip cached by its row's
value, the cursor kept by uid across updates), with the columns of the kind shown
(``ktui.model.object_rows.COLUMNS``). Columns are sized to their content; when the table is too
narrow, the least useful ones go first (a ClusterIP before the verdict) and VERDICT takes the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.dom import DOMNode
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from ktui.model.object_rows import (
    COLUMNS,
    SORT_KEYS,
    ObjectRow,
    filter_object_rows,
    sort_object_rows,
)
from ktui.model.tables import SelectorError
from ktui.ui.widgets.object_columns import DIM_COLUMNS, layout
from ktui.ui.widgets.virtual_table import VirtualTable, nav_bindings, view_bindings

MARKS = {"error": "✖", "warning": "▲", "unknown": "?", "info": "✔"}
"""Verdict mark per severity (as in the pod list)."""

class ObjectTable(VirtualTable, can_focus=True):
    """Objects of one kind with kubectl-style columns, a verdict mark and the diagnosis's first line."""

    BINDING_GROUP_TITLE = "Object list"
    BINDINGS = [
        *nav_bindings("objects"),
        Binding(
            "enter", "open", "Pods", id="objects.open", tooltip="List the pods behind it (its selector)"
        ),
        *view_bindings("objects", "objects", "Cycle the sort order"),
    ]
    SORT_KEYS = SORT_KEYS

    COMPONENT_CLASSES = {
        "object-table--header",
        "object-table--cursor",
        "object-table--error",
        "object-table--warning",
        "object-table--unknown",
        "object-table--info",
        "object-table--dim",
        "object-table--message",
    }

    DEFAULT_CSS = """
    ObjectTable { overflow-x: hidden; overflow-y: auto; }
    """

    class Highlighted(Message):
        """The cursor is on another object (or on none)."""

        def __init__(self, table: ObjectTable, row: ObjectRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

    class Opened(Message):
        """Enter on a row: show what is behind it."""

        def __init__(self, row: ObjectRow) -> None:
            super().__init__()
            self.row = row

    class FilterRequested(Message):
        """The user asked to edit the filter."""

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        """The kind listed (a key of COLUMNS)."""
        self._rows: tuple[ObjectRow, ...] = ()
        self._counts: dict[str, int] = {}
        self._view: list[ObjectRow] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._cursor_uid: str | None = None
        self._pinned = False
        self._query = ""
        self._cols: list[tuple[str, int]] = []
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self._stale = False  # rows taken while hidden: the view is made when it is shown or read
        self.empty_message = "Loading…"
        """What the table says when it has no rows to show."""
        self.filter_error = ""
        """Why the current filter is invalid, if it is."""

    # ------------------------------------------------------------------ data

    @property
    def display(self) -> bool:
        """Whether the list is shown (set False while another view is)."""
        return super().display

    @display.setter
    def display(self, show: bool | str) -> None:
        DOMNode.display.fset(self, show)  # type: ignore[attr-defined]
        if self.display:
            self._catch_up()

    def _catch_up(self) -> None:
        if self._stale:
            self._rebuild()

    @property
    def rows(self) -> Sequence[ObjectRow]:
        """The rows shown, in display order."""
        self._catch_up()
        return self._view

    @property
    def all_rows(self) -> Sequence[ObjectRow]:
        """Every row, before filtering."""
        return self._rows

    @property
    def total(self) -> int:
        """Number of rows before filtering."""
        return len(self._rows)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per severity before filtering."""
        return self._counts

    @property
    def filter_query(self) -> str:
        """The filter bar's text."""
        return self._query

    @property
    def cursor_row(self) -> ObjectRow | None:
        """The highlighted row."""
        self._catch_up()
        return self._view[self._cursor] if self._view else None

    def set_rows(self, rows: tuple[ObjectRow, ...]) -> None:
        """Replace the data; the cursor stays on the same uid (a hidden list sorts them once shown)."""
        if rows is self._rows or rows == self._rows:
            return  # a snapshot that changed only pods: nothing to redraw here
        self._rows = rows
        self._counts = {}
        for row in rows:
            self._counts[row.severity] = self._counts.get(row.severity, 0) + 1
        if self.display:
            self._rebuild()
        else:
            # Another view is shown: filtering, sorting and measuring thousands of rows on every
            # snapshot would only slow the one the user looks at.
            self._stale = True

    def drop_rows(self) -> None:
        """Let every row go, as the list is hidden (its rows are made again when shown); the cursor
        keeps its object, found again by uid then."""
        self._rows, self._view, self._index, self._counts = (), [], {}, {}
        self._stale = True

    def set_query(self, query: str) -> None:
        """Filter by a filter-bar query (text, or a ``-l`` / ``k=v`` label selector on the objects)."""
        self._query = query
        self._rebuild()

    def watch_problems_only(self) -> None:
        self._rebuild()

    def watch_sort_key(self) -> None:
        self._rebuild()

    def watch_sort_reverse(self) -> None:
        self._rebuild()

    def watch_show_namespace(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        self._stale = False
        try:
            shown = filter_object_rows(self._rows, self._query, self.problems_only)
            self.filter_error = ""
        except SelectorError as exc:
            shown = list(self._rows)
            self.filter_error = str(exc)
        self._view = sort_object_rows(shown, self.sort_key, self.sort_reverse)
        self._index = {row.uid: i for i, row in enumerate(self._view)}
        uid = self._cursor_uid
        if self._pinned and uid is not None and uid in self._index:
            self._cursor = self._index[uid]
        else:
            self._cursor = min(self._cursor, max(len(self._view) - 1, 0))
        self._relayout()
        self.virtual_size = Size(self.size.width, len(self._view) + 1)
        self._announce()
        self._scroll_to_cursor()
        self.refresh()

    def _relayout(self) -> None:
        self._cols = layout(self._view, self.kind, self.size.width or 80, self.show_namespace)
        self._cache.clear()

    def _announce(self) -> None:
        row = self.cursor_row
        uid = row.uid if row else None
        if uid != self._cursor_uid:
            self._cursor_uid = uid
            self.post_message(self.Highlighted(self, row))

    # ------------------------------------------------------------------ actions

    def move_to(self, index: int) -> None:
        """Put the cursor on a display index (from then on it follows that object by uid)."""
        if not self._view:
            return
        self._pinned = True
        old = self._cursor
        self._cursor = max(0, min(index, len(self._view) - 1))
        if old != self._cursor:
            self.refresh_lines(old - int(self.scroll_y) + 1)
            self.refresh_lines(self._cursor - int(self.scroll_y) + 1)
        self._scroll_to_cursor()
        self._announce()

    def select_uid(self, uid: str) -> bool:
        """Put the cursor on an object by uid; False when it is not shown."""
        if uid not in self._index:
            return False
        self.move_to(self._index[uid])
        return True

    def select_name(self, name: str, namespace: str | None = None) -> bool:
        """Put the cursor on an object by name; False when it is not shown."""
        row = next(
            (r for r in self._view if r.name == name and namespace in (None, r.namespace)), None
        )
        return row is not None and self.select_uid(row.uid)

    def _row_count(self) -> int:
        return len(self._view)

    def action_open(self) -> None:
        """Ask the screen to show what is behind the selected object."""
        row = self.cursor_row
        if row is not None:
            self.post_message(self.Opened(row))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._view) + 1)
        self._relayout()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        """Line 0 is the header; the rest are rows from the scroll offset."""
        width = self.size.width
        base = self.rich_style
        if y == 0:
            key: tuple[object, ...] = ("header", width, self.sort_key, self.sort_reverse)
            strip = self._cache.get(key)
            if strip is None:
                strip = self._render_header(width)
                self._cache[key] = strip
            return strip
        index = int(self.scroll_y) + y - 1
        if not self._view:
            if y == 2:
                text = Text(
                    "  " + (self.filter_error or self.empty_message),
                    style=self.get_component_rich_style("object-table--message"),
                )
                return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self._view):
            return Strip.blank(width, base)
        row = self._view[index]
        selected = index == self._cursor
        key = (row, selected, self.has_focus, width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row, width, selected)
            self._cache[key] = strip
        return strip

    def _render_header(self, width: int) -> Strip:
        style = self.get_component_rich_style("object-table--header")
        text = Text("  ", style=style)
        arrow = "↑" if self.sort_reverse else "↓"
        sort_col = {"name": "NAME", "age": "AGE", "severity": "VERDICT"}.get(self.sort_key, "")
        for name, w in self._cols:
            label = f"{name}{arrow}" if name == sort_col else name
            text.append(label[:w].ljust(w) + " ", style)
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, style)

    def _render_row(self, row: ObjectRow, width: int, selected: bool) -> Strip:
        severity = row.severity if row.severity in MARKS else "unknown"
        severity_style = self.get_component_rich_style(f"object-table--{severity}")
        dim = self.get_component_rich_style("object-table--dim")
        text = Text(no_wrap=True, end="")
        text.append(MARKS[severity] + " ", severity_style)
        columns = COLUMNS[row.kind]
        for name, w in self._cols:
            value = row.namespace if name == "NAMESPACE" else row.cells[columns.index(name)]
            if cell_len(value) > w:
                value = value[: max(w - 1, 0)] + "…"
            cell = value.ljust(w) + " "
            if name == "VERDICT":
                text.append(cell, dim if severity == "info" else severity_style)
            elif name in DIM_COLUMNS:
                text.append(cell, dim)
            else:
                text.append(cell)
        line_style = self.rich_style
        if selected:
            cursor = self.get_component_rich_style("object-table--cursor")
            if not self.has_focus:
                cursor = cursor + Style(dim=False)
            text.stylize(cursor)
            line_style = line_style + cursor
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, line_style)
