"""The pod list: a virtual table on Textual's Line API.

Only visible lines are rendered (``render_line``), each from a Strip cached by the row's value, so
20,000 rows paint as fast as 50 and a changed row costs one Strip. DataTable is not used: it
re-measures every cell after an update (~200 ms at 20k rows, performance.md §3). The data is kept
in order incrementally (``pod_order``): a snapshot moves only its changed rows, and only the
visible lines they touch are repainted. The cursor is kept by uid, so rows that move or change
under a watch update do not take the cursor with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from ktui.model.tables import SORT_KEYS, PodRow
from ktui.ui.widgets.pod_columns import fit_columns
from ktui.ui.widgets.pod_order import Dirty, PodOrder
from ktui.ui.widgets.virtual_table import VirtualTable, nav_bindings, view_bindings

MARKS = {"error": "✖", "warning": "▲", "unknown": "?", "info": "✔"}
"""Verdict mark per severity."""


class PodTable(VirtualTable, can_focus=True):
    """Pods with kubectl's columns, a verdict mark coloured by severity, sort, filter, problems-only."""

    BINDING_GROUP_TITLE = "Pod list"
    BINDINGS = [
        *nav_bindings("pods"),
        *view_bindings("pods", "pods", "Cycle the sort column"),
    ]
    SORT_KEYS = SORT_KEYS

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

    class Highlighted(Message):
        """The cursor is on another pod (or on none)."""

        def __init__(self, row: PodRow | None) -> None:
            super().__init__()
            self.row = row

    class FilterRequested(Message):
        """The user asked to edit the filter."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._order = PodOrder()
        self._last_rows: Sequence[PodRow] | None = None
        self._cursor = 0
        self._cursor_uid: str | None = None
        self._pinned = False
        self._filter_query = ""
        # A few screenfuls: each cached line is ~20 objects every full GC pass walks.
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}
        self._cols_key: tuple[object, ...] = ()
        self._cols: tuple[tuple[str, int], ...] = ()
        self.empty_message = "Loading pods…"
        """What the table says when it has no rows to show."""

    # ------------------------------------------------------------------ data

    @property
    def rows(self) -> Sequence[PodRow]:
        """The rows shown, in display order."""
        return self._order.view

    @property
    def _rows(self) -> Sequence[PodRow]:
        # Every row before filtering (the bench's duplicate check reads it).
        return self._order.all

    @property
    def total(self) -> int:
        """Number of rows before filtering."""
        return len(self._order.by_uid)

    @property
    def counts(self) -> Mapping[str, int]:
        """Rows per severity before filtering, kept as rows change (no recount per snapshot)."""
        return self._order.counts

    @property
    def filter_query(self) -> str:
        """The filter bar's text."""
        return self._filter_query

    @property
    def filter_error(self) -> str:
        """Why the current filter is invalid, if it is."""
        return self._order.error

    @property
    def cursor_row(self) -> PodRow | None:
        """The highlighted row."""
        view = self._order.view
        return view[self._cursor] if view else None

    def set_rows(self, rows: Sequence[PodRow], changed: frozenset[str] | None = None) -> None:
        """Take a new snapshot's rows; only rows in ``changed`` (None: those that differ) move."""
        if rows is self._last_rows:
            return  # the same snapshot's rows again: nothing can have changed
        self._last_rows = rows
        self._apply(self._order.replace(rows, changed))

    def set_query(self, query: str) -> None:
        """Filter by a filter-bar query (text, or a ``-l`` / ``k=v`` label selector)."""
        self._filter_query = query
        self._order.set_filter(query, self.problems_only)
        self._apply(Dirty(lo=0, resized=True, everything=True))

    def watch_problems_only(self) -> None:
        self.set_query(self._filter_query)

    def watch_sort_key(self) -> None:
        self._resort()

    def watch_sort_reverse(self) -> None:
        self._resort()

    def watch_show_namespace(self) -> None:
        self.refresh()

    def _resort(self) -> None:
        self._order.set_sort(self.sort_key, self.sort_reverse)
        self._apply(Dirty(lo=0, everything=True))

    def _apply(self, dirty: Dirty) -> None:
        """Put the cursor back on its pod and repaint only the visible lines that changed."""
        view = self._order.view
        old_cursor = self._cursor
        # Until the user moves, the cursor stays on the top row (the worst problem), so the first
        # screen explains the first failure; after that it follows its pod wherever the pod moves.
        at = self._order.index_of(self._cursor_uid) if self._pinned and self._cursor_uid else None
        self._cursor = at if at is not None else min(self._cursor, max(len(view) - 1, 0))
        if dirty.resized:
            self._set_virtual_height(len(view) + 1)
        self._announce()
        self._scroll_to_cursor()
        if dirty.everything:
            self.refresh()
            return
        top = int(self.scroll_y)
        bottom = top + max(self.size.height - 1, 1) - 1
        if self._cursor != old_cursor:
            for index in (old_cursor, self._cursor):
                if top <= index <= bottom:
                    self.refresh_lines(index + 1)
        span = dirty.touches(top, bottom)
        if span is not None:
            self.refresh_lines(span[0] + 1, span[1] - span[0] + 1)  # line 0 is the header
        if not view:
            self.refresh()  # the empty message

    def _announce(self) -> None:
        row = self.cursor_row
        uid = row.uid if row else None
        if uid != self._cursor_uid:
            self._cursor_uid = uid
            self.post_message(self.Highlighted(row))

    # ------------------------------------------------------------------ actions

    def move_to(self, index: int) -> None:
        """Put the cursor on a display index (from then on it follows that pod by uid)."""
        view = self._order.view
        if not view:
            return
        self._pinned = True
        old = self._cursor
        self._cursor = max(0, min(index, len(view) - 1))
        if old != self._cursor:
            # Lines are in virtual coordinates (refresh_lines subtracts the scroll); 0 is the header.
            self.refresh_lines(old + 1)
            self.refresh_lines(self._cursor + 1)
        self._scroll_to_cursor()
        self._announce()

    def select_uid(self, uid: str) -> bool:
        """Put the cursor on a pod by uid; False when it is not shown."""
        index = self._order.index_of(uid)
        if index is None:
            return False
        self.move_to(index)
        return True

    def _row_count(self) -> int:
        return len(self._order.view)

    def _set_virtual_height(self, height: int) -> None:
        """Set the scrollable height; the screen is laid out again only if a scrollbar comes or goes.

        ``virtual_size`` is a reactive declared with ``layout=True``: assigning it reflows the whole
        screen and repaints every widget on it (~8-10 ms at 160x50), on each filter keystroke that
        changes the match count. The list's box is sized by the stylesheet, so a new row count can
        only change its scrollbars: update them in place (``_scroll_update`` is what the layout pass
        itself calls); a scrollbar shown or hidden still asks for the layout, through its own
        ``layout=True`` reactive.
        """
        size = Size(self.size.width, height)
        if size == self.virtual_size:
            return
        if not self.container_size or self.styles.auto_dimensions:
            self.virtual_size = size  # not laid out yet, or its size follows its content
            return
        self.set_reactive(PodTable.virtual_size, size)
        self._scroll_update(size)

    def on_resize(self) -> None:
        # (in place, as for a new row count: the resize came from a layout pass, and assigning the
        # reactive asked for another one, a reflow of the whole screen after the first frame)
        self._set_virtual_height(len(self._order.view) + 1)
        self._cache.clear()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._styles.clear()

    def _style(self, component: str) -> Style:
        """A component's style (the widget's own for ""), resolved once per style change, not per row."""
        style = self._styles.get(component)
        if style is None:
            style = self.rich_style if not component else self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    # ------------------------------------------------------------------ rendering

    def _columns(self, width: int) -> tuple[tuple[str, int], ...]:
        # Asked for by every line drawn: worked out once per width, column widths and namespace toggle.
        key = (width, self._order.widths, self.show_namespace)
        if self._cols_key != key:
            self._cols_key = key
            self._cols = tuple(fit_columns(self._order.widths, width, self.show_namespace))
        return self._cols

    def render_line(self, y: int) -> Strip:
        """Line 0 is the header; the rest are rows from the scroll offset."""
        width = self.size.width
        cols = self._columns(width)
        base = self._style("")
        if y == 0:
            key: tuple[object, ...] = ("header", cols, width, self.sort_key, self.sort_reverse)
            strip = self._cache.get(key)
            if strip is None:
                strip = self._render_header(cols, width)
                self._cache[key] = strip
            return strip
        index = int(self.scroll_y) + y - 1
        view = self._order.view
        if not view:
            if y == 2:
                text = Text(
                    "  " + (self.filter_error or self.empty_message),
                    style=self._style("pod-table--message"),
                )
                return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(view):
            return Strip.blank(width, base)
        row = view[index]
        selected = index == self._cursor
        key = (row, selected, self.has_focus, cols, width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row, cols, width, selected)
            self._cache[key] = strip
        return strip

    def _render_header(self, cols: tuple[tuple[str, int], ...], width: int) -> Strip:
        style = self._style("pod-table--header")
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

    def _render_row(
        self, row: PodRow, cols: tuple[tuple[str, int], ...], width: int, selected: bool
    ) -> Strip:
        # Segments are built directly (no rich Text and its spans): a page of new rows is drawn
        # in a couple of milliseconds and leaves less for the garbage collector.
        severity_style = self._style(
            f"pod-table--{row.severity}" if row.severity in MARKS else "pod-table--unknown"
        )
        dim = self._style("pod-table--dim")
        values = {
            "NAMESPACE": row.namespace,
            "NAME": row.name,
            "READY": row.ready,
            "STATUS": row.status,
            "RESTARTS": row.restarts,
            "AGE": row.age,
            "NODE": row.node,
        }
        parts: list[tuple[str, Style | None]] = [(MARKS.get(row.severity, "?") + " ", severity_style)]
        length = 2
        for name, w in cols:
            value = values[name]
            if cell_len(value) > w:
                value = value[: max(w - 1, 0)] + "…"
            cell = value.ljust(w) + " "
            length += cell_len(cell)
            if name == "STATUS" and row.severity != "info":
                parts.append((cell, severity_style))
            elif name in ("NAMESPACE", "NODE", "AGE") or (name == "RESTARTS" and row.restart_count == 0):
                parts.append((cell, dim))
            else:
                parts.append((cell, None))
        line_style = self._style("")
        if selected:
            cursor = self._style("pod-table--cursor")
            if not self.has_focus:
                cursor = cursor + Style(dim=False)
            parts = [(cell, cursor if style is None else style + cursor) for cell, style in parts]
            line_style = line_style + cursor
        segments = [Segment(cell, style) for cell, style in parts]
        return Strip(segments, length).crop_extend(0, width, line_style)
