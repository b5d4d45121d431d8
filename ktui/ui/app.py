"""KtuiApp: wiring only. The source feeds snapshots from its thread; the main screen shows them.

Data flow (design.md): the source's thread calls ``_on_snapshot``, which merges the probe results
kept in ``ProbeBook`` into the snapshot, runs the diagnosis and builds the pod rows there, off the
event loop, then posts one coalescing ``SnapshotUpdated``. A finished probe re-runs the diagnosis
on the last snapshot (``rediagnose``) so its evidence shows without waiting for the next watch event.
Crash logs take the same road: the feed thread tells ``EvidenceBook`` which containers failed, the
app reads their previous run's log in a worker (the selected pod's at once, a bounded few in the
background), and each read lands in ``snapshot.logs`` through ``ProbeBook``, so the diagnosis quotes
the log as ``ktui diagnose`` does (or says why it could not read it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches

from ktui.kube.client import Connection, KubeError
from ktui.model.crash_logs import LOG_TAIL, LogRequest, log_lines
from ktui.model.object_rows_memo import ObjectRowsMemo
from ktui.resources import ClusterSnapshot
from ktui.ui.evidence import CrashLogFetched, EvidenceBook, with_log_notes
from ktui.ui.messages import ConnectionChanged, SnapshotUpdated
from ktui.ui.palette import KtuiCommands
from ktui.ui.probe_book import ProbeBook
from ktui.ui.screens.lists import clear_lists
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.pickers import ALL_NAMESPACES
from ktui.ui.source import Source
from ktui.ui.terminal_watch import watch_terminal
from ktui.ui.widgets.pod_table import PodTable

FIRST_PAINT_WAIT = 0.25
"""At most this long (s) the feed thread waits for the first rows it delivered to be painted.

