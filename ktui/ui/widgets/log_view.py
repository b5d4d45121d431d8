"""Log lines on the Line API, in the manner of Textual's ``Log``, with a bounded ring buffer.

Adds what troubleshooting needs and ``Log`` lacks: soft wrap, and a search that highlights every
match and jumps between them without hiding the lines around them (k9s #2056).

Built for a log flooding at 300k lines/s without stalling the event loop (bench B6): a follow stream
is buffered and taken in once per frame (``append_lines``); lines beyond the ring are dropped before
any work is spent on them; ingestion is a few whole-batch string operations; a line is cleaned, cut
for wrap and styled only when it is drawn, and a drawn line is cached under its absolute number (so
lines falling off the front never invalidate the cache). With wrap on, scrolling counts log lines,
not wrapped rows, so nothing is computed for lines off screen. Lines are kept raw and cleaned before
drawing (control characters replaced), so a log can never drive the terminal or inject markup.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from itertools import compress, count

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# Characters str.splitlines() also breaks on; a batch without them (and without "\n" inside a
# line) is taken in as it is.
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"

MAX_LINES = 100_000
"""Lines kept: older ones fall off the front (memory stays flat however long a follow runs)."""

FRAME = 1 / 30
"""How often a follow stream's lines are taken in, however many batches arrived: every other frame
at Textual's 60 fps. Each take-in redraws the screenful, and each drawn line leaves a few dozen
objects for the cyclic GC (Textual's Strip caches): at 30 Hz a flood costs half the collections."""

CACHE_LINES = 128
"""Drawn lines kept (a few screenfuls for scrolling back and forth). Each is ~20 objects the GC
walks on every full collection, so a large cache lengthens pauses while a flood makes it useless."""


def clean(line: str) -> str:
    """A log line made safe to draw: tabs expanded, control characters (ESC...) replaced."""
    return _CONTROL.sub("�", line.expandtabs())


def split_batch(batch: list[str]) -> tuple[list[str], int]:
    """A batch as single lines (as ``str.splitlines``) and the widest one's cells once cleaned."""
    text = "\n".join(batch)
    plain = text.isascii() and "\t" not in text
    if plain and text.count("\n") == len(batch) - 1 and not any(c in text for c in _OTHER_BREAKS):
        # The flood's case: whole-batch checks at C speed, no per-line Python work.
        return batch, max(map(len, batch), default=0)
    lines = [line for chunk in batch for line in (chunk.splitlines() or [""])]
    if plain:  # cleaning keeps the length of ASCII without tabs
        return lines, max(map(len, lines), default=0)
    return lines, max((cell_len(clean(line)) for line in lines), default=0)


class LogView(ScrollView, can_focus=True):
    """A bounded, searchable, optionally wrapped view of log lines."""

    ALLOW_SELECT = True
    COMPONENT_CLASSES = {"log-view--match", "log-view--current-match", "log-view--notice"}
    DEFAULT_CSS = """
    LogView { overflow: auto; }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None) -> None:
        super().__init__(id=id)
        self._max = max_lines
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._dropped = 0
        """Lines that fell off the front: the absolute number of ``_lines[0]``."""
        self._pending: deque[list[str]] = deque()
        self._pending_count = 0
        self._skipped = 0
        """Queued lines dropped before they were taken in (the ring would have pushed them out)."""
        self._flush_timer: Timer | None = None
        self._width = 0
        self._wrap = False
        self._layout_key: tuple[int, ...] = ()
        self._layout: list[tuple[int, int, int]] = []
        self._tail_key: tuple[int, ...] = ()
        self._tail: list[tuple[int, int, int]] = []
        self._pattern: re.Pattern[str] | None = None
        self._matches: deque[int] = deque()
        """Absolute numbers of the lines that match the search."""
        self._current = -1
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(CACHE_LINES)
        self.auto_scroll = True
        """Keep the end in view as lines arrive (follow)."""

    # ------------------------------------------------------------------ content

    @property
    def lines(self) -> list[str]:
        """The lines held (at most max_lines), as drawn."""
        return [clean(line) for line in self._lines]

    def line(self, index: int) -> str:
        """One held line, as drawn."""
        return clean(self._lines[index])

    @property
    def line_count(self) -> int:
        """Number of lines held."""
        return len(self._lines)

    @property
    def max_lines(self) -> int:
        """The ring's size."""
        return self._max

    @property
    def dropped(self) -> int:
        """Lines that fell off the front since the last clear."""
        return self._dropped

    @property
    def match_count(self) -> int:
        """Number of lines matching the search."""
        return len(self._matches)

    @property
    def current_match(self) -> int:
        """Index into the matches of the one in focus, -1 for none."""
        return self._current

    def current_match_text(self) -> str | None:
        """The line of the match in focus, if any."""
        if not 0 <= self._current < len(self._matches):
            return None
        return self.line(self._matches[self._current] - self._dropped)

    def clear(self) -> None:
        """Drop every line (and any not yet taken in)."""
        self._lines.clear()
        self._pending.clear()
        self._pending_count = self._skipped = 0
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._dropped = 0
        self._width = 0
        self._matches.clear()
        self._current = -1
        self._cache.clear()
        self._resize()
        self.refresh()

    def write_lines(self, lines: Iterable[str]) -> None:
        """Append lines now (a loaded log); a follow stream goes through ``append_lines``."""
        self.append_lines(lines)
        self.flush()

    def append_lines(self, lines: Iterable[str]) -> None:
        """Queue a batch to be taken in with the next frame's (cheap to call per network read)."""
        batch = lines if isinstance(lines, list) else list(lines)
        if not batch:
            return
        self._pending.append(batch)
        self._pending_count += len(batch)
        # Whole batches the ring would push out again before they could be drawn are dropped now.
        while self._pending_count - len(self._pending[0]) >= self._max:
            gone = self._pending.popleft()
            self._pending_count -= len(gone)
            self._skipped += len(gone)
        if self._flush_timer is None and self.is_mounted:
            self._flush_timer = self.set_timer(FRAME, self.flush, name="log-flush")

    def flush(self) -> None:
        """Take in every queued line: one ring extend, one search pass over the new lines, one refresh."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not self._pending:
            return
        batches, self._pending, self._pending_count = self._pending, deque(), 0
        at_end = self.is_vertical_scroll_end or self.max_scroll_y == 0
        new: list[str] = []
        for batch in batches:
            lines, width = split_batch(batch)
            new.extend(lines)
            self._width = max(self._width, width)
        end = self._dropped + len(self._lines) + self._skipped + len(new)
        self._skipped = 0
        if len(new) > self._max:
            new = new[-self._max :]
        self._lines.extend(new)
        shifted = end - len(self._lines) - self._dropped
        self._dropped = end - len(self._lines)
        if self._pattern is not None:
            self._match_new(new, end - len(new))
        self._resize()
        # Until a layout pass has given the view its scrollbar it cannot scroll: defer to after it.
        immediate = self.allow_vertical_scroll
        if self.auto_scroll and at_end:
            self.scroll_end(animate=False, immediate=immediate, x_axis=False)
        elif shifted:
            # Keep a reader who scrolled up on the lines they are reading while older ones fall off.
            self.scroll_to(y=max(self.scroll_y - shifted, 0), animate=False, immediate=immediate)
        self.refresh()

    def _resize(self) -> None:
        if self._wrap:
            tail_start, tail = self._wrapped_tail()
            self.virtual_size = Size(self._wrap_width(), tail_start + len(tail))
        else:
            self.virtual_size = Size(self._width, len(self._lines))

    def set_wrap(self, wrap: bool) -> None:
        """Soft-wrap long lines to the width."""
        self._wrap = wrap
        self._layout_key = self._tail_key = ()
        self._resize()
        self.refresh()

    @property
    def wrap(self) -> bool:
        """Whether long lines wrap."""
        return self._wrap

    def on_resize(self) -> None:
        self._layout_key = self._tail_key = ()
        if self._wrap:
            self._resize()

    def on_unmount(self) -> None:
        self._pending.clear()

    # ------------------------------------------------------------------ search

    def search(self, query: str) -> int:
        """Highlight a case-insensitive substring (or /regex/); jump to the first match; return count."""
        self._matches = deque()
        self._current = -1
        self._cache.clear()
        if not query:
            self._pattern = None
            self.refresh()
            return 0
        if len(query) > 2 and query.startswith("/") and query.endswith("/"):
            try:
                self._pattern = re.compile(query[1:-1], re.IGNORECASE)
            except re.error:
                self._pattern = re.compile(re.escape(query), re.IGNORECASE)
        else:
            self._pattern = re.compile(re.escape(query), re.IGNORECASE)
        self._match_new(self._lines, self._dropped)
        self.next_match(1)
        return len(self._matches)

    def _match_new(self, lines: Iterable[str], first: int) -> None:
        """Add the matching lines among ``lines`` (the first numbered ``first``); forget dropped ones."""
        assert self._pattern is not None
        matches = self._matches
        matches.extend(compress(count(first), map(self._pattern.search, lines)))
        gone = 0
        while matches and matches[0] < self._dropped:
            matches.popleft()
            gone += 1
        if gone and self._current >= 0:
            # The match in focus keeps its place; if it fell off, the oldest one left takes it.
            self._current = max(self._current - gone, 0) if matches else -1

    def next_match(self, direction: int) -> None:
        """Jump to the next (1) or previous (-1) match, wrapping around."""
        if not self._matches:
            self.refresh()
            return
        self._current = (self._current + direction) % len(self._matches)
        y = self._y_of(self._matches[self._current] - self._dropped)
        self.scroll_to(y=max(y - self.size.height // 2, 0), animate=False, immediate=True)
        self._cache.clear()
        self.refresh()

    # ------------------------------------------------------------------ rendering

    # With wrap on, a scroll offset counts log lines up to the last screenful of lines, then the
    # wrapped rows of those last lines (the "tail"): every row can be reached, and only the lines on
    # screen and in the tail are ever cut, never the whole ring.

    def _wrap_width(self) -> int:
        return max(self.size.width - 1, 10)

    def _wrapped_tail(self) -> tuple[int, list[tuple[int, int, int]]]:
        """(first line of the tail, its wrapped rows): the last screenful of lines, cut to the width."""
        width, height, total = self._wrap_width(), max(self.size.height, 1), len(self._lines)
        key = (width, height, total, self._dropped)
        if key != self._tail_key:
            start = max(total - height, 0)
            self._tail = [cut for index in range(start, total) for cut in self._cuts(index, width)]
            self._tail_key = key
        return max(total - height, 0), self._tail

    def _wrapped_rows(self) -> list[tuple[int, int, int]]:
        """(line index, start, end) per screen row with wrap on, for the rows on screen only."""
        width, height = self._wrap_width(), self.size.height
        top, total = int(self.scroll_y), len(self._lines)
        key = (width, height, top, total, self._dropped)
        if key == self._layout_key:
            return self._layout
        tail_start, tail = self._wrapped_tail()
        rows: list[tuple[int, int, int]] = []
        if top >= tail_start:
            rows = tail[top - tail_start : top - tail_start + height]
        else:
            index = top
            while index < total and len(rows) < height:
                rows.extend(self._cuts(index, width))
                index += 1
        self._layout_key, self._layout = key, rows[:height]
        return self._layout

    def _y_of(self, index: int) -> int:
        """The scroll offset that puts a line on the top row."""
        if not self._wrap:
            return index
        tail_start, tail = self._wrapped_tail()
        if index < tail_start:
            return index
        return tail_start + next((y for y, cut in enumerate(tail) if cut[0] == index), 0)

    def _cuts(self, index: int, width: int) -> list[tuple[int, int, int]]:
        length = len(clean(self._lines[index]))
        return [(index, s, min(s + width, length)) for s in range(0, length, width)] or [(index, 0, 0)]

    def render_line(self, y: int) -> Strip:
        """One screen row from the scroll offset."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if self._wrap:
            rows = self._wrapped_rows()
            if y >= len(rows):
                return Strip.blank(width, self.rich_style)
            index, start, end = rows[y]
            scroll_x = 0
        else:
            index = scroll_y + y
            if index >= len(self._lines):
                return Strip.blank(width, self.rich_style)
            start, end = 0, -1
        number = self._dropped + index
        current = self._matches[self._current] if 0 <= self._current < len(self._matches) else -1
        selection = self.text_selection
        key = (number, start, end, number == current, self._pattern)
        strip = None if selection is not None else self._cache.get(key)
        if strip is None:
            strip = self._render_log_line(index, start, end, number == current, selection)
            if selection is None:
                self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_offsets(
            scroll_x + start, index
        )

    def _render_log_line(
        self, index: int, start: int, end: int, is_current: bool, selection: Selection | None
    ) -> Strip:
        line = clean(self._lines[index])
        end = len(line) if end < 0 else end
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
        return selection.extract("\n".join(self.lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    def visible_text(self) -> str:
        """The lines currently on screen (what `y` copies when nothing is selected)."""
        if self._wrap:
            indexes = sorted({i for i, _, _ in self._wrapped_rows()})
        else:
            top = int(self.scroll_y)
            indexes = list(range(top, min(top + self.size.height, len(self._lines))))
        return "\n".join(self.line(i) for i in indexes)

