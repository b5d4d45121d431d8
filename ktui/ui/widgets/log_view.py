"""Log lines on the Line API, in the manner of Textual's ``Log``, with a bounded ring buffer.

Adds what troubleshooting needs and ``Log`` lacks: soft wrap, and a search that highlights every
match and jumps between them without hiding the lines around them (k9s #2056). Lines are kept as
plain strings; control characters are replaced before rendering, so a log can never drive the
terminal or inject markup.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")

MAX_LINES = 100_000
"""Lines kept: older ones fall off the front (memory stays flat however long a follow runs)."""


def clean(line: str) -> str:
    """A log line made safe to draw: tabs expanded, control characters (ESC...) replaced."""
    return _CONTROL.sub("�", line.expandtabs())


class LogView(ScrollView, can_focus=True):
    """A bounded, searchable, optionally wrapped view of log lines."""

    ALLOW_SELECT = True
    COMPONENT_CLASSES = {"log-view--match", "log-view--current-match", "log-view--notice"}
    DEFAULT_CSS = """
    LogView { overflow: auto; }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._dropped = 0
        self._width = 0
        self._wrap = False
        self._visual: list[tuple[int, int, int]] = []
        self._pattern: re.Pattern[str] | None = None
        self._matches: list[int] = []
        self._current = -1
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)
        self.auto_scroll = True
        """Keep the end in view as lines arrive (follow)."""

    # ------------------------------------------------------------------ content

    @property
    def lines(self) -> list[str]:
        """The lines held (at most max_lines)."""
        return list(self._lines)

    @property
    def line_count(self) -> int:
        """Number of lines held."""
        return len(self._lines)

    @property
    def match_count(self) -> int:
        """Number of lines matching the search."""
        return len(self._matches)

    @property
    def current_match(self) -> int:
        """Index into the matches of the one in focus, -1 for none."""
        return self._current

    def clear(self) -> None:
        """Drop every line."""
        self._lines.clear()
        self._dropped = 0
        self._width = 0
        self._matches = []
        self._current = -1
        self._relayout()

    def write_lines(self, lines: Iterable[str]) -> None:
        """Append lines (a batch per frame is the fast path)."""
        at_end = self.is_vertical_scroll_end or self.max_scroll_y == 0
        new = [clean(line) for chunk in lines for line in (chunk.splitlines() or [""])]
        if not new:
            return
        overflow = len(self._lines) + len(new) - (self._lines.maxlen or 0)
        self._lines.extend(new)
        if overflow > 0:
            self._dropped += overflow
        self._width = max(self._width, max(cell_len(line) for line in new))
        if self._pattern is not None:
            self._rematch()
        self._relayout()
        if self.auto_scroll and at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def set_wrap(self, wrap: bool) -> None:
        """Soft-wrap long lines to the width."""
        self._wrap = wrap
        self._relayout()

    @property
    def wrap(self) -> bool:
        """Whether long lines wrap."""
        return self._wrap

    def _relayout(self) -> None:
        """Recompute the visual lines (only with wrap) and the virtual size."""
        self._cache.clear()
        width = max(self.size.width - 1, 10)
        if self._wrap:
            visual: list[tuple[int, int, int]] = []
            for index, line in enumerate(self._lines):
                if len(line) <= width:
                    visual.append((index, 0, len(line)))
                else:
                    visual.extend((index, s, min(s + width, len(line))) for s in range(0, len(line), width))
            self._visual = visual
            self.virtual_size = Size(width, len(visual))
        else:
            self._visual = []
            self.virtual_size = Size(self._width, len(self._lines))
        self.refresh()

    def on_resize(self) -> None:
        if self._wrap:
            self._relayout()
        else:
            self._cache.clear()

    # ------------------------------------------------------------------ search

    def search(self, query: str) -> int:
        """Highlight a case-insensitive substring (or /regex/); jump to the first match; return count."""
        if not query:
            self._pattern = None
            self._matches = []
            self._current = -1
            self._cache.clear()
            self.refresh()
            return 0
        if len(query) > 2 and query.startswith("/") and query.endswith("/"):
            try:
                self._pattern = re.compile(query[1:-1], re.IGNORECASE)
            except re.error:
                self._pattern = re.compile(re.escape(query), re.IGNORECASE)
        else:
            self._pattern = re.compile(re.escape(query), re.IGNORECASE)
        self._rematch()
        self._current = -1
        self.next_match(1)
        return len(self._matches)

    def _rematch(self) -> None:
        pattern = self._pattern
        self._matches = [i for i, line in enumerate(self._lines) if pattern and pattern.search(line)]
        self._cache.clear()

    def next_match(self, direction: int) -> None:
        """Jump to the next (1) or previous (-1) match, wrapping around."""
        if not self._matches:
            self.refresh()
            return
        self._current = (self._current + direction) % len(self._matches)
        line = self._matches[self._current]
        y = self._visual_y(line)
        self.scroll_to(y=max(y - self.size.height // 2, 0), animate=False, immediate=True)
        self._cache.clear()
        self.refresh()

    def _visual_y(self, line: int) -> int:
        if not self._wrap:
            return line
        for y, (index, _, _) in enumerate(self._visual):
            if index == line:
                return y
        return 0

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        """One visual line from the scroll offset."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        target = scroll_y + y
        if self._wrap:
            if target >= len(self._visual):
                return Strip.blank(width, self.rich_style)
            index, start, end = self._visual[target]
            scroll_x = 0
        else:
            if target >= len(self._lines):
                return Strip.blank(width, self.rich_style)
            index, start, end = target, 0, len(self._lines[target])
        current = self._matches[self._current] if 0 <= self._current < len(self._matches) else -1
        selection = self.text_selection
        key = (index, start, end, index == current, self._pattern)
        strip = None if selection is not None else self._cache.get(key)
        if strip is None:
            strip = self._render_log_line(index, start, end, index == current, selection)
            if selection is None:
                self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_offsets(
            scroll_x + start, index
        )

    def _render_log_line(
        self, index: int, start: int, end: int, is_current: bool, selection: Selection | None
    ) -> Strip:
        line = self._lines[index]
        text = Text(line[start:end], no_wrap=True, end="")
        text.stylize(self.rich_style)
        if self._pattern is not None:
            style = self.get_component_rich_style(
                "log-view--current-match" if is_current else "log-view--match"
            )
            for match in self._pattern.finditer(line):
                a, b = max(match.start(), start) - start, min(match.end(), end) - start
                if a < b:
                    text.stylize(style, a, b)
        if selection is not None and (span := selection.get_span(index)) is not None:
            a, b = span
            b = len(line) if b == -1 else b
            a, b = max(a - start, 0), min(b - start, end - start)
            if a < b:
                text.stylize(self.screen.get_component_rich_style("screen--selection"), a, b)
        return Strip(text.render(self.app.console), text.cell_len)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text (for copy)."""
        return selection.extract("\n".join(self._lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    def visible_text(self) -> str:
        """The lines currently on screen (what `y` copies when nothing is selected)."""
        top = int(self.scroll_y)
        if self._wrap:
            indexes = sorted({i for i, _, _ in self._visual[top : top + self.size.height]})
        else:
            indexes = list(range(top, min(top + self.size.height, len(self._lines))))
        return "\n".join(self._lines[i] for i in indexes)
