"""The pane keys of the main screen: logs, events, path, diagnosis, and esc to go back.

Mixed into ``MainScreen`` as ``ProbeKeys`` is: Textual finds the actions and the
``on_tabbed_content_tab_activated`` handler on a mixin by name (``@on`` only registers on Textual
classes).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.widgets import Input, TabbedContent

from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.events_view import EventsView

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen


class PaneKeys:
    """Open and close the side panes; ``esc`` closes whatever is open, innermost first."""

    @property
    def _screen(self) -> MainScreen:
        screen: Any = self
        return screen  # type: ignore[no-any-return]

    def set_panes_visible(self, visible: bool) -> None:
        """Show the side panes beside the list (or the diagnosis alone)."""
        self._screen.set_class(visible, "-panes")

    def action_show_logs(self, previous: bool) -> None:
        """Open the logs pane on the selected pod (its previous container with `p`)."""
        screen = self._screen
        if screen.view.kind != "Pod":
            screen.notify("Logs are per pod: Enter lists the pods behind this object", severity="warning")
            return
        screen.when_rest_ready(partial(self._show_logs, previous))

    def _show_logs(self, previous: bool) -> None:
        screen = self._screen
        pane = screen.log_pane
        pane.previous = previous
        screen.set_panes_visible(True)
        screen.query_one(TabbedContent).active = "tab-logs"
        pane.active = True
        pane.reload(force=True)
        pane.view.focus()

    def action_show_events(self) -> None:
        """Open the events pane."""
        screen = self._screen
        screen.set_panes_visible(True)
        screen.query_one(TabbedContent).active = "tab-events"
        screen.query_one(EventsView).focus()

    def action_show_path(self) -> None:
        """Open the connection path pane."""
        self._screen.when_rest_ready(self._show_path)

    def _show_path(self) -> None:
        screen = self._screen
        screen.set_panes_visible(True)
        screen.query_one(TabbedContent).active = "tab-path"
        screen.update_path()
        screen.path_pane.focus()

    def action_show_diagnosis(self) -> None:
        """Show (and focus) the diagnosis."""
        screen = self._screen
        screen.set_panes_visible(False)
        screen.query_one(DiagnosisView).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Read logs only while the Logs tab is shown; the path only while the Path tab is."""
        screen = self._screen
        if event.pane.id != "tab-events":
            screen.mount_rest()  # a tab clicked before they were: they show what they are told on mount
        screen.update_path()
        pane = screen.log_pane
        pane.active = event.pane.id == "tab-logs"
        if pane.active:
            pane.reload(force=False)
        else:
            pane.stop_reading()

    def action_back(self) -> None:
        """Close the prompt, search or filter box, or go back to the list."""
        screen = self._screen
        box = screen.query_one("#filter", Input)
        command = screen.query_one("#command", Input)
        table = screen.list_widget
        if command.display:
            command.display = False
            table.focus()
        elif screen.log_pane.searching:
            screen.log_pane.close_search()
        elif box.display and (screen.focused is box or not table.has_focus):
            box.value = ""
            box.display = False
            table.focus()
        elif box.display:
            box.value = ""
            box.display = False
        else:
            screen.set_panes_visible(False)
            table.focus()