The feed starts the other kinds' lists and the next pages of pods once the first snapshot holding
pods has been delivered (``ClusterFeed``): decoding them takes the GIL in turns with the event loop
painting that snapshot. Waiting here until it is on screen lets the first screenful come first."""


def run_diagnosis(snapshot: ClusterSnapshot) -> tuple[Any, Mapping[str, str], str]:
    """Diagnose a snapshot: (diagnosis or None, uid -> severity of each pod, error text).

    Through one process-wide ``SnapshotPipeline``: successive snapshots of a feed are judged in
    proportion to what changed (a rule failure comes back as the error text, never raised).
    """
    from ktui.diagnosis.incremental import DiagnosisEngine
    from ktui.model.pipeline import SnapshotPipeline

    result = SnapshotPipeline.shared("run_diagnosis", DiagnosisEngine).update(snapshot)
    return result.diagnosis, result.verdicts, result.error


class KtuiApp(App[None]):
    """Find out why a Kubernetes workload does not work."""

    TITLE = "ktui"
    CSS_PATH = Path(__file__).with_name("ktui.tcss")
    COMMANDS = App.COMMANDS | {KtuiCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+p", "command_palette", "Command palette", id="app.palette", show=False, priority=True),
    ]

    def __init__(self, source: Source, *, readonly: bool = False) -> None:
        super().__init__()
        self.source = source
        """Where the data comes from (ClusterSource in production, StaticSource in tests)."""
        self.readonly = readonly
        """No port-forwards (probes off)."""
        self.diagnosis_error = ""
        """The last diagnosis failure, if any."""
        self.main_screen = MainScreen()
        """The main screen."""
        self.clipboard_method = ""
        """How the last copy reached the clipboard: "system" or "osc52"."""
        self.book = ProbeBook()
        """Probe results and crash logs, merged into every snapshot before diagnosis."""
        self._object_rows = ObjectRowsMemo()  # the object lists' rows, made again only where they moved
        self.evidence = EvidenceBook()
        """Which crashed containers' logs to read, and what each read gave."""
        self._applied_seq = 0
        self._posted = 0  # SnapshotUpdated posts numbered (feed thread or worker, under the pipeline lock)
        self._applied_post = 0  # the post whose rows the pod list shows
        self._generation = 0
        self._lock = threading.Lock()
        self._loop_thread = 0  # the event loop's thread: a source calling back on it must not wait
        self._painted: threading.Event | None = None  # set once the first rows with pods were painted
        self._paint_pending: threading.Event | None = None  # to set with the next frame composed
        self._early: list[SnapshotUpdated | ConnectionChanged] | None = []  # until the main screen mounts
        self._last_posted: SnapshotUpdated | None = None

    def on_mount(self) -> None:
        self._loop_thread = threading.get_ident()
        # The screen's width class before its first layout: set on its first resize instead, it
        # would restyle every widget once more before the first frame.
        self.main_screen.preset_breakpoints(self.size.width)
        self.push_screen(self.main_screen)
        self._start_source()
        watch_terminal(self)

    def connection(self) -> Connection | None:
        """The live cluster connection probes and forwards use (None for a static source)."""
        conn = getattr(self.source, "conn", None)
        return conn if isinstance(conn, Connection) else None

    def _post_diagnosed(self, seq: int, snapshot: ClusterSnapshot) -> None:
        # Off the event loop (feed thread or worker): the app's SnapshotPipeline diagnoses and rebuilds
        # only what changed, then posts in seq order, each `changed` relative to the post before it.
        from ktui.diagnosis.incremental import DiagnosisEngine
        from ktui.model.pipeline import PipelineResult, SnapshotPipeline

        with self._lock:
            pipeline = self.__dict__.get("_snapshot_pipeline")
            if pipeline is None:
                pipeline = self.__dict__["_snapshot_pipeline"] = SnapshotPipeline(DiagnosisEngine)

        def post(result: PipelineResult) -> None:
            # Under the pipeline's lock, in emit order: number the posts so the loop can tell whether
            # `changed` (relative to the previous emit) starts at the rows it shows.
            self.diagnosis_error = result.error
            kinds = self.main_screen.object_kinds  # the list shown: the others' rows wait until shown
            objects = self._object_rows.rows(snapshot, result.diagnosis, result.judged, kinds)
            diagnosis = with_log_notes(result.diagnosis, self.evidence)
            self._posted += 1
            message = SnapshotUpdated(snapshot, diagnosis, result.rows, seq, objects, changed=result.changed,
                                      post=self._posted, since=self._posted - 1)
            self._last_posted = message  # until applied: the main screen's mount may apply it first
            self.post_message(message)

        pipeline.process(snapshot, seq, post)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rediagnose")
    def rediagnose(self) -> None:
        """Diagnose the last snapshot again with the probe results now known."""
        seq, snapshot = self.book.merge()
        if snapshot is not None:
            self._post_diagnosed(seq, snapshot)

    def _rearm_first_paint(self) -> threading.Event:
        """A new wait for the first painted rows (a new feed or namespace); frees the old one's waiter."""
        old, self._painted = self._painted, threading.Event()
        if old is not None:
            old.set()
        return self._painted

    def _wait_first_paint(self, painted: threading.Event, snapshot: ClusterSnapshot) -> None:
        """On the feed thread, after posting: wait (bounded) until the first rows with pods are painted."""
        if painted.is_set() or not snapshot.pods or threading.get_ident() == self._loop_thread:
            return
        painted.wait(FIRST_PAINT_WAIT)
        painted.set()  # once: later snapshots never wait, painted or not

    def _start_source(self) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
        source = self.source
        self._rearm_first_paint()

        def on_snapshot(snapshot: ClusterSnapshot) -> None:
            # Runs on the source's thread: the expensive work happens here, not on the event loop.
            if generation != self._generation:
                return
            painted = self._painted
            self.evidence.observe(snapshot)
            seq, merged = self.book.merge(snapshot)
            if merged is not None:
                self._post_diagnosed(seq, merged)
                if painted is not None:
                    self._wait_first_paint(painted, merged)

        def on_status(state: str, message: str, forbidden: Mapping[str, str]) -> None:
            if generation == self._generation:
                self.post_message(ConnectionChanged(state, message, dict(forbidden)))

        source.start(on_snapshot, on_status)

    def _display(self, screen: Any, renderable: Any) -> None:
        # Textual calls this with each composed frame (no public hook runs after a frame: a
        # call_after_refresh callback can run on idle before the changed widgets are painted).
        super()._display(screen, renderable)
        pending = self._paint_pending
        if pending is not None and renderable is not None:
            self._paint_pending = None
            pending.set()

    def on_unmount(self) -> None:
        # The log pane stops its own stream when it unmounts; the feed is ours to stop (and its
        # thread may be waiting for a paint that will never come).
        if self._painted is not None:
            self._painted.set()
        self.source.stop()

    def _hold_early(self, message: SnapshotUpdated | ConnectionChanged) -> bool:
        """Keep a message that came before the main screen was mounted, to apply at its mount."""
        if self._early is None or self.main_screen.is_mounted:
            return False
        self._early.append(message)
        return True

    def main_screen_mounted(self) -> None:
        """The main screen's widgets are mounted: apply what came before, so its first frame shows it.

        A prefetched feed (``ClusterSource.prefetch``) has its first page of pods diagnosed before the
        screen is composed; applied here, those rows are in the first frame instead of the second.
        """
        early, self._early = self._early, None
        for message in early or ():
            if isinstance(message, SnapshotUpdated):
                self._snapshot(message)
            else:
                self._connection(message)
        # Posted but still queued behind the screen's mount (the app's queue runs after it): the
        # rows are ready now, so the first frame shows them. The queued message is then skipped.
        latest = self._last_posted
        if latest is not None and latest.post > self._applied_post:
            self._snapshot(latest)
        self._last_posted = None

    @on(SnapshotUpdated)
    def _snapshot(self, message: SnapshotUpdated) -> None:
        if self._hold_early(message):
            return  # kept for the main screen's mount
        if self._last_posted is message:
            self._last_posted = None  # a whole snapshot: not kept longer than needed
        if 0 < message.post <= self._applied_post:
            return  # already applied by the main screen's mount
        painted = self._painted
        if painted is not None and not painted.is_set() and message.snapshot.pods:
            # The feed thread waits for these rows' frame: `_display` tells it once it is composed.
            self._paint_pending = painted
        if message.seq < self._applied_seq:
            return  # merged before a snapshot already shown: it would drop a probe result
        self._applied_seq = message.seq
        # `changed` lists the rows that differ from those of post `since`: usable only if that is the
        # post shown now (else a message was dropped, and the table diffs the rows itself).
        changed = message.changed if message.since == self._applied_post and message.post else None
        self._applied_post = message.post
        # The feed thread can post while the app quits, after the screen's widgets are gone.
        with suppress(NoMatches):
            self.main_screen.apply_objects(message.snapshot, dict(message.objects))
            self.main_screen.apply_snapshot(message.snapshot, message.diagnosis, message.rows, changed)
        if self.diagnosis_error:
            self.notify(f"Diagnosis failed: {self.diagnosis_error}", severity="error", timeout=8)
            self.diagnosis_error = ""
        self._read_crash_logs()

    # ------------------------------------------------------------------ crash logs as evidence

    @on(PodTable.Highlighted)
    def _pod_highlighted(self) -> None:
        # Bubbled up after the screen took the new row: read the selected pod's crash logs now.
        self._read_crash_logs()

    def _read_crash_logs(self) -> None:
        """Start the crash-log reads due now (cheap when none are: a few dict lookups).

        Background reads wait until the pod list is synced: at 10k pods, their re-diagnoses and
        repaints during the first list made it ~50 ms later (B1); the selected pod's never wait.
        """
        screen = self.main_screen
        row, snapshot = screen.pod_row, screen.snapshot
        synced = snapshot is not None and "Pod" in snapshot.synced
        generation = self.evidence.generation
        uid = row.uid if row is not None else None
        for request in self.evidence.claim(uid, time.monotonic(), background=synced):
            self._read_crash_log(request, generation)

    @work(thread=True, exit_on_error=False, group="crash-logs")
    def _read_crash_log(self, request: LogRequest, generation: int) -> None:
        """Read one crashed container's log; always posts, so the read is never left in flight."""
        try:
            text = self.source.logs(
                request.namespace,
                request.pod,
                request.container,
                previous=request.previous,
                tail_lines=LOG_TAIL,
                timestamps=False,
            )
        except KubeError as exc:
            code = getattr(exc, "code", 0)  # ApiStatusError's HTTP status; 0 when the server was not reached
            code = code if isinstance(code, int) else 0
            self.post_message(CrashLogFetched(request, generation, error=exc.message, code=code))
        except Exception as exc:  # a bug must not leave the read in flight forever
            self.post_message(CrashLogFetched(request, generation, error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(CrashLogFetched(request, generation, lines=log_lines(text)))

    @on(CrashLogFetched)
    def _crash_log_fetched(self, message: CrashLogFetched) -> None:
        if self.evidence.record(message, time.monotonic()):
            # New lines or a new failure: diagnose again now (the same lines as the last run's do not
            # change a finding, and a re-diagnosis after a logs change re-judges much of the cluster).
            self.book.set_logs(self.evidence.logs())
            self.rediagnose()
        self._read_crash_logs()

    @on(ConnectionChanged)
    def _connection(self, message: ConnectionChanged) -> None:
        if self._hold_early(message):
            return
        with suppress(NoMatches):
            self.main_screen.apply_connection(message.state, message.message, dict(message.forbidden))

    # ------------------------------------------------------------------ switching

    def switch_namespace(self, choice: str | None) -> None:
        """Watch another namespace (None or the picker's ALL_NAMESPACES: all)."""
        namespace = None if choice in (None, ALL_NAMESPACES) else choice
        if namespace == self.source.namespace:
            return
        screen = self.main_screen
        clear_lists(screen)
        self.source.namespace = namespace
        screen.table.show_namespace = namespace is None
        screen.status.namespace = namespace
        self._rearm_first_paint()  # the new namespace's first rows are painted before the rest is read
        self._set_namespace(namespace)

    @work(thread=True, exclusive=True, exit_on_error=False, group="source")
    def _set_namespace(self, namespace: str | None) -> None:
        """The feed joins its reflectors when it re-lists: never on the event loop."""
        self.source.set_namespace(namespace)

    def switch_context(self, name: str) -> None:
        """Watch another kubeconfig context, in its default namespace."""
        try:
            new_source = self.source.with_context(name)
        except KubeError as exc:
            self.notify(f"Cannot switch to {name}: {exc.message}", severity="error")
            return
        old, self.source = self.source, new_source
        screen = self.main_screen
        # Results, crash logs and forwards belong to the old cluster.
        self.book.clear()
        self.evidence.clear()
        screen.runner.reset()
        screen.path_pane.show_forwards(())
        clear_lists(screen)
        screen.log_pane.source = new_source
        self._stop_source(old)
        self._start_source()
        self.notify(f"Context: {name}", timeout=3)

    @work(thread=True, exit_on_error=False, group="source-stop")
    def _stop_source(self, source: Source) -> None:
        source.stop()

    # ------------------------------------------------------------------ global actions

    def copy_text(self, text: str | None) -> None:
        """Copy to the system clipboard with pyperclip, else through the terminal (OSC 52), and say which."""
        if not text:
            return
        try:
            import pyperclip

            pyperclip.copy(text)
            self.clipboard_method = "system"
            where = "the system clipboard"
        except Exception:  # pyperclip raises its own PyperclipException with no clipboard tool
            self.copy_to_clipboard(text)
            self.clipboard_method = "osc52"
            where = "the terminal clipboard (OSC 52; needs a terminal that allows it)"
        # Textual keeps its own copy too, so paste inside the app works either way.
        self._clipboard = text
        lines = text.count("\n") + 1
        self.notify(f"Copied {lines} line{'s' if lines > 1 else ''} to {where}", timeout=4)

    def action_help(self) -> None:
        """Show every key, grouped by pane."""
        from ktui.ui.keys import PANE_BINDINGS, PROBE_BINDINGS
        from ktui.ui.screens.help import HelpScreen
        from ktui.ui.widgets.log_pane import LogPane
        from ktui.ui.widgets.object_table import ObjectTable
        from ktui.ui.widgets.pod_table import PodTable

        groups: list[tuple[str, list[Any]]] = [
            ("Pod list", [*PodTable.BINDINGS]),
            ("Service, Ingress, Deployment, ReplicaSet and Node lists (:svc :ing :deploy :rs :no)",
             [b for b in ObjectTable.BINDINGS if isinstance(b, Binding) and b.show]),
            ("Panes", [b for b in PANE_BINDINGS if b.id not in ("main.help", "main.quit")]),
            ("Probes", [*PROBE_BINDINGS]),
            ("Logs pane", [*LogPane.BINDINGS]),
            (
                "Everywhere",
                [*self.BINDINGS, Binding("tab", "", "Next pane")],
            ),
        ]
        self.push_screen(
            HelpScreen([(title, [b for b in group if isinstance(b, Binding)]) for title, group in groups])
        )


def make_app(
    conn: Any, namespace: str | None, *, readonly: bool = False, label_selector: str | None = None
) -> KtuiApp:
    """The app on a live cluster connection, listing once it starts (tests, screenshots).

    The CLI and the demo build theirs in ``commands.tui.build_app``: there the source is made and
    prefetched before this module (and Textual) is imported.

    ``label_selector`` lists only the pods it selects (the other kinds are listed whole, so a
    Service whose selector matches none of them still shows, with its diagnosis).
    """
    from ktui.ui.source import ClusterSource

    return KtuiApp(ClusterSource(conn, namespace, label_selector=label_selector), readonly=readonly)
