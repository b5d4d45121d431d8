"""The main screen's start-up: what it mounts before its first frame, and what it mounts after.

Mixed into ``MainScreen`` as ``PaneKeys`` is (Textual finds the ``on_screen_resume`` handler on a
mixin by name). The first screen shows the pod list, the diagnosis and the Events tab; the other
views' lists and the Logs and Path panes are mounted after the frame that shows the whole pod list
(``mount_rest``), or at once when one of them is needed first: mounting and styling them before
would delay the first frame (~30 ms of the event loop's time at start-up), and while a big list
streams in, its pages and the first diagnosis of all of it (10k pods: ~45 ms of CPU sooner).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.widgets import TabPane

from ktui.ui.screens import lists
from ktui.ui.views import VIEWS

if TYPE_CHECKING:
    from ktui.resources import ClusterSnapshot
    from ktui.ui.screens.main import MainScreen
    from ktui.ui.widgets.object_table import ObjectTable
    from ktui.ui.widgets.pod_table import PodTable

REST_AFTER = 3.0
"""Seconds after the screen mounts when ``mount_rest`` runs if no snapshot brought it sooner (a
cluster that cannot be reached, a pod list refused or still streaming in)."""


class StartupSteps:
    """Mount less before the first frame; the rest after it, or when first needed."""

    @property
    def _main(self) -> MainScreen:
        screen: Any = self
        return screen  # type: ignore[no-any-return]

    def preset_breakpoints(self, width: int) -> None:
        """Take the width class (``-wide``/``-narrow``) for ``width`` now, before the first layout."""
        # As Screen's resize handler picks it (the highest breakpoint <= width), so that its pick
        # on the first resize changes nothing: else every widget is restyled once more before the
        # first frame.
        screen = self._main
        breakpoints = screen.HORIZONTAL_BREAKPOINTS or []
        chosen = max(((low, name) for low, name in breakpoints if width >= low), default=None)
        for _, name in breakpoints:
            screen.set_class(chosen is not None and name == chosen[1], name, update=False)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first resume (the push) restyles nothing: every widget was styled as it mounted."""
        # Runs before Screen's own handler (subclass first), which would otherwise restyle the whole
        # tree once more before the first frame (~10 ms); later resumes (a dialog closed) do as asked.
        screen = self._main
        if not screen._resumed:
            screen._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        """A resize to the size the screen is laid out at changes nothing: Screen's relayout is skipped."""
        # Textual's App keeps the terminal's first size event and posts it to the screen again once
        # idle (by then the first rows are on screen), and a screen's first layout posts one to
        # itself: both at the size already laid out, each a full reflow and repaint of every widget
        # (~20 ms of the event loop in the middle of the first sync). Any other size goes through.
        # The compositor's size is the one of the last layout (Screen.size is the terminal's now).
        if event.size == self._main._compositor.size:
            event.prevent_default()

    def watch_problems_only(self, table: PodTable | ObjectTable) -> None:
        """`!` on a list changes what the status line counts as shown."""
        screen = self._main
        screen.watch(table, "problems_only", lambda _value: screen._show_status(), init=False)

    def mount_rest(self) -> None:
        """Mount what the first screen does not show: the other views' lists, the Logs and Path panes.

        Once. Mounting registers them at once (queries and data calls work from now on); the panes
        compose their widgets a moment later (their ``ready``), and show what they were told then.
        """
        screen = self._main
        if screen._rest_mounted:
            return
        screen._rest_mounted = True
        tables = [screen.object_table(view) for view in VIEWS[1:]]
        screen.query_one("#body").mount(*tables, before=screen.query_one("#side"))
        for table in tables:
            self.watch_problems_only(table)
        if screen.snapshot is not None:
            lists.apply_objects(screen, screen.snapshot, screen._objects)
        screen._rest_mounting = [
            screen.query_one("#tab-logs", TabPane).mount(screen.log_pane),
            screen.query_one("#tab-path", TabPane).mount(screen.path_pane),
        ]

    def when_rest_ready(self, callback: Callable[[], None]) -> None:
        """Call back now if the Logs and Path panes are ready, else once ``mount_rest`` made them so."""
        screen = self._main
        self.mount_rest()
        if screen.log_pane.ready and screen.path_pane.ready:
            callback()
            return

        async def ready() -> None:
            for waiting in screen._rest_mounting:
                await waiting
            callback()

        screen.call_next(ready)

    def rest_after_pod_list(self, snapshot: ClusterSnapshot) -> None:
        """Once, from the first snapshot with the whole pod list: ``mount_rest`` after the frames
        showing it (a snapshot without a change set, not from a live store, counts as whole)."""
        screen = self._main
        if screen._rest_scheduled or ("Pod" not in snapshot.synced and snapshot.changes is not None):
            return
        screen._rest_scheduled = True
        # After the rows' frame, then after the side panes' frame (scheduled before this).
        screen.call_after_refresh(lambda: screen.call_after_refresh(self.mount_rest))
