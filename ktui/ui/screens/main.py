"""The main screen: pod list, the selected pod's diagnosis, its events, logs and connection path, probes."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from ktui.model.tables import PodRow, scoped_events
from ktui.resources import ClusterSnapshot, Pod
from ktui.ui.keys import PANE_BINDINGS, PROBE_BINDINGS
from ktui.ui.probe_keys import ProbeRunner
from ktui.ui.screens import probe_control
from ktui.ui.widgets.diagnosis_view import DiagnosisView, related_findings
from ktui.ui.widgets.events_view import EventsView
from ktui.ui.widgets.log_pane import LogPane
from ktui.ui.widgets.path_pane import PathPane
from ktui.ui.widgets.pod_table import MARKS, PodTable
from ktui.ui.widgets.status_bar import StatusBar, StatusInfo


def _forbidden(forbidden: dict[str, str], verb_resource: str) -> str:
    """The server's message for a refused read, if it was refused."""
    return forbidden.get(verb_resource, "")


class MainScreen(Screen[None]):
    """Everything about the pods of one namespace (or all), live."""

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
        self._pods: dict[str, Pod] = {}
        self._row: PodRow | None = None
        self._had_pod = False
        self._forwards_seen: set[int] = set()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Input(
            placeholder="filter: text, or a label selector (app=web, -l tier!=db); esc clears", id="filter"
        )
        with Horizontal(id="body"):
            yield PodTable(id="pods")
            with Vertical(id="side"):
                yield DiagnosisView(id="diagnosis")
                with TabbedContent(id="panes", initial="tab-events"):
                    with TabPane("Events", id="tab-events"):
                        yield EventsView(id="events")
                    with TabPane("Logs", id="tab-logs"):
                        yield LogPane(id="logs")
                    with TabPane("Path", id="tab-path"):
                        yield PathPane(self._connection, id="path")
        yield Static(id="banner")
        yield Footer(compact=True)
        yield ProbeRunner(self._connection, readonly=bool(getattr(self.app, "readonly", False)))

    def _connection(self) -> Any:
        return self.app.connection()  # type: ignore[attr-defined]

    @property
    def table(self) -> PodTable:
        """The pod list."""
        return self.query_one(PodTable)

    @property
    def log_pane(self) -> LogPane:
        """The logs pane."""
        return self.query_one(LogPane)

    @property
    def path_pane(self) -> PathPane:
        """The connection path pane."""
        return self.query_one(PathPane)

    @property
    def runner(self) -> ProbeRunner:
        """Runs probes and holds the forwards."""
        return self.query_one(ProbeRunner)

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#log-search").display = False
        self.query_one("#banner").display = False
        self.log_pane.source = self.app.source  # type: ignore[attr-defined]
        self.table.focus()
        self._show_status()

    # ------------------------------------------------------------------ data in

    def apply_snapshot(self, snapshot: ClusterSnapshot, diagnosis: Any, rows: tuple[PodRow, ...]) -> None:
        """Take a new snapshot: diff-update the table (cursor kept by uid), refresh the side panes."""
        self.snapshot, self.diagnosis = snapshot, diagnosis
        self._pods = {p.metadata.uid: p for p in snapshot.pods}
        table = self.table
        table.show_namespace = self.status.namespace is None
        pods_forbidden = _forbidden(snapshot.forbidden, "list pods")
        if pods_forbidden:
            table.empty_message = f"Cannot list pods (forbidden): {pods_forbidden}"
        elif self.status.namespace is None:
            table.empty_message = "No pods in any namespace."
        else:
            table.empty_message = f'No pods in namespace "{self.status.namespace}".'
        if table.filter_query and not rows:
            table.empty_message = "No pods match the filter."
        table.set_rows(rows)
        if table.total and not table.rows:
            table.empty_message = (
                "No pods match the filter (esc clears it)."
                if table.filter_query
                else ("No problems: every pod is healthy (! shows all).")
            )
            table.refresh()
        self._row = table.cursor_row
        self._update_side()
        self._show_status()
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
        never_listed = self.snapshot is None or not self.snapshot.synced
        if state in ("unreachable", "reconnecting", "connecting") and never_listed:
            app: Any = self.app
            text = Text()
            if state == "unreachable":
                text.append("Cannot reach the cluster\n\n", "bold red")
            else:
                text.append("Connecting…\n\n", "bold")
            text.append("context  ", "dim")
            text.append(f"{app.source.context}\n")
            text.append("server   ", "dim")
            text.append(f"{app.source.server}\n\n")
            if message:
                text.append(message + "\n\n", "yellow")
            text.append(
                "Retrying on its own; this screen goes away as soon as the cluster answers.\n"
                "q quits, : or ctrl+p opens the command palette (switch context).",
                "dim",
            )
            banner.update(text)
            banner.display = True
        else:
            banner.display = False
        self._show_status()

    def _show_status(self) -> None:
        app: Any = self.app
        info = self.status
        info.context = app.source.context
        info.namespace = app.source.namespace
        info.readonly = bool(getattr(app, "readonly", False))
        table = self.table
        info.pods, info.shown = table.total, len(table.rows)
        info.query, info.problems_only = table.filter_query, table.problems_only
        counts: dict[str, int] = {}
        for row in table._rows:
            counts[row.severity] = counts.get(row.severity, 0) + 1
        info.counts = counts
        self.query_one(StatusBar).show(info)

    # ------------------------------------------------------------------ selection

    @on(PodTable.Highlighted)
    def _highlighted(self, event: PodTable.Highlighted) -> None:
        self._row = event.row
        self._update_side()

    def _update_side(self) -> None:
        row, snapshot = self._row, self.snapshot
        pod = self._pods.get(row.uid) if row else None
        diagnosis_view = self.query_one(DiagnosisView)
        events_view = self.query_one(EventsView)
        if (pod is not None) != self._had_pod:
            self._had_pod = pod is not None
            self.refresh_bindings()  # the probe keys grey out without a pod
        if row is None or pod is None or snapshot is None:
            diagnosis_view.show_message(Text("No pod selected.", "dim"))
            events_view.show([], subject="no pod")
            self.log_pane.set_pod(None)
            self._update_path()
            return
        findings = tuple(self.diagnosis.for_uid(row.uid)) if self.diagnosis is not None else ()
        title = Text()
        title.append(MARKS.get(row.severity, "?") + " ", _SEVERITY_STYLE.get(row.severity, ""))
        title.append(f"{row.namespace}/{row.name}" if self.status.namespace is None else row.name, "bold")
        title.append(f"  {row.status}", _SEVERITY_STYLE.get(row.severity, ""))
        title.append(f"  {row.ready} ready  {row.restarts} restarts  on {row.node}\n", "dim")
        diagnosis_view.show(title, findings, related=related_findings(self.diagnosis, snapshot, pod))
        events_view.show(
            scoped_events(snapshot, pod),
            subject=f"pod {row.name}",
            forbidden=_forbidden(snapshot.forbidden, "list events"),
        )
        self.log_pane.set_pod(pod)
        self._update_path()

    def _update_path(self) -> None:
        """Recompute the path only while its tab is the active one (it is cheap, not free)."""
        if self.query_one(TabbedContent).active != "tab-path" or self.snapshot is None:
            return
        app: Any = self.app
        self.path_pane.show_pod(self.snapshot, self.selected_pod, app.book.results())

    @property
    def selected_pod(self) -> Pod | None:
        """The pod under the cursor."""
        return self._pods.get(self._row.uid) if self._row else None

    # ------------------------------------------------------------------ filter

    @on(PodTable.FilterRequested)
    def _open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_query(event.value)
        self._show_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def watch_problems(self) -> None:
        self._show_status()

    # ------------------------------------------------------------------ actions

    def _set_panes_visible(self, visible: bool) -> None:
        self.set_class(visible, "-panes")

    def action_show_logs(self, previous: bool) -> None:
        """Open the logs pane on the selected pod (its previous container with `p`)."""
        pane = self.log_pane
        pane.previous = previous
        self._set_panes_visible(True)
        self.query_one(TabbedContent).active = "tab-logs"
        pane.active = True
        pane.reload(force=True)
        pane.view.focus()

    def action_show_events(self) -> None:
        """Open the events pane."""
        self._set_panes_visible(True)
        self.query_one(TabbedContent).active = "tab-events"
        self.query_one(EventsView).focus()

    def action_show_path(self) -> None:
        """Open the connection path pane."""
        self._set_panes_visible(True)
        self.query_one(TabbedContent).active = "tab-path"
        self._update_path()
        self.path_pane.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Probe keys: greyed out (None) in --readonly, without a cluster, or without a pod."""
        if action in ("probe", "forward"):
            runners = self.query(ProbeRunner)  # empty while the screen is still composing
            enabled = bool(runners) and runners.first().enabled
            return True if enabled and self.selected_pod is not None else None
        return True

    def action_probe(self, kind: str) -> None:
        """Probe the selected pod ("Pod"), the Services in front of it, or the Ingresses routing to it."""
        probe_control.probe(self, kind)

    def action_forward(self) -> None:
        """Port-forward 127.0.0.1 to a port of the selected pod."""
        probe_control.forward(self)

    def action_close_forwards(self) -> None:
        """Close every port-forward."""
        self.runner.close_forwards()
        self.path_pane.show_forwards(())
        self.status.forwards = 0
        self._show_status()
        self.notify("Port-forwards closed", timeout=3)

    @on(ProbeRunner.Started)
    def _probe_started(self, message: ProbeRunner.Started) -> None:
        self.path_pane.probe_started(message.key, message.what)

    @on(ProbeRunner.Finished)
    def _probe_finished(self, message: ProbeRunner.Finished) -> None:
        self.path_pane.probe_finished(message.key)
        probe_control.finished(self, message.result)
        self._update_path()

    @on(ProbeRunner.ForwardChanged)
    def _forward_changed(self, message: ProbeRunner.ForwardChanged) -> None:
        probe_control.forward_changed(self, message, self._forwards_seen)
        self._show_status()

    def action_show_diagnosis(self) -> None:
        """Show (and focus) the diagnosis."""
        self._set_panes_visible(False)
        self.query_one(DiagnosisView).focus()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._update_path()
        pane = self.log_pane
        pane.active = event.pane.id == "tab-logs"
        if pane.active:
            pane.reload(force=False)
        else:
            pane.stop_reading()

    def action_back(self) -> None:
        """Close the search or filter box, or go back to the pod list."""
        search = self.query_one("#log-search", Input)
        box = self.query_one("#filter", Input)
        if search.display:
            self.log_pane.close_search()
        elif box.display and (self.focused is box or not self.table.has_focus):
            box.value = ""
            box.display = False
            self.table.focus()
        elif box.display:
            box.value = ""
            box.display = False
        else:
            self._set_panes_visible(False)
            self.table.focus()

    def action_detail(self) -> None:
        """Show the selected pod's YAML as the server has it."""
        from ktui.ui.screens.detail import DetailScreen

        pod = self.selected_pod
        if pod is None:
            self.notify("No pod selected", severity="warning")
            return
        self.app.push_screen(DetailScreen(pod, self.app.source))  # type: ignore[attr-defined]

    def action_copy(self) -> None:
        """Offer what to copy: log lines, the diagnosis, or one of its kubectl commands."""
        from ktui.ui.screens.pickers import CopyPicker

        choices: list[tuple[str, str]] = []
        selected = self.get_selected_text()
        if selected:
            choices.append(("the selected text", selected))
        if self.log_pane.active and self.has_class("-panes") and self.log_pane.view.line_count:
            choices.append(("log lines on screen (or the current match)", self.log_pane.copy_text()))
        findings = self.query_one(DiagnosisView).findings
        if findings:
            from ktui.ui.widgets.diagnosis_view import findings_as_plain_text

            choices.append(("the diagnosis", findings_as_plain_text(findings)))
            for finding in findings:
                choices.extend((f"$ {command}", command) for command in finding.commands)
        if not choices:
            self.notify("Nothing to copy", severity="warning")
            return
        self.app.push_screen(CopyPicker(choices), self.app.copy_text)  # type: ignore[attr-defined]

    def action_pick_namespace(self) -> None:
        """Choose a namespace (or all) from the cluster's namespaces."""
        from ktui.ui.screens.pickers import NamespacePicker

        app: Any = self.app
        names = sorted({n.metadata.name for n in (self.snapshot.namespaces if self.snapshot else ())})
        app.push_screen(NamespacePicker(names, app.source.namespace), app.switch_namespace)


_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "unknown": "bold magenta", "info": "green"}
