"""The pod list: a virtual table on Textual's Line API.

Only visible lines are rendered (``render_line``), each from a Strip cached by the row's value, so
20,000 rows paint as fast as 50 and a changed row costs one Strip. DataTable is not used: it
re-measures every cell after an update (~200 ms at 20k rows, performance.md §3). The cursor is
kept by uid, so rows that move or change under a watch update do not take the cursor with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ktui.model.tables import SORT_KEYS, PodRow, RowFilter, SelectorError, sort_rows

MARKS = {"error": "✖", "warning": "▲", "unknown": "?", "info": "✔"}
"""Verdict mark per severity."""


@dataclass(frozen=True)
class _Layout:
    """Column widths for the current data and width."""

    namespace: int
    name: int
    status: int
    restarts: int
    node: int


class PodTable(ScrollView, can_focus=True):
    """Pods with kubectl's columns, a verdict mark coloured by severity, sort, filter, problems-only."""

    BINDING_GROUP_TITLE = "Pod list"
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="pods.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="pods.down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="pods.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="pods.page_down"),
        Binding("home,g", "edge(0)", "First", show=False, id="pods.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="pods.last"),
        Binding("slash", "open_filter", "Filter", id="pods.filter", tooltip="Filter by text or -l selector"),
        Binding(
            "exclamation_mark",
            "toggle_problems",
            "Problems",
            id="pods.problems",
            tooltip="Show only pods with a problem",
        ),
        Binding("s", "cycle_sort", "Sort", show=False, id="pods.sort", tooltip="Cycle the sort column"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="pods.reverse"),
    ]

    COMPONENT_CLASSES = {
        "pod-table--header",
        "pod-table--cursor",
        "pod-table--error",
        "pod-table--warning",
        "pod-table--unknown",
        "pod-table--info",
        "pod-table--dim",
        "pod-table--message",
    }

    DEFAULT_CSS = """
    PodTable { overflow-x: hidden; overflow-y: auto; }
    """

    show_namespace: reactive[bool] = reactive(False)
    """Whether the NAMESPACE column is shown (all namespaces)."""
    problems_only: reactive[bool] = reactive(False, bindings=True)
    """Show only rows whose verdict is not healthy."""
    sort_key: reactive[str] = reactive("severity")
    """The column rows are sorted by."""
    sort_reverse: reactive[bool] = reactive(False)
    """Reverse the sort."""

    class Highlighted(Message):
        """The cursor is on another pod (or on none)."""

        def __init__(self, row: PodRow | None) -> None:
            super().__init__()
            self.row = row

    class FilterRequested(Message):
        """The user asked to edit the filter."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: tuple[PodRow, ...] = ()
        self._view: list[PodRow] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._cursor_uid: str | None = None
        self._pinned = False
        self._filter = RowFilter()
        self._filter_query = ""
        self._layout = _Layout(9, 4, 6, 8, 4)
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self.empty_message = "Loading pods…"
        """What the table says when it has no rows to show."""
        self.filter_error = ""
        """Why the current filter is invalid, if it is."""

    # ------------------------------------------------------------------ data

    @property
    def rows(self) -> Sequence[PodRow]:
        """The rows shown, in display order."""
        return self._view

    @property
    def total(self) -> int:
        """Number of rows before filtering."""
        return len(self._rows)

    @property
    def filter_query(self) -> str:
        """The filter bar's text."""
        return self._filter_query

    @property
    def cursor_row(self) -> PodRow | None:
        """The highlighted row."""
        return self._view[self._cursor] if self._view else None

    def set_rows(self, rows: tuple[PodRow, ...]) -> None:
        """Replace the data (a new snapshot); the cursor stays on the same uid."""
        self._rows = rows
        self._rebuild()

    def set_query(self, query: str) -> None:
        """Filter by a filter-bar query (text, or a ``-l`` / ``k=v`` label selector)."""
        self._filter_query = query
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
        self._filter = RowFilter.parse(self._filter_query, self.problems_only)
        try:
            shown = self._filter.apply(self._rows)
            self.filter_error = ""
        except SelectorError as exc:
            shown = list(self._rows)
            self.filter_error = str(exc)
        self._view = sort_rows(shown, self.sort_key, self.sort_reverse)
        self._index = {row.uid: i for i, row in enumerate(self._view)}
        previous_uid = self._cursor_uid
        # Until the user moves, the cursor stays on the top row (the worst problem), so the first
        # screen explains the first failure; after that it follows its pod wherever the pod moves.
        if self._pinned and previous_uid is not None and previous_uid in self._index:
            self._cursor = self._index[previous_uid]
        else:
            self._cursor = min(self._cursor, max(len(self._view) - 1, 0))
        self._layout = self._measure()
        self.virtual_size = Size(self.size.width, len(self._view) + 1)
        self._announce()
        self._scroll_to_cursor()
        self.refresh()

    def _measure(self) -> _Layout:
        view = self._view
        if not view:
            return _Layout(9, 4, 6, 8, 4)
        return _Layout(
            namespace=max(9, max(len(r.namespace) for r in view)),
            name=max(4, max(cell_len(r.name) for r in view)),
            status=max(6, max(len(r.status) for r in view)),
            restarts=max(8, max(len(r.restarts) for r in view)),
            node=max(4, max(len(r.node) for r in view)),
        )

    def _announce(self) -> None:
        row = self.cursor_row
        uid = row.uid if row else None
        if uid != self._cursor_uid:
            self._cursor_uid = uid
            self.post_message(self.Highlighted(row))

    # ------------------------------------------------------------------ actions

    def move_to(self, index: int) -> None:
        """Put the cursor on a display index (from then on it follows that pod by uid)."""
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
        """Put the cursor on a pod by uid; False when it is not shown."""
        if uid not in self._index:
            return False
        self.move_to(self._index[uid])
        return True

    def _scroll_to_cursor(self) -> None:
        body = max(self.size.height - 1, 1)
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + body:
            self.scroll_to(y=self._cursor - body + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        """Move the cursor by delta rows."""
        self.move_to(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor by a page."""
        self.move_to(self._cursor + direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        """Go to the first or last row."""
        self.move_to(len(self._view) - 1 if end else 0)

    def action_open_filter(self) -> None:
        """Ask the screen to open the filter bar."""
        self.post_message(self.FilterRequested())

    def action_toggle_problems(self) -> None:
        """Toggle problems-only."""
        self.problems_only = not self.problems_only

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.notify(f"Sorted by {self.sort_key}", timeout=2)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse

    def on_click(self, event: object) -> None:
        """Click a row to select it."""
        y = getattr(event, "y", 0)
        if y >= 1:
            self.move_to(int(self.scroll_y) + y - 1)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._view) + 1)
        self._cache.clear()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # ------------------------------------------------------------------ rendering

    def _columns(self, width: int) -> list[tuple[str, int]]:
        lay = self._layout
        fixed = [("READY", 5), ("STATUS", lay.status), ("RESTARTS", lay.restarts), ("AGE", 7)]
        cols: list[tuple[str, int]] = []
        if self.show_namespace:
            cols.append(("NAMESPACE", min(lay.namespace, 20)))
        cols.append(("NAME", lay.name))
        cols.extend(fixed)
        cols.append(("NODE", lay.node))

        # Each column takes a separating space; the mark takes 2 cells.
        def total() -> int:
            return 2 + sum(w + 1 for _, w in cols)

        if total() > width:
            cols = [c for c in cols if c[0] != "NODE"]
        if total() > width and self.show_namespace:
            cols = [(n, min(w, 12) if n == "NAMESPACE" else w) for n, w in cols]
        if total() > width:
            spare = total() - width
            cols = [(n, max(w - spare, 12) if n == "NAME" else w) for n, w in cols]
        if total() > width:
            cols = [(n, max(w - (total() - width), 3) if n == "RESTARTS" else w) for n, w in cols]
        return cols

    def render_line(self, y: int) -> Strip:
        """Line 0 is the header; the rest are rows from the scroll offset."""
        width = self.size.width
        cols = self._columns(width)
        base = self.rich_style
        if y == 0:
            key: tuple[object, ...] = ("header", tuple(cols), width, self.sort_key, self.sort_reverse)
            strip = self._cache.get(key)
            if strip is None:
                strip = self._render_header(cols, width)
                self._cache[key] = strip
            return strip
        index = int(self.scroll_y) + y - 1
        if not self._view:
            if y == 2:
                text = Text(
                    "  " + (self.filter_error or self.empty_message),
                    style=self.get_component_rich_style("pod-table--message"),
                )
                return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self._view):
            return Strip.blank(width, base)
        row = self._view[index]
        selected = index == self._cursor
        key = (row, selected, self.has_focus, tuple(cols), width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row, cols, width, selected)
            self._cache[key] = strip
        return strip

    def _render_header(self, cols: list[tuple[str, int]], width: int) -> Strip:
        style = self.get_component_rich_style("pod-table--header")
        text = Text("  ", style=style)
        arrow = "↓" if not self.sort_reverse else "↑"
        sort_col = {
            "name": "NAME",
            "status": "STATUS",
            "restarts": "RESTARTS",
            "age": "AGE",
            "node": "NODE",
        }.get(self.sort_key, "")
        for name, w in cols:
            label = f"{name}{arrow}" if name == sort_col else name
            text.append(label[:w].ljust(w) + " ", style)
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, style)

    def _render_row(self, row: PodRow, cols: list[tuple[str, int]], width: int, selected: bool) -> Strip:
        severity_style = self.get_component_rich_style(
            f"pod-table--{row.severity}" if row.severity in MARKS else "pod-table--unknown"
        )
        base = self.rich_style
        text = Text(no_wrap=True, end="")
        text.append(MARKS.get(row.severity, "?") + " ", severity_style)
        values = {
            "NAMESPACE": row.namespace,
            "NAME": row.name,
            "READY": row.ready,
            "STATUS": row.status,
            "RESTARTS": row.restarts,
            "AGE": row.age,
            "NODE": row.node,
        }
        dim = self.get_component_rich_style("pod-table--dim")
        for name, w in cols:
            value = values[name]
            if cell_len(value) > w:
                value = value[: max(w - 1, 0)] + "…"
            cell = value.ljust(w) + " "
            if name == "STATUS" and row.severity != "info":
                text.append(cell, severity_style)
            elif name in ("NAMESPACE", "NODE", "AGE") or (name == "RESTARTS" and row.restart_count == 0):
                text.append(cell, dim)
            else:
                text.append(cell)
        line_style = base
        if selected:
            cursor = self.get_component_rich_style("pod-table--cursor")
            if not self.has_focus:
                cursor = cursor + Style(dim=False)
            text.stylize(cursor)
            line_style = base + cursor
        return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, line_style)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()
