"""ProbeRunner + PathView in a minimal Textual app driven by Pilot: a key runs a probe in a worker, the
result comes back as a message and shows on the path with its time; forwards close on exit."""

from __future__ import annotations

from datetime import UTC, datetime

from probe_helpers import FakeCluster, ktui_threads
from textual.app import App, ComposeResult
from textual.binding import Binding

from ktui import resources as r
from ktui.kube.client import Connection
from ktui.model.paths import path_for
from ktui.ui.probe_keys import ProbeRunner
from ktui.ui.widgets.path_view import PathView, render_path

RUNNING = r.Pod(
    metadata=r.ObjectMeta(name="running", namespace="default", uid="u1", labels={"app": "web"}),
    spec=r.PodSpec(
        containers=(
            r.Container(name="web", image="nginx", ports=(r.ContainerPort(container_port=80, name="web"),)),
        )
    ),
    status=r.PodStatus(
        phase="Running", pod_ip="10.244.0.5", conditions=(r.Condition(type="Ready", status="True"),)
    ),
)
SNAP = r.ClusterSnapshot(now=datetime(2025, 1, 1, tzinfo=UTC), pods=(RUNNING,))
REF = r.Ref(kind="Pod", namespace="default", name="running", uid="u1")


class ProbeApp(App[None]):
    BINDINGS = [Binding("t", "probe", "Probe"), Binding("f", "forward", "Forward")]

    def __init__(self, conn: Connection | None, readonly: bool = False) -> None:
        super().__init__()
        self.conn = conn
        self.readonly = readonly
        self.results: list[r.ProbeResult] = []
        self.started: list[str] = []
        self.forward_events: list[ProbeRunner.ForwardChanged] = []

    def compose(self) -> ComposeResult:
        yield ProbeRunner(lambda: self.conn, readonly=self.readonly)
        yield PathView(id="path")

    def on_mount(self) -> None:
        self.query_one(PathView).show(path_for(SNAP, REF))

    def action_probe(self) -> None:
        self.query_one(ProbeRunner).probe(REF, SNAP)

    def action_forward(self) -> None:
        self.query_one(ProbeRunner).open_forward(REF, SNAP)

    def on_probe_runner_started(self, msg: ProbeRunner.Started) -> None:
        self.started.append(msg.what)

    def on_probe_runner_finished(self, msg: ProbeRunner.Finished) -> None:
        self.results.append(msg.result)
        self.query_one(PathView).show(path_for(SNAP, REF), self.results)

    def on_probe_runner_forward_changed(self, msg: ProbeRunner.ForwardChanged) -> None:
        self.forward_events.append(msg)


async def test_key_runs_probe_and_path_view_shows_the_result(fake_cluster: FakeCluster) -> None:
    before = {t.ident for t in ktui_threads()}
    app = ProbeApp(fake_cluster.conn)
    async with app.run_test() as pilot:
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.started == ["probing pod running"]
        [result] = app.results
        assert result.ok and result.status_code == 200
        view = app.query_one(PathView)
        assert view.results == (result,)
        text = _plain(render_path(view.path, view.results))
        assert "✓ pod running 10.244.0.5" in text
        assert "answers HTTP 200 OK" in text and result.at is not None
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.forward_events and app.forward_events[-1].dead is None
        assert "pod running:80 on 127.0.0.1:" in app.forward_events[-1].description
        assert app.query_one(ProbeRunner).forwards
    # unmounting the runner closed the forward and its threads
    assert {t.ident for t in ktui_threads() if t.is_alive()} <= before


async def test_readonly_runs_nothing() -> None:
    app = ProbeApp(None, readonly=True)
    async with app.run_test() as pilot:
        assert app.query_one(ProbeRunner).enabled is False
        await pilot.press("t")
        await pilot.pause()
        [result] = app.results
        assert not result.ok and "probes are off (--readonly)" in result.summary


def _plain(renderable: object) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()
