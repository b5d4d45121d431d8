"""The Path pane: the connection path of the selected pod, Service or Ingress, probes and forwards.

The path itself is ``PathView`` (a rich Tree); this pane adds what is happening now: the probes
running, and every port-forward with its state ("127.0.0.1:40123 -> pod running:80  live", or dead
with its cause). Updates replace the content in place, so the user's scroll position survives
every snapshot. When the namespace in view does not include the ingress controller's pods, the
pane reads them once in a while (a labelled list in all namespaces, in a worker) so the head of an
Ingress path says whether the controller runs instead of "not in view".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ktui.kube.client import Connection, KubeError
from ktui.model.paths import CONTROLLER, ConnectionPath, controller_pods, path_for
from ktui.resources import ClusterSnapshot, Pod, ProbeResult, Ref, ref_of
from ktui.ui.widgets.path_view import PathView

PATH_KINDS = frozenset({"Pod", "Service", "Ingress"})
"""Kinds that have a connection path."""

CONTROLLER_REFRESH = 5.0
"""Seconds between reads of the ingress controller's pods when they are outside the namespace in view."""


def forward_line(fwd: Any) -> Text:
    """'✓ 127.0.0.1:40123 -> pod running:80  live' or '✗ ... dead: pod replaced (why)'."""
    s = fwd.session
    text = Text()
    dead = fwd.dead
    text.append("✗ " if dead else "✓ ", "bold red" if dead else "green")
    text.append(s.address, "bold")
    text.append(" -> ")
    via = f"service {fwd.target.name}:{fwd.service_port.port} -> " if fwd.service_port else ""
    text.append(f"{via}pod {s.pod}:{s.port}")
    if dead:
        text.append(f"  dead: {dead}", "bold red")
        if s.dead_detail and s.dead_detail != dead:
            text.append(f" ({s.dead_detail})", "red")
    else:
        text.append("  live", "green")
        text.append(f"  curl http://{s.address}/", "dim")
    for line in fwd.history[-3:]:
        text.append(f"\n    {line}", "dim italic")
    return text


def forwards_renderable(forwards: Sequence[Any]) -> RenderableType:
    """The port-forwards section."""
    lines: list[RenderableType] = [Text("Port-forwards (127.0.0.1 only; closed when ktui quits)", "bold")]
    lines += [forward_line(f) for f in forwards]
    return Group(*lines)


def needs_controller(snapshot: ClusterSnapshot, path: ConnectionPath) -> str:
    """The controller of a path whose pods are not in the snapshot (they run in another namespace)."""
    for hop in path.hops(CONTROLLER):
        controller = hop.label.removeprefix("ingress controller ").split(" ", 1)[0]
        if "ingress-nginx" in controller and not controller_pods(snapshot, controller):
            return controller
    return ""


