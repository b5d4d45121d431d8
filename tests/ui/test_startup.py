"""Start-up: the first frame mounts only what it shows; the feed waits for the first rows' frame.

The other views' lists and the Logs and Path panes are mounted after the whole pod list was shown
(or when first needed) and must then show exactly what a list mounted from the start shows; the feed thread's
first snapshot callback returns only once those rows were painted (so the rest of the sync does not
compete with that frame), and never waits on a stopped app.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import msgspec
from conftest import wait_for
from textual.widgets import TabbedContent
from ui_fixtures import SEED_LOGS, network_snapshot

from ktui.resources import ClusterSnapshot
from ktui.ui.app import KtuiApp
from ktui.ui.static_source import StaticSource
from ktui.ui.views import VIEWS
from ktui.ui.widgets.log_pane import LogPane
from ktui.ui.widgets.object_table import ObjectTable
from ktui.ui.widgets.path_pane import PathPane


class HeldSource(StaticSource):
    """A static source that delivers only when told (``deliver``), from any thread."""

    def start(self, on_snapshot: Any, on_status: Any) -> None:
        self._on_snapshot, self._on_status = on_snapshot, on_status
        self.held = on_snapshot  # kept after stop(), as a feed thread still running would
        on_status("live", "", {})

    def deliver(self, snapshot: ClusterSnapshot | None = None) -> None:
        self.held(self._scoped(snapshot or self.snapshot))


class FrameApp(KtuiApp):
    """Notes when the first frame showing pod rows was composed, and how many rows the first frame had."""

    rows_frame: float | None = None
    first_frame_rows: int | None = None

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)
        if renderable is None:
            return
        if self.first_frame_rows is None:
            self.first_frame_rows = len(self.main_screen.table.rows)
        if self.rows_frame is None and self.main_screen.table.rows:
            self.rows_frame = time.monotonic()


def held_app() -> tuple[FrameApp, HeldSource]:
    source = HeldSource(network_snapshot(), namespace=None, logs_by_key=dict(SEED_LOGS))
    return FrameApp(source), source


def object_rows(app: KtuiApp) -> dict[str, tuple[Any, ...]]:
    """Each object list's rows, as it shows them when switched to (a hidden list holds none)."""
    screen = app.main_screen
    assert not any(screen.object_table(view).all_rows for view in VIEWS[1:])
    out = {}
    for view in VIEWS[1:]:
        screen.switch_view(view)
        out[view.name] = tuple(screen.object_table(view).all_rows)
    screen.switch_view(VIEWS[0])
    return out


async def test_first_frame_mounts_only_what_it_shows_and_the_rest_gets_the_data() -> None:
    app, source = held_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert not screen.query(ObjectTable) and not screen.query(LogPane) and not screen.query(PathPane)
        source.deliver()
        await wait_for(pilot, lambda: len(screen.query(ObjectTable)) == 5 and screen.log_pane.ready
                       and screen.path_pane.ready, what="the rest mounted after the first rows")
        late = object_rows(app)
    # The same data into lists mounted before it arrived.
    app, source = held_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.main_screen.mount_rest()
        await pilot.pause()
        source.deliver()
        await wait_for(pilot, lambda: app.main_screen.snapshot is not None, what="the snapshot")
        await pilot.pause()
        assert object_rows(app) == late
        assert any(late.values())


async def test_the_rest_waits_for_the_whole_pod_list() -> None:
    # A live store's snapshots carry a change set; the pods' pages come before "Pod" is synced.
    app, source = held_app()
    whole = source.snapshot
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        source.deliver(msgspec.structs.replace(whole, synced=frozenset({"Service"}), changes={}, version=1))
        await wait_for(pilot, lambda: bool(screen.table.rows), what="the first page's rows")
        for _ in range(3):
            await pilot.pause()
        assert not screen.query(ObjectTable) and not screen.query(LogPane)
        source.deliver(msgspec.structs.replace(whole, synced=frozenset({"Service", "Pod"}), changes={},
                                               version=2))
        await wait_for(pilot, lambda: len(screen.query(ObjectTable)) == 5 and screen.log_pane.ready
                       and screen.path_pane.ready, what="the rest mounted after the whole pod list")


async def test_views_and_panes_needed_before_they_are_mounted() -> None:
    app, source = held_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert not screen.query(ObjectTable)
        await pilot.press("l")  # logs, before the panes were mounted
        await wait_for(pilot, lambda: screen.log_pane.ready and screen.log_pane.active, what="logs pane")
        assert screen.query_one(TabbedContent).active == "tab-logs"
        assert app.focused is screen.log_pane.view
        await pilot.press("escape")
        screen.switch_view(VIEWS[1])
        await pilot.pause()
        services = screen.object_table(VIEWS[1])
        assert services.display and app.focused is services
        source.deliver()
        await wait_for(pilot, lambda: services.total > 0, what="services rows")
        assert services.rows and not screen.table.display


async def test_feed_callback_returns_after_the_first_rows_are_painted() -> None:
    app, source = held_app()
    returned: list[float] = []

    def feed() -> None:
        source.deliver()
        returned.append(time.monotonic())

    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        thread = threading.Thread(target=feed, daemon=True)
        thread.start()
        await wait_for(pilot, lambda: returned, what="the callback to return")
        assert app.rows_frame is not None and returned[0] >= app.rows_frame
        assert app._painted is not None and app._painted.is_set()


async def test_a_stopped_app_never_leaves_the_feed_waiting() -> None:
    app, source = held_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        painted = app._painted
    assert painted is not None and painted.is_set()  # set on unmount: a late callback does not wait
    app._painted = painted
    thread = threading.Thread(target=source.deliver, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()


async def test_rows_diagnosed_before_the_screen_mounted_are_in_its_first_frame() -> None:
    # A prefetched feed (or this static source, which delivers inside the app's on_mount) has its
    # first rows posted before the main screen is composed: its mount applies them, so the first
    # frame shows them, and the message still queued is not applied a second time.
    source = StaticSource(network_snapshot(), namespace=None, logs_by_key=dict(SEED_LOGS))
    app = FrameApp(source)
    applied: list[int] = []
    apply = app.main_screen.apply_snapshot

    def counted(*args: Any, **kw: Any) -> None:
        applied.append(len(args[2]))
        apply(*args, **kw)

    app.main_screen.apply_snapshot = counted  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.first_frame_rows is not None, what="the first frame")
        await pilot.pause()
        assert app.first_frame_rows and app.first_frame_rows == len(app.main_screen.table.rows)
        assert applied == [app.first_frame_rows]


async def test_a_resize_to_the_size_laid_out_relays_nothing_and_a_real_one_relays_all() -> None:
    from textual import events
    from textual.geometry import Size

    app, _source = held_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        layouts: list[Size | None] = []
        relayout = screen._refresh_layout

        def counted(size: Size | None = None, scroll: bool = False) -> None:
            layouts.append(size)
            relayout(size, scroll)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        # What Textual's App posts once idle after start-up: the terminal's size, already laid out.
        screen.post_message(events.Resize(Size(160, 50), Size(160, 50)))
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(100, 40)
        await wait_for(pilot, lambda: screen.size == Size(100, 40), what="the new size laid out")
        assert Size(100, 40) in layouts
        assert screen.table.region.right <= 100 and screen.has_class("-narrow")
