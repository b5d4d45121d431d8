"""Pilot tests of the Path pane and the probe keys through the real app against a seed sandbox.

The sandbox serves the real API over HTTP; probes and forwards go through the client's WebSocket
port-forward to the sandbox kubelet, which answers with the nginx page on `running`:80.
"""

from __future__ import annotations

import http.client
import threading
from typing import Any

import pytest
from conftest import plain, wait_for
from textual.widgets import OptionList, Static

from ktui.kube.client import connect
from ktui.model.paths import CONTROLLER, INGRESS_RULE, SERVICE_PORT, HopState
from ktui.sandbox.runner import Sandbox
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.screens.pickers import ProbePicker
from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.path_view import render_path

pytestmark = pytest.mark.timeout(90)


async def on_running(pilot: Any, app: KtuiApp) -> None:
    """Wait for the seed, then put the cursor on `running`."""
    table = app.main_screen.table
    await wait_for(
        pilot,
        lambda: any(r.name == "running" and r.status == "Running" for r in table.rows),
        timeout=20,
        what="pod running",
    )
    assert table.select_uid(next(r.uid for r in table.rows if r.name == "running"))
    await pilot.pause()


async def pick(pilot: Any, app: KtuiApp, starts: str) -> list[str]:
    """In the open ProbePicker, choose the option whose label starts with `starts`; all labels."""
    await wait_for(pilot, lambda: isinstance(app.screen, ProbePicker), what="probe picker")
    options = app.screen.query_one(OptionList)
    labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    options.highlighted = next(i for i, label in enumerate(labels) if label.startswith(starts))
    await pilot.press("enter")
    return labels


async def test_path_pane_and_probe_keys_on_running(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(160, 45)) as pilot:
        await on_running(pilot, app)
        await pilot.press("c")
        pane = app.main_screen.path_pane
        assert pane.has_focus
        # The ingress controller runs in another namespace: the pane reads its pods to judge the head.
        await wait_for(
            pilot,
            lambda: pane.path and all(h.state is HopState.OK for h in pane.path.hops(CONTROLLER)),
            what="controller state at the head of the path",
        )
        path = pane.path
        services = {h.label: h.state for h in path.hops(SERVICE_PORT)}
        assert services["service nginx-service:80/TCP (http) -> targetPort web"] is HopState.OK
        rules = {h.label: h.state for h in path.hops(INGRESS_RULE)}
        assert rules == {"ingress nginx: nginx.example.test/ (Prefix)": HopState.OK}
        assert "ingress-nginx-controller" in plain(render_path(path))

        await pilot.press("t")
        await wait_for(pilot, lambda: pane.view.results, timeout=20, what="pod probe result")
        [result] = pane.view.results
        assert result.ok and result.status_code == 200 and result.target.name == "running"
        text = plain(render_path(pane.view.path, pane.view.results))
        assert "pod running port web (80) answers HTTP 200 OK" in text
        # The result reached the diagnosis as evidence on the pod.
        diagnosis = app.main_screen.query_one(DiagnosisView)
        await wait_for(
            pilot,
            lambda: any("probe ok" in line for f in diagnosis.findings for line in f.evidence),
            what="probe evidence in the diagnosis",
        )

        # Two Services select `running`: the key asks which.
        await pilot.press("T")
        labels = await pick(pilot, app, "service nginx-service:80")
        assert any(label.startswith("service nginx-wrong-port:80") for label in labels)
        assert labels[-1] == "all of them"

        def service_result(name: str) -> Any:
            return next((r for r in pane.view.results if r.target.name == name), None)

        svc = await wait_for(pilot, lambda: service_result("nginx-service"), timeout=20, what="service probe")
        assert svc.ok and svc.status_code == 200
        address = app.main_screen.selected_pod.status.pod_ip
        assert f"endpoint {address}:80 (pod running)" in svc.tested

        # The wrong-port Service: refused on its targetPort, and the diagnosis says so on that Service.
        await pilot.press("T")
        await pick(pilot, app, "service nginx-wrong-port")
        bad = await wait_for(pilot, lambda: service_result("nginx-wrong-port"), timeout=20, what="bad probe")
        assert not bad.ok and "connection refused on targetPort 8080" in bad.summary
        await wait_for(
            pilot,
            lambda: any(
                f.subject.name == "nginx-wrong-port" and any("probe FAILED" in e for e in f.evidence)
                for f in diagnosis.findings
            ),
            what="failed probe on the Service in the diagnosis pane",
        )

        # No pod under the cursor: the probe keys grey out.
        screen = app.main_screen
        assert screen.check_action("probe", ("Pod",)) is True
        await pilot.press("escape", "slash", *"no-such-pod")
        await wait_for(pilot, lambda: screen.selected_pod is None, what="no pod selected")
        assert screen.check_action("probe", ("Pod",)) is None and screen.check_action("forward", ()) is None


async def test_forward_answers_then_closes_on_quit(seed: Sandbox) -> None:
    from ktui.ui.widgets.path_pane import forward_line

    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(120, 40)) as pilot:
        await on_running(pilot, app)
        await pilot.press("F")
        runner = app.main_screen.runner
        fwd = await wait_for(
            pilot, lambda: runner.forwards and runner.forwards[0], timeout=20, what="forward"
        )
        port = fwd.session.local_port
        line = forward_line(fwd).plain
        assert line.startswith(f"✓ 127.0.0.1:{port} -> pod running:80  live")
        await wait_for(pilot, lambda: app.main_screen.status.forwards == 1, what="forward in the status")

        def get() -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()

        # The forward serves from its own threads; the request must not block the app's loop.
        status, body = await _in_thread(get)
        assert status == 200 and b"Welcome to nginx!" in body
        shown = app.main_screen.path_pane.query_one("#path-forwards", Static)
        assert shown.display and f"127.0.0.1:{port} -> pod running:80" in plain(shown.content)
    # Quitting closed the forward: nothing listens on its port, no forward thread is left.
    assert not _listening(port)
    assert not [t.name for t in threading.enumerate() if t.name.startswith(("ktui-pf", "ktui-forward"))]


async def test_readonly_greys_out_the_probe_keys(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default", readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_running(pilot, app)
        screen = app.main_screen
        assert not screen.runner.enabled
        for action, params in (("probe", ("Pod",)), ("probe", ("Service",)), ("forward", ())):
            assert screen.check_action(action, params) is None
        assert screen.check_action("show_path", ()) is True
        await pilot.press("t", "F")
        await pilot.pause(0.3)
        assert not app.book.results() and not screen.runner.forwards
        assert not isinstance(app.screen, ProbePicker)


async def _in_thread(fn: Any) -> Any:
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _listening(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


async def test_forward_dies_with_its_cause_when_the_pod_goes(seed: Sandbox) -> None:
    """Last in the module: it deletes `running`."""
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(120, 40)) as pilot:
        await on_running(pilot, app)
        await pilot.press("F")
        runner = app.main_screen.runner
        fwd = await wait_for(
            pilot, lambda: runner.forwards and runner.forwards[0], timeout=20, what="forward"
        )
        seed.call(lambda: seed.store.remove("pods", "default", "running"))
        await wait_for(pilot, lambda: fwd.dead is not None, timeout=15, what="the forward marked dead")
        assert fwd.dead == "pod replaced"
        await wait_for(pilot, lambda: app.main_screen.status.forwards == 0, what="status without the forward")
        shown = app.main_screen.path_pane.query_one("#path-forwards", Static)
        text = plain(shown.content)
        assert f"✗ 127.0.0.1:{fwd.session.local_port} -> pod running:80  dead: pod replaced" in text
        assert "pod running was deleted" in text
