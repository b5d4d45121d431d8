"""LogView under a flood: a bounded ring, appends taken in once per frame, lazy wrap, search in the ring."""

from __future__ import annotations

from typing import Any

from conftest import wait_for
from textual.app import App, ComposeResult

from ktui.ui.widgets.log_view import LogView, clean, split_batch


class CountingView(LogView):
    """A LogView that counts its flushes and the lines it cut for wrap."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flushes = 0
        self.cut_lines: set[int] = set()

    def flush(self) -> None:
        if self._pending:
            self.flushes += 1
        super().flush()

    def _cuts(self, index: int, width: int) -> list[tuple[int, int, int]]:
        self.cut_lines.add(index)
        return super()._cuts(index, width)


class ViewApp(App[None]):
    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield CountingView(max_lines=self.max_lines, id="log")


def numbered(start: int, n: int) -> list[str]:
    return [f"{i:010d} line {i}" for i in range(start, start + n)]


def test_split_batch_keeps_splitlines_semantics_and_measures_cells() -> None:
    assert split_batch(["a", "bb"]) == (["a", "bb"], 2)
    assert split_batch(["crlf\r", "x\ny"]) == (["crlf", "x", "y"], 4)
    assert split_batch(["\tx"]) == (["\tx"], 9)  # tabs expand to 8 columns
    assert split_batch(["日本語"]) == (["日本語"], 6)  # wide characters take two cells
    assert split_batch([""]) == ([""], 0)
    assert clean("\x1b[31mred\x1b[0m") == "�[31mred�[0m"


async def test_ring_stays_bounded_after_many_times_its_size() -> None:
    app = ViewApp(max_lines=1000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CountingView)
        for start in range(0, 50_000, 500):  # 50 rings' worth, in network-read-sized batches
            view.append_lines(numbered(start, 500))
            assert view._pending_count <= 1000 + 500  # queued lines are bounded before any frame
        await wait_for(pilot, lambda: view.line_count == 1000, what="flush")
        assert view.line_count == 1000 and view.dropped == 49_000
        assert view.line(0).startswith("0000049000") and view.line(-1).startswith("0000049999")
        assert view.flushes <= 3  # 100 batches taken in together, not one by one


async def test_batches_are_taken_in_once_per_frame_and_follow_stays_at_the_end() -> None:
    app = ViewApp(max_lines=10_000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CountingView)
        view.write_lines(numbered(0, 100))  # a loaded log is shown at once
        assert view.line_count == 100 and view.flushes == 1
        await pilot.pause()
        for start in range(100, 5100, 50):
            view.append_lines(numbered(start, 50))
        assert view.line_count == 100  # nothing taken in between frames
        await wait_for(pilot, lambda: view.line_count == 5100, what="flush")
        assert view.flushes <= 3
        await pilot.pause()
        assert view.is_vertical_scroll_end
        assert view.visible_text().splitlines()[-1].startswith("0000005099")


async def test_search_finds_lines_in_the_ring_and_forgets_dropped_ones() -> None:
    app = ViewApp(max_lines=1000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CountingView)
        view.write_lines(numbered(0, 1000))
        assert view.search("line 12") == 11  # 12 and 120..129
        assert view.line_count == 1000  # search never hides lines
        assert "line 12" in (view.current_match_text() or "")
        # Matches keep coming as lines stream in; the ones that fall off the front are forgotten.
        view.append_lines([*numbered(1000, 500), "needle at the end"])
        await wait_for(pilot, lambda: view.line_count == 1000 and view.dropped == 501, what="flush")
        assert view.match_count == len([n for n in range(501, 1500) if "line 12" in f"line {n}"])
        view.search("needle")
        assert view.match_count == 1 and view.current_match_text() == "needle at the end"
        await pilot.pause()
        assert "needle at the end" in view.visible_text()  # jumped to it


async def test_a_reader_scrolled_up_keeps_their_lines_while_old_ones_fall_off() -> None:
    app = ViewApp(max_lines=1000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CountingView)
        view.write_lines(numbered(0, 1000))
        await pilot.pause()
        view.scroll_to(y=500, animate=False, immediate=True)
        first = view.visible_text().splitlines()[0]
        view.append_lines(numbered(1000, 100))
        await wait_for(pilot, lambda: view.dropped == 100, what="flush")
        await pilot.pause()
        assert view.visible_text().splitlines()[0] == first


async def test_wrap_cuts_only_lines_on_screen() -> None:
    app = ViewApp(max_lines=100_000)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(CountingView)
        view.write_lines([f"{i:06d} " + "x" * 150 for i in range(100_000)])
        view.set_wrap(True)
        await pilot.pause()
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        rows = view.visible_text().splitlines()
        assert rows[-1].startswith("099999")
        assert len(view.cut_lines) < 60  # a screenful of lines, not 100,000
        view.scroll_to(y=40_000, animate=False, immediate=True)
        await pilot.pause()
        assert view.visible_text().splitlines()[0].startswith("040000")
        assert len(view.cut_lines) < 120


async def test_control_characters_never_reach_the_screen() -> None:
    app = ViewApp(max_lines=100)
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(CountingView)
        view.write_lines(["\x1b]52;c;ZXZpbA==\x07 \x1b[31mred[/]"])
        await pilot.pause()
        text = "".join(segment.text for segment in view.render_line(0))
        assert "\x1b" not in text and "\x07" not in text and "[/]" in text


async def test_memory_is_flat_once_the_ring_is_full() -> None:
    import gc
    import tracemalloc

    app = ViewApp(max_lines=2000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CountingView)
        # Not drawn: Textual's and rich's own render caches (bounded LRUs) would fill up meanwhile
        # and hide what this measures, the view's data.
        view.display = False
        view.search("0 line")  # every tenth line: a live search keeps its matches bounded too
        tracemalloc.start()
        try:
            held = []
            for rings in (2, 40):
                while view.dropped + view.line_count < rings * 2000:
                    start = view.dropped + view.line_count
                    view.append_lines(numbered(start, 1000))
                    await pilot.pause()
                gc.collect()
                held.append(tracemalloc.get_traced_memory()[0])
        finally:
            tracemalloc.stop()
        assert view.line_count == 2000 and view.match_count == 200
        assert held[1] - held[0] < 50_000  # 76,000 more lines through the ring: no growth to speak of
