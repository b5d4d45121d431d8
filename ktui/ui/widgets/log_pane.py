"""The logs pane: a container's log with follow, previous, container switch, tail, timestamps, wrap, search.

Reads run in an exclusive thread worker that only posts messages (harlequin's invariant); a new
target cancels the old read, and a follow stream is stopped through its Event. When a container
has nothing to show, the pane says why: its waiting reason and message, or the server's error.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ktui.kube.client import KubeError
from ktui.model.tables import container_names, why_no_logs
from ktui.resources import Pod
from ktui.ui.messages import LogsAppended, LogsLoaded, LogsUnavailable
from ktui.ui.source import Source
from ktui.ui.widgets.log_view import LogView

TAIL_CHOICES: tuple[int | None, ...] = (200, 1000, 5000, None)
"""Tail sizes `t` cycles through (None: the whole log)."""

BATCH_QUEUE_LIMIT = 20
"""Back-pressure: a follow worker waits while this many messages are queued (toolong's approach)."""

HEADER_EVERY = 0.25
"""Seconds between header redraws (its line count) while a followed log streams in."""


class LogPane(Vertical):
    """Logs of one container of the selected pod."""

    BINDING_GROUP_TITLE = "Logs"
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow", id="logs.follow"),
        Binding("p", "toggle_previous", "Previous", id="logs.previous"),
        Binding("c", "next_container", "Container", id="logs.container"),
        Binding("t", "cycle_tail", "Tail", id="logs.tail"),
        Binding("T", "toggle_timestamps", "Timestamps", id="logs.timestamps"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "next_match(1)", "Next match", show=False, id="logs.next"),
        Binding("N", "next_match(-1)", "Prev match", show=False, id="logs.prev"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: Source | None = None
        """Where logs are read from."""
        self.pod: Pod | None = None
        self.container = ""
        self.previous = False
        self.follow = False
        self.tail: int | None = TAIL_CHOICES[0]
        self.timestamps = False
        self.active = False
        """Whether the pane is on screen (reads happen only then)."""
        self._loaded_key: tuple[str, ...] | None = None
        self._header_timer: Timer | None = None
        self._header_key: tuple[object, ...] = ()
        self._stop = threading.Event()
        self.notice = ""
        """Why there are no lines, when there are none."""
        # Held, not queried: an app closing while this pane mounts may have taken them out of the DOM
        # before the pane's own mount handler runs.
        self._header = Static(id="log-header")
        self._search = Input(placeholder="search logs (n/N next/prev, esc closes)", id="log-search")
        self._search.display = False
        self._notice = Static(id="log-notice")
        self._view = LogView(id="log-lines")
        self.ready = False
        """Whether the pane's widgets are mounted: the main screen mounts it after its first frame,
        and until then the pod, container and settings are only kept, then shown on mount."""

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._search
        yield self._notice
        yield self._view

    def on_mount(self) -> None:
        self.ready = True
        self._render_header()
        if self.active:
            self.reload(force=True)

    @property
    def view(self) -> LogView:
        """The line view."""
        return self._view

    # ------------------------------------------------------------------ target

    def set_pod(self, pod: Pod | None) -> None:
        """Follow the cursor: another pod resets the container; the same pod keeps the settings."""
        same = pod is not None and self.pod is not None and pod.metadata.uid == self.pod.metadata.uid
        self.pod = pod
        if not same:
            names = container_names(pod) if pod is not None else []
            self.container = names[0] if names else ""
            self.previous = False
        self.reload(force=False)

    def _key(self) -> tuple[str, ...]:
        pod = self.pod
        if pod is None:
            return ()
        return (
            pod.metadata.uid,
            pod.metadata.namespace,
            pod.metadata.name,
            self.container,
            str(self.previous),
            str(self.tail),
            str(self.timestamps),
            str(self.follow),
        )

    def reload(self, force: bool = True) -> None:
        """Read the log again if the target changed (or always, with force) and the pane is visible."""
        if not self.ready:
            return  # on_mount reads it
        self._render_header()
        key = self._key()
        if not self.active or (key == self._loaded_key and not force):
            return
        self._loaded_key = key
        self._stop.set()
        self._stop = threading.Event()
        self.view.clear()
        self._set_notice("")
        if self.pod is None or self.source is None or not self.container:
            self._set_notice("No pod selected." if self.pod is None else "This pod has no containers.")
            return
        self._set_notice("Loading…")
        self._read(key, self.source, self.pod, self.container, self._stop)

    @work(thread=True, exclusive=True, exit_on_error=False, group="logs")
    def _read(
        self, key: tuple[str, ...], source: Source, pod: Pod, container: str, stop: threading.Event
    ) -> None:
        """Fetch (or follow) the log; only posts messages."""
        worker = get_current_worker()
        namespace, name = pod.metadata.namespace, pod.metadata.name
        try:
            if self.follow and not self.previous:
                first = True
                for batch in source.follow_logs(
                    namespace, name, container, tail_lines=self.tail, timestamps=self.timestamps, stop=stop
                ):
                    if worker.is_cancelled or stop.is_set():
                        return
                    while self.message_queue_size > BATCH_QUEUE_LIMIT and not stop.is_set():
                        stop.wait(0.01)
                    self.post_message((LogsLoaded if first else LogsAppended)(key, batch))
                    first = False
                if first:
                    self.post_message(LogsLoaded(key, []))
                return
            text = source.logs(
                namespace,
                name,
                container,
                previous=self.previous,
                tail_lines=self.tail,
                timestamps=self.timestamps,
            )
        except KubeError as exc:
            if not worker.is_cancelled:
                self.post_message(LogsUnavailable(key, exc.message))
            return
        if not worker.is_cancelled:
            self.post_message(LogsLoaded(key, text.splitlines()))

    @on(LogsLoaded)
    def _loaded(self, event: LogsLoaded) -> None:
        event.stop()
        if event.key != self._loaded_key:
            return
        view = self.view
        view.clear()
        view.write_lines(event.lines)
        view.scroll_end(animate=False, immediate=True)
        self._set_notice("" if event.lines else self._absence(""))
        self._render_header()

    @on(LogsAppended)
    def _appended(self, event: LogsAppended) -> None:
        # Called per network read (hundreds a second in a flood): only queue the lines; the view
        # takes them in once per frame and the header follows a few times a second.
        event.stop()
        if event.key == self._loaded_key and event.lines:
            self.view.append_lines(event.lines)
            if self.notice:
                self._set_notice("")
            if self._header_timer is None:
                self._header_timer = self.set_timer(HEADER_EVERY, self._header_tick, name="log-header")

    def _header_tick(self) -> None:
        self._header_timer = None
        self._render_header()

    @on(LogsUnavailable)
    def _unavailable(self, event: LogsUnavailable) -> None:
        event.stop()
        if event.key == self._loaded_key:
            self._set_notice(self._absence(event.reason))

    def _absence(self, server_error: str) -> str:
        if self.pod is None:
            return server_error
        return why_no_logs(self.pod, self.container, self.previous, server_error)

    def _set_notice(self, notice: str) -> None:
        self.notice = notice
        widget = self._notice
        widget.update(Text(notice, "yellow" if notice.startswith("No") else "dim"))
        widget.display = bool(notice)

    def _render_header(self) -> None:
        pod = self.pod
        text = Text(no_wrap=True, overflow="ellipsis")
        if pod is None:
            text.append("logs", "dim")
        else:
            text.append(pod.metadata.name, "bold")
            text.append(" / ", "dim")
            text.append(self.container or "-", "bold")
            names = container_names(pod)
            if len(names) > 1:
                text.append(
                    f" ({names.index(self.container) + 1 if self.container in names else 0}"
                    f"/{len(names)}, c switches)",
                    "dim",
                )
            text.append("  ")
            text.append(
                "PREVIOUS" if self.previous else "current", "bold magenta" if self.previous else "dim"
            )
            text.append(
                "  follow " + ("on" if self.follow else "off"), "bold green" if self.follow else "dim"
            )
            text.append(f"  tail {self.tail or 'all'}", "dim")
            text.append("  ts " + ("on" if self.timestamps else "off"), "dim")
            text.append("  wrap " + ("on" if self.view.wrap else "off"), "dim")
            text.append(f"  {self.view.line_count} lines", "dim")
            if self.view.match_count or self._search.value:
                current = self.view.current_match + 1
                text.append(f"  match {current}/{self.view.match_count}", "bold yellow")
        # Called on a new pod record and a few times a second while following: an unchanged header
        # is not redrawn, and a changed one needs no layout pass (the header is one line high).
        key = (text.plain, tuple(text.spans))
        if key != self._header_key:
            self._header_key = key
            self._header.update(text, layout=False)

    def on_unmount(self) -> None:
        self._stop.set()

    def stop_reading(self) -> None:
        """Stop a follow stream (the pane is hidden or the app quits)."""
        self._stop.set()

    # ------------------------------------------------------------------ actions

    def action_toggle_follow(self) -> None:
        """Follow the log as it grows."""
        self.follow = not self.follow
        if self.follow:
            self.previous = False
        self.reload()

    def action_toggle_previous(self) -> None:
        """Switch between the current and the previous (crashed) container's log."""
        self.previous = not self.previous
        self.reload()

    def action_next_container(self) -> None:
        """Show the next container of the pod."""
        if self.pod is None:
            return
        names = container_names(self.pod)
        if names:
            index = names.index(self.container) if self.container in names else -1
            self.container = names[(index + 1) % len(names)]
            self.reload()

    def action_cycle_tail(self) -> None:
        """Cycle the number of lines read."""
        index = TAIL_CHOICES.index(self.tail) if self.tail in TAIL_CHOICES else 0
        self.tail = TAIL_CHOICES[(index + 1) % len(TAIL_CHOICES)]
        self.reload()

    def action_toggle_timestamps(self) -> None:
        """Prefix lines with the server's timestamps."""
        self.timestamps = not self.timestamps
        self.reload()

    def action_toggle_wrap(self) -> None:
        """Soft-wrap long lines."""
        self.view.set_wrap(not self.view.wrap)
        self._render_header()

    def action_search(self) -> None:
        """Open the search box."""
        box = self._search
        box.display = True
        box.focus()

    def action_next_match(self, direction: int) -> None:
        """Jump to the next or previous match."""
        self.view.next_match(direction)
        self._render_header()

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.view.search(event.value)
        self._render_header()

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.view.focus()

    @property
    def searching(self) -> bool:
        """Whether the search box is open."""
        return self.ready and self._search.display

    def close_search(self) -> None:
        """Clear and hide the search box."""
        box = self._search
        box.value = ""
        box.display = False
        self.view.search("")
        self.view.focus()
        self._render_header()

    def copy_text(self) -> str:
        """What `y` copies here: the current match's line, else the visible lines."""
        view = self.view
        current = view.current_match_text()
        return current if current is not None else view.visible_text()
