"""PodTable on 20k rows: a changed row moves alone, the cursor keeps its pod, only touched lines repaint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from test_pod_table_order import rows
from textual.app import App, ComposeResult
from textual.geometry import Region

from ktui.model.tables import PodRow
from ktui.ui.widgets.pod_table import PodTable


class RecordingTable(PodTable):
    """A PodTable that notes what it asked to repaint (None: everything)."""

    def __init__(self) -> None:
        super().__init__(id="pods")
        self.repaints: list[Region | None] = []
        self.highlights: list[str | None] = []

    def refresh(self, *regions: Region, **kwargs: Any) -> Any:
        self.repaints.extend(regions or [None])
        return super().refresh(*regions, **kwargs)

    def on_pod_table_highlighted(self, event: PodTable.Highlighted) -> None:
        self.highlights.append(event.row.uid if event.row else None)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RecordingTable()


def number(r: PodRow) -> int:
    return int(r.uid.split("-")[1])


async def test_one_changed_row_moves_the_cursor_stays_and_only_its_lines_repaint() -> None:
    app = TableApp()
    data = rows(20_000)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(RecordingTable)
        table.set_rows(tuple(data))
        table.focus()
        await pilot.pause()
        table.move_to(1999)
        await pilot.press("down")  # the user moved: the cursor now follows its pod by uid
        cursor = table.cursor_row
        assert cursor is not None and cursor.severity == "info" and table.rows.index(cursor) == 2000
        table.repaints.clear()
        table.highlights.clear()

        # An off-screen healthy pod turns into an error: it jumps to the top, above the cursor.
        mover = table.rows[12_000]
        data[number(mover)] = moved = replace(mover, severity="error", status="Error")
        table.set_rows(tuple(data), frozenset({mover.uid}))

        assert table.cursor_row is cursor and table.rows.index(cursor) == 2001  # same pod, one lower
        assert table.highlights == []  # the selection did not change
        assert table.rows.index(moved) < 2000
        assert all(region is not None for region in table.repaints)  # never a full repaint
        assert len(table.rows) == 20_000

        # A change far below the screen that keeps its place repaints nothing at all.
        table.repaints.clear()
        quiet = table.rows[15_000]
        data[number(quiet)] = replace(quiet, restarts="3", restart_count=3, age="6m")
        table.set_rows(tuple(data), frozenset({quiet.uid}))
        assert table.repaints == []

        # A visible row changing in place repaints just its own line.
        visible = table.rows[int(table.scroll_y) + 3]
        data[number(visible)] = replace(visible, age="7m")
        table.set_rows(tuple(data))  # no `changed`: the table diffs rows itself
        lines = [region for region in table.repaints if region is not None]
        assert len(table.repaints) == 1 and lines[0].height == 1
        assert lines[0].y == table.rows.index(data[number(visible)]) + 1 - int(table.scroll_y)


async def test_filter_on_20k_rows_keeps_the_cursor_pod_and_counts() -> None:
    app = TableApp()
    data = rows(20_000)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(RecordingTable)
        table.set_rows(tuple(data))
        table.focus()
        await pilot.pause()
        target = next(r for r in table.rows if r.name == "web-01234")
        assert table.select_uid(target.uid)
        for typed in ("w", "we", "web", "web-", "web-01", "web-012"):
            table.set_query(typed)
            assert all(typed in r.search_text for r in table.rows)
        assert table.cursor_row is target
        assert len(table.rows) == sum(1 for r in data if "web-012" in r.search_text)
        assert table.total == 20_000 and sum(table.counts.values()) == 20_000
        table.set_query("")
        assert table.cursor_row is target and len(table.rows) == 20_000


async def test_the_same_rows_twice_are_taken_once() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(RecordingTable)
        snapshot = tuple(rows(100))
        table.set_rows(snapshot)
        await pilot.pause()
        table.repaints.clear()
        table.set_rows(snapshot)
        assert table.repaints == []


class LayoutCountingApp(TableApp):
    """Counts the screen's layout passes."""

    layouts = 0

    def on_mount(self) -> None:
        original = self.screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> None:
            self.layouts += 1
            original(*args, **kwargs)

        self.screen._refresh_layout = counted  # type: ignore[method-assign]


async def test_a_new_row_count_moves_the_scrollbar_and_lays_out_only_when_it_comes_or_goes() -> None:
    app = LayoutCountingApp()
    data = rows(2_000)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(RecordingTable)
        table.set_rows(tuple(data))
        await pilot.pause()
        assert table.show_vertical_scrollbar
        before = app.layouts
        table.set_query("web-01")  # 110 matches: still more than a screen
        await pilot.pause()
        assert app.layouts == before
        matched = len(table.rows) + 1  # and the header line
        assert 29 < matched < 2_001
        assert table.virtual_size.height == table.vertical_scrollbar.window_virtual_size == matched
        table.move_to(len(table.rows) - 1)  # the scroll range follows the new height
        await pilot.pause()
        assert table.scroll_y == table.max_scroll_y == matched - table.scrollable_content_region.height

        table.set_query("web-0123")  # one match: the scrollbar goes, which needs a layout
        await pilot.pause()
        assert not table.show_vertical_scrollbar and app.layouts > before
        assert table.scroll_y == 0
        table.set_query("")
        await pilot.pause()
        assert table.show_vertical_scrollbar and table.vertical_scrollbar.window_virtual_size == 2_001