class PathPane(VerticalScroll, can_focus=True):
    """Connection path, probes and forwards of the selected pod, Service or Ingress."""

    BINDING_GROUP_TITLE = "Path"

    def __init__(self, connection: Callable[[], Connection | None], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._connection = connection
        self.path: ConnectionPath | None = None
        """The path shown."""
        self.running: dict[int, str] = {}
        """Probes in flight: id -> what."""
        self._extra: tuple[ClusterSnapshot | None, float] = (None, 0.0)
        self._last: tuple[ClusterSnapshot, Ref, tuple[ProbeResult, ...]] | None = None
        self._forwards: tuple[Any, ...] = ()
        self._shown_results: tuple[ProbeResult, ...] = ()
        self.ready = False
        """Whether the pane's widgets are mounted: the main screen mounts it after its first frame,
        and until then what it is told is only kept, then shown on mount."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="path-running")
        yield PathView(id="path-view")
        yield Static(id="path-forwards")

    def on_mount(self) -> None:
        """Show what it was told before it was mounted; re-read the controller's pods while seen."""
        self.ready = True
        self._show_running()
        self.show_forwards(self._forwards)
        if self._last is not None:
            self._render_path()
        self.set_interval(CONTROLLER_REFRESH / 2, self._tick)

    def _tick(self) -> None:
        # A quiet namespace sends no snapshots; the controller elsewhere may still change.
        if self._last is not None and self.is_on_screen:
            self._render_path()

    @property
    def view(self) -> PathView:
        """The path tree."""
        return self.query_one(PathView)

    def show_pod(self, snapshot: ClusterSnapshot, pod: Pod | None, results: Sequence[ProbeResult]) -> None:
        """Compute and show the pod's path with the results that concern it."""
        self.show_ref(snapshot, ref_of(pod) if pod is not None else None, results)

    def show_ref(self, snapshot: ClusterSnapshot, ref: Ref | None, results: Sequence[ProbeResult]) -> None:
        """Compute and show the path of a Pod, Service or Ingress (None: the hint)."""
        if ref is None or ref.kind not in PATH_KINDS:
            self._last, self.path = None, None
            if self.ready:
                self.view.show(None)
            return
        self._last = (snapshot, ref, tuple(results))
        self._render_path()

    def _render_path(self) -> None:
        if self._last is None or not self.ready:
            return
        snapshot, ref, results = self._last
        path = path_for(self._with_extra(snapshot), ref)
        controller = needs_controller(snapshot, path)
        if controller and time.monotonic() - self._extra[1] > CONTROLLER_REFRESH:
            self._extra = (self._extra[0], time.monotonic())
            self._fetch_controller(snapshot, controller)
        if (path, results) != (self.path, self._shown_results):
            # Unchanged paths are not re-rendered: a busy namespace sends up to 10 snapshots a second.
            self.path, self._shown_results = path, results
            self.view.show(path, results)

    def _with_extra(self, snapshot: ClusterSnapshot) -> ClusterSnapshot:
        extra = self._extra[0]
        if extra is None or not (extra.pods or extra.deployments):
            return snapshot
        uids = {p.metadata.uid for p in snapshot.pods}
        duids = {d.metadata.uid for d in snapshot.deployments}
        return msgspec.structs.replace(
            snapshot,
            pods=(*snapshot.pods, *(p for p in extra.pods if p.metadata.uid not in uids)),
            deployments=(
                *snapshot.deployments, *(d for d in extra.deployments if d.metadata.uid not in duids)
            ),
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="path-controller")
    def _fetch_controller(self, snapshot: ClusterSnapshot, controller: str) -> None:
        conn = self._connection()
        if conn is None:
            return
        from ktui.probes.ingress import with_controller

        try:
            merged = with_controller(
                conn, msgspec.structs.replace(snapshot, pods=(), deployments=()), controller
            )
        except KubeError:
            return
        self.post_message(self.ControllerLoaded(merged))

    @dataclass
    class ControllerLoaded(Message):
        """The ingress controller's pods, read from every namespace."""

        extra: ClusterSnapshot

    @on(ControllerLoaded)
    def _got_controller(self, message: ControllerLoaded) -> None:
        message.stop()
        self._extra = (message.extra, time.monotonic())
        self._render_path()

    # ------------------------------------------------------------------ probes and forwards

    def probe_started(self, key: int, what: str) -> None:
        """Show a probe in flight."""
        self.running[key] = what
        self._show_running()

    def probe_finished(self, key: int) -> None:
        """A probe ended (its result comes with the next path render)."""
        self.running.pop(key, None)
        self._show_running()

    def _show_running(self) -> None:
        if not self.ready:
            return
        box = self.query_one("#path-running", Static)
        box.display = bool(self.running)
        box.update(Group(*(Text(f"⟳ {what}…", "bold cyan") for what in self.running.values())))

    def show_forwards(self, forwards: Sequence[Any]) -> None:
        """Show every forward and its state."""
        self._forwards = tuple(forwards)
        if not self.ready:
            return
        box = self.query_one("#path-forwards", Static)
        box.display = bool(forwards)
        box.update(forwards_renderable(forwards))
