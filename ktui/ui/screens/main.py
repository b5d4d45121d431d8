"""The main screen: a resource list (pods, services, ingresses, deployments, replicasets, nodes), the
selection's diagnosis, its events, logs and connection path, and the probes.

Every list is its own widget (``PodTable`` for pods, ``ObjectTable`` for the rest), mounted once and
shown one at a time, so each keeps its cursor, filter and problems-only toggle when the view changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent, TabPane

from ktui.model.object_rows import ObjectRow, objects_of
from ktui.model.tables import PodRow
from ktui.resources import ClusterSnapshot, Pod, ref_of
from ktui.ui.keys import PANE_BINDINGS, PROBE_BINDINGS
from ktui.ui.probe_keys import ProbeRunner
from ktui.ui.reaper import REAPER
from ktui.ui.screens import lists, pane_control, probe_control, side_panes, view_control
from ktui.ui.screens.selection import EventIndex, FrontCache, PodLookup
from ktui.ui.screens.startup import REST_AFTER, StartupSteps
from ktui.ui.views import VIEWS, View
from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.events_view import EventsView
from ktui.ui.widgets.fixed_input import FixedInput
from ktui.ui.widgets.keys_footer import KeysFooter
from ktui.ui.widgets.log_pane import LogPane
from ktui.ui.widgets.object_table import ObjectTable
from ktui.ui.widgets.path_pane import PathPane
from ktui.ui.widgets.pod_table import PodTable
from ktui.ui.widgets.status_bar import StatusBar, StatusInfo, connection_banner


class MainScreen(StartupSteps, probe_control.ProbeKeys, pane_control.PaneKeys, Screen[None]):
    """Everything about the objects of one namespace (or all), live."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [*PANE_BINDINGS, *PROBE_BINDINGS]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: ClusterSnapshot | None = None
        """The latest snapshot."""
        self.diagnosis: Any = None
        """The latest diagnosis."""
        self.status = StatusInfo()
        """What the status line shows."""
        self.view: View = VIEWS[0]
        """The resource view shown (pods first)."""
        self.pod_lookup = PodLookup()
        """The selected pod by uid, without a uid -> Pod map of every pod per snapshot."""
        self.event_index = EventIndex()
        """Events by involved object, kept per events tuple (the side panes read a pod's events)."""
        self.front = FrontCache()
        """The Services and Ingresses in front of the selected pod."""
        self._row: PodRow | None = None
        self._subject: str | None = None
        self._footer: object = None  # what the footer's enabled keys were last worked out for
        self._side_pending = False  # a cursor move whose side panes are drawn after its frame
        self._tables = {view.name: ObjectTable(view.kind, id=f"list-{view.name}") for view in VIEWS[1:]}
        self._log_pane = LogPane(id="logs")
        self._path_pane = PathPane(self._connection, id="path")
        self._rest_mounted = False
        self._rest_scheduled = False
        self._rest_mounting: list[Any] = []  # the panes' mounts in flight (awaitable)
        self._objects: dict[str, tuple[ObjectRow, ...]] = {}  # the object lists' rows, kept until mounted
        self.object_kinds: frozenset[str] = frozenset()
        """The object lists whose rows each snapshot brings: the one shown (the others' are made when
        shown). Read by the feed thread: replaced whole, never changed in place."""
        self._forwards_seen: set[int] = set()
        self._resumed = False  # the first ScreenResume seen (StartupSteps)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield FixedInput(
            placeholder="filter: text, or a label selector (app=web, -l tier!=db); esc clears", id="filter"
        )
        # k9s's prompt sits at the top, under the header: so does ours.
        yield FixedInput(
            placeholder="po svc ing deploy rs no · ns NAME · ctx NAME · q   (→ completes, esc cancels)",
            id="command",
            suggester=view_control.CommandSuggester(lambda: view_control.words_for(self)),
        )
        with Horizontal(id="body"):
            yield PodTable(id="pods")
            # The other views' lists, the Logs and Path panes: mounted after the first frame (or
            # when first needed, ``mount_rest``), so the first screenful of pods comes sooner.
            with Vertical(id="side"):
                yield DiagnosisView(id="diagnosis")
                with TabbedContent(id="panes", initial="tab-events"):
                    with TabPane("Events", id="tab-events"):
                        yield EventsView(id="events")
                    yield TabPane("Logs", id="tab-logs")
                    yield TabPane("Path", id="tab-path")
        yield Static(id="banner")
        yield KeysFooter(compact=True, show_command_palette=False)
        yield ProbeRunner(self._connection, readonly=bool(getattr(self.app, "readonly", False)))

    def _connection(self) -> Any:
        return self.app.connection()  # type: ignore[attr-defined]

    @property
    def table(self) -> PodTable:
        """The pod list."""
        return self.query_one(PodTable)

    def object_table(self, view: View) -> ObjectTable:
        """The list of one non-pod view."""
        # Kept, not queried: messages from a list can still arrive while the app tears the screen down.
        return self._tables[view.name]

    @property
    def list_widget(self) -> PodTable | ObjectTable:
        """The list of the current view."""
        return self.table if self.view.kind == "Pod" else self.object_table(self.view)

    @property
    def log_pane(self) -> LogPane:
        """The logs pane (kept until mounted: ``ready`` says whether it is)."""
        return self._log_pane

    @property
    def path_pane(self) -> PathPane:
        """The connection path pane (kept until mounted: ``ready`` says whether it is)."""
        return self._path_pane

    @property
    def runner(self) -> ProbeRunner:
        """Runs probes and holds the forwards."""
        return self.query_one(ProbeRunner)

    def on_mount(self) -> None:
        for widget_id in ("#filter", "#banner", "#command"):
            self.query_one(widget_id).display = False
        for view in VIEWS:
            table = self.table if view.kind == "Pod" else self.object_table(view)
            table.border_title = f" {view.name} "
            table.display = view == self.view
        self.watch_problems_only(self.table)
        self.log_pane.source = self.app.source  # type: ignore[attr-defined]
        self.table.focus()
        self._show_status()
        # No snapshot (an unreachable cluster) also means no first rows: mount the rest anyway.
        self.set_timer(REST_AFTER, self.mount_rest)
        self.app.main_screen_mounted()  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ data in

    def apply_objects(self, snapshot: ClusterSnapshot, objects: dict[str, tuple[ObjectRow, ...]]) -> None:
        """Give every object list its rows (before ``apply_snapshot``; the cursors stay by uid)."""
        self._objects = objects
        if self._rest_mounted:
            lists.apply_objects(self, snapshot, objects)

    def apply_snapshot(
        self,
        snapshot: ClusterSnapshot,
        diagnosis: Any,
        rows: Sequence[PodRow],
        changed: frozenset[str] | None = None,
    ) -> None:
        """Take a new snapshot: move only the changed rows (``changed`` uids, None: diff), refresh panes."""
        if self.snapshot is not snapshot:
            # Often the last references to thousands of replaced records (a relist): freed off the loop.
            REAPER.drop(self.snapshot, self.diagnosis)
        self.snapshot, self.diagnosis = snapshot, diagnosis
        table = self.table
        table.set_rows(rows, changed)  # apply_pods' own set_rows of the same tuple is then a no-op
        lists.apply_pods(self, snapshot, rows)
        before, self._row = self._row, table.cursor_row
        moved = self._row is not None and (before is None or before.uid != self._row.uid)
        if moved and self.view.kind == "Pod":
            # A new pod under the cursor (the first rows, or the cursor's pod gone): its diagnosis and
            # events (rich tables, a layout pass) follow after the frame that shows the rows, as they
            # do after a cursor key. The footer's keys are worked out now, for the next key pressed.
            self._sync_bindings(self.subject)
            if not self._side_pending:
                self._side_pending = True
                self.call_after_refresh(self._side_after_move)
        else:
            self._update_side()
        self._show_status(if_changed=True)
        self.rest_after_pod_list(snapshot)
        if snapshot.synced:
            self.query_one("#banner").display = False
        else:
            table.empty_message = "Waiting for the cluster…"
            table.refresh()

    def apply_connection(self, state: str, message: str, forbidden: dict[str, str]) -> None:
        """Show the feed's connection state; before any data, an unreachable cluster fills the screen."""
        self.status.state = state
        self.status.message = message
        self.status.forbidden = len(forbidden)
        banner = self.query_one("#banner", Static)
        # Data shown (a first page of pods while the rest is listed, or a whole list): the cluster
        # answers, and the status line says what is still being listed; the banner is for no data.
        snapshot = self.snapshot
        nothing_yet = snapshot is None or not (snapshot.synced or snapshot.pods)
        if state in ("unreachable", "reconnecting", "connecting") and nothing_yet:
            app: Any = self.app
            text = connection_banner(app.source.context, app.source.server, state, message)
            banner.update(text)
            banner.display = True
        else:
            banner.display = False
        self._show_status()

    def _show_status(self, if_changed: bool = False) -> None:
        """Redraw the status line; ``if_changed``: only if the pod figures it shows changed."""
        with suppress(NoMatches):  # a forward closed while the app quits: the lists are already gone
            table = self.table
            # Redrawing is a layout pass: under a watch storm most snapshots change no figure shown.
            seen = (self.view.name, table.total, len(table.rows), table.filter_query, table.problems_only,
                    tuple(sorted(table.counts.items())))
            if if_changed and self.view.kind == "Pod" and seen == getattr(self, "_status_seen", None):
                return
            self._status_seen = seen
            self.query_one(StatusBar).show(lists.fill_status(self, self.status))

    # ------------------------------------------------------------------ views and selection

    def switch_view(self, view: View, *, query: str | None = None) -> None:
        """Show another resource list (its cursor, filter and toggles as they were left)."""
        self.mount_rest()
        lists.want_rows(self, frozenset() if view.kind == "Pod" else frozenset({view.kind}))
        lists.switch_view(self, view, query)
        self._update_side()
        self._show_status()
        self.refresh_bindings()

    @property
    def pod_row(self) -> PodRow | None:
        """The pod list's cursor row (kept while another view is shown)."""
        return self._row

    @property
    def object_row(self) -> ObjectRow | None:
        """The cursor row of the current object view (None in the pods view)."""
        return None if self.view.kind == "Pod" else self.object_table(self.view).cursor_row

    @property
    def selected_pod(self) -> Pod | None:
        """The pod under the cursor in the pods view."""
        if self.view.kind != "Pod" or self._row is None:
            return None
        return self.pod_lookup.get(self.snapshot.pods, self._row.uid) if self.snapshot is not None else None

    @property
    def selected_object(self) -> Any:
        """The Service, Ingress, Deployment, ReplicaSet or Node under the cursor (None in the pods view)."""
        row = self.object_row
        if row is None or self.snapshot is None:
            return None
        key = (row.namespace, row.name)
        return next((o for o in objects_of(self.snapshot, row.kind)
                     if (o.metadata.namespace, o.metadata.name) == key), None)

    @property
    def subject(self) -> Any:
        """Whatever is selected in the current view (a Pod or another object), or None."""
        return self.selected_pod if self.view.kind == "Pod" else self.selected_object

    @on(PodTable.Highlighted)
    def _highlighted(self, event: PodTable.Highlighted) -> None:
        # The row under the cursor now, not the one the message was posted for: a message posted
        # before the table was mounted (the first rows applied at the screen's mount) is delivered
        # after later moves, and would put the selection back on the first row.
        self._row = self.table.cursor_row
        if self.view.kind != "Pod":
            return
        # At once: what a key pressed next acts on (the probe keys, the logs pane's pod).
        self._sync_bindings(self.subject)
        pod = self.selected_pod
        if pod is not self.log_pane.pod:
            with suppress(NoMatches):
                self.log_pane.set_pod(pod)
        if not self._side_pending:
            # The diagnosis and events after the frame that shows the cursor on its new row: their
            # new content needs a layout pass (~15 ms at 10k pods) that would delay the cursor's own
            # frame; keys repeated faster than frames redraw them once, for the last row.
            self._side_pending = True
            self.call_after_refresh(self._side_after_move)

    def _side_after_move(self) -> None:
        if self._side_pending and self.view.kind == "Pod":
            self._update_side()

    @on(ObjectTable.Highlighted)
    def _object_highlighted(self, event: ObjectTable.Highlighted) -> None:
        if event.table is self.list_widget:
            self._update_side()

    @on(ObjectTable.Opened)
    def _opened(self, event: ObjectTable.Opened) -> None:
        view_control.open_row(self, event.row)

    def _update_side(self) -> None:
        self._side_pending = False
        self._sync_bindings(self.subject)
        with suppress(NoMatches):  # the panes are gone while the app quits
            side_panes.show_selection(self)

    def _sync_bindings(self, subject: Any) -> None:
        key = f"{self.view.name}/{subject.metadata.uid}" if subject is not None else None
        if key == self._subject:
            return
        self._subject = key
        # The probe keys depend on what is selected, but on a pod every one is on whichever pod it is
        # (probe_control.available): only a change of view, or between some pod and none, can change
        # the footer, and each refresh of the bindings recomposes it (~30 widgets mounted).
        footer = (self.view.name, "a pod") if isinstance(subject, Pod) else key
        if footer != self._footer:
            self._footer = footer
            self.refresh_bindings()

    def update_path(self) -> None:
        """Recompute the path only while its tab is the active one (it is cheap, not free)."""
        if self.query_one(TabbedContent).active != "tab-path" or self.snapshot is None:
            return
        app: Any = self.app
        subject = self.subject
        ref = ref_of(subject) if subject is not None else None
        self.path_pane.show_ref(self.snapshot, ref, app.book.results())

    # ------------------------------------------------------------------ filter and command prompt

    @on(PodTable.FilterRequested)
    @on(ObjectTable.FilterRequested)
    def _open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.list_widget.set_query(event.value)
        if self.view.kind == "Pod":
            # The box repaints without a layout (FixedInput): the list's frame comes first, and the
            # panes follow the cursor's row after it, as they do for a cursor key (their new text
            # lays the screen out); keystrokes faster than frames redraw them once.
            self._row = self.table.cursor_row
            self._sync_bindings(self.subject)
            if not self._side_pending:
                self._side_pending = True
                self.call_after_refresh(self._side_after_move)
        self._show_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.list_widget.focus()

    def action_command_prompt(self) -> None:
        """Open the `:` prompt (views, namespaces, contexts)."""
        box = self.query_one("#command", Input)
        box.value = ""
        box.display = True
        box.focus()

    @on(Input.Submitted, "#command")
    def _command_submitted(self, event: Input.Submitted) -> None:
        box = self.query_one("#command", Input)
        box.display = False
        self.list_widget.focus()
        view_control.run_command(self, event.value)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Probe keys greyed out (None) in --readonly, without a cluster or a target; logs only for pods."""
        if action in ("probe", "forward"):
            runners = self.query(ProbeRunner)  # empty while the screen is still composing
            if not (runners and runners.first().enabled):
                return None
            kind = str(parameters[0]) if parameters else "Forward"
            return True if probe_control.available(self, kind) else None
        if action == "show_logs":
            return True if self.view.kind == "Pod" else None
        return True

    def action_detail(self) -> None:
        """Show the selected object's YAML as the server has it."""
        view_control.show_detail(self)

    def action_copy(self) -> None:
        """Offer what to copy: log lines, the diagnosis, or one of its kubectl commands."""
        if self._side_pending:
            self._update_side()  # the cursor just moved: offer the new pod's diagnosis
        side_panes.offer_copy(self)

    def action_pick_namespace(self) -> None:
        """Choose a namespace (or all) from the cluster's namespaces."""
        view_control.pick_namespace(self)
