"""The scaffolding the virtual Line-API tables share: cursor keys, scrolling, filter and sort toggles.

``PodTable`` and ``ObjectTable`` keep their own data, repainting and rendering; this base holds
what is the same in both: the reactives, the key bindings (built per table so their ids stay
``pods.*`` / ``objects.*``), moving the cursor by row, page or edge, and keeping it on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


def nav_bindings(prefix: str) -> list[Binding]:
    """The cursor keys (row, page, first, last) with binding ids under ``prefix``."""
    return [
        Binding("up,k", "cursor(-1)", "Up", show=False, id=f"{prefix}.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id=f"{prefix}.down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("home,g", "edge(0)", "First", show=False, id=f"{prefix}.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id=f"{prefix}.last"),
    ]


def view_bindings(prefix: str, noun: str, sort_tooltip: str) -> list[Binding]:
    """Filter, problems-only and sort keys with binding ids under ``prefix``."""
    return [
        Binding(
            "slash", "open_filter", "Filter", id=f"{prefix}.filter", tooltip="Filter by text or -l selector"
        ),
        Binding(
            "exclamation_mark",
            "toggle_problems",
            "Problems",
            id=f"{prefix}.problems",
            tooltip=f"Show only {noun} with a problem",
        ),
        Binding("s", "cycle_sort", "Sort", show=False, id=f"{prefix}.sort", tooltip=sort_tooltip),
        Binding("S", "reverse_sort", "Reverse", show=False, id=f"{prefix}.reverse"),
    ]


class VirtualTable(ScrollView):
    """A header line over rows drawn one line at a time, with a cursor kept on screen."""

    SORT_KEYS: ClassVar[Sequence[str]] = ()
    """The sort orders ``s`` cycles through."""

    show_namespace: reactive[bool] = reactive(False)
    """Whether the NAMESPACE column is shown (all namespaces)."""
    problems_only: reactive[bool] = reactive(False, bindings=True)
    """Show only rows whose verdict is not healthy."""
    sort_key: reactive[str] = reactive("severity")
    """The order of the rows."""
    sort_reverse: reactive[bool] = reactive(False)
    """Reverse the order."""

    _cursor: int
    _cache: LRUCache[tuple[object, ...], Strip]

    # Each table defines its own, so handler names stay on_pod_table_… / on_object_table_….
    FilterRequested: ClassVar[type[Message]]

    def _row_count(self) -> int:
        """Number of rows shown."""
        raise NotImplementedError

    def move_to(self, index: int) -> None:
        """Put the cursor on a display index."""
        raise NotImplementedError

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
        self.move_to(self._row_count() - 1 if end else 0)

    def action_open_filter(self) -> None:
        """Ask the screen to open the filter bar."""
        self.post_message(self.FilterRequested())

    def action_toggle_problems(self) -> None:
        """Toggle problems-only."""
        self.problems_only = not self.problems_only

    def action_cycle_sort(self) -> None:
        """Sort by the next order."""
        keys = self.SORT_KEYS
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.notify(f"Sorted by {self.sort_key}", timeout=2)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse

    def on_click(self, event: object) -> None:
        """Click a row to select it."""
        y = getattr(event, "y", 0)
        if y >= 1:
            self.move_to(int(self.scroll_y) + y - 1)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()
