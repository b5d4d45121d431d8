"""Pilot tests of the resource views (`:svc`, `:ing`, `:deploy`, `:po`) and `-l` against a seed sandbox.

The sandbox serves the real API over HTTP; the app reads it through the real client, diagnoses it,
and the probes go through the client's WebSocket port-forward to the sandbox kubelet.
"""

from __future__ import annotations

import argparse
import http.client
from typing import Any

import pytest
from conftest import plain, wait_for

from ktui.kube.client import connect
from ktui.model.paths import BACKEND, ENDPOINT, POD, HopState
from ktui.sandbox.runner import Sandbox
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.events_view import EventsView
from ktui.ui.widgets.object_table import ObjectTable
from ktui.ui.widgets.path_view import render_path

pytestmark = pytest.mark.timeout(90)


async def command(pilot: Any, text: str) -> None:
    """Type a `:` command and submit it."""
    await pilot.press("colon", *("space" if c == " " else c for c in text), "enter")


def objects(app: KtuiApp) -> ObjectTable:
    """The list of the current (non-pod) view."""
    table = app.main_screen.list_widget
    assert isinstance(table, ObjectTable)
    return table


def row_named(table: ObjectTable, name: str) -> Any:
    return next((r for r in table.rows if r.name == name), None)


async def select(pilot: Any, table: ObjectTable, name: str) -> None:
    """Walk the cursor with the arrow keys onto a row (as a user would)."""
    table.focus()
    await pilot.press("home")
    for _ in range(len(table.rows)):
        if table.cursor_row is not None and table.cursor_row.name == name:
            break
        await pilot.press("down")
    assert table.cursor_row is not None and table.cursor_row.name == name
    await pilot.pause()


def diagnosis_text(app: KtuiApp) -> str:
    view = app.main_screen.query_one(DiagnosisView)
    return " ".join(f"{f.summary} {f.detail} {' '.join(f.evidence)}" for f in view.findings)


async def test_services_view_verdicts_diagnosis_path_and_probe(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        pods = screen.table
        await wait_for(pilot, lambda: any(r.name == "error" for r in pods.rows), timeout=20, what="pods")
        assert pods.select_uid(next(r.uid for r in pods.rows if r.name == "error"))

        await command(pilot, "svc")
        assert screen.view.name == "services"
        table = objects(app)
        assert table.display and not pods.display
        await wait_for(
            pilot,
            lambda: {"nginx-service", "nginx-typo", "nginx-wrong-port"} <= {r.name for r in table.rows},
            timeout=15,
            what="the seed's Services",
        )
        severity = {r.name: r.severity for r in table.rows}
        assert severity["nginx-service"] == "info"
        assert severity["nginx-typo"] == "error" and severity["nginx-wrong-port"] == "error"
        assert row_named(table, "nginx-service").cell("ENDPOINTS") == "1/1"
        assert row_named(table, "nginx-typo").cell("ENDPOINTS") == "0/0"
        assert screen.status.view == "services" and screen.status.pods == 3

        # The typo: its diagnosis names the selector and the near miss.
        await select(pilot, table, "nginx-typo")
        await wait_for(pilot, lambda: "app=ngnix" in diagnosis_text(app), what="typo diagnosis")
        text = diagnosis_text(app)
        assert "app=nginx" in text and "running" in text
        assert screen.query_one(DiagnosisView).findings[0].subject.name == "nginx-typo"

        # The wrong port: its verdict names the targetPort.
        await select(pilot, table, "nginx-wrong-port")
        assert "8080" in row_named(table, "nginx-wrong-port").cell("VERDICT")

        # The healthy Service: its path reaches the endpoint `running`.
        await select(pilot, table, "nginx-service")
        await pilot.press("c")
        pane = screen.path_pane
        await wait_for(
            pilot, lambda: pane.path is not None and pane.path.subject.name == "nginx-service", what="path"
        )
        path = pane.path
        assert path is not None
        endpoints = list(path.hops(ENDPOINT))
        assert endpoints and all(h.state is HopState.OK for h in endpoints)
        assert any(h.kind == POD and "running" in h.label for _, h in path.walk())
        assert "pod running" in plain(render_path(path))

        # T on the wrong-port Service: connection refused on its targetPort 8080.
        await pilot.press("escape")
        await select(pilot, table, "nginx-wrong-port")
        assert screen.check_action("probe", ("Service",)) is True
        assert screen.check_action("probe", ("Pod",)) is None  # t is for pods
        assert screen.check_action("show_logs", (False,)) is None  # logs only for pods
        await pilot.press("T")

        def refused() -> Any:
            return next((r for r in pane.view.results if r.target.name == "nginx-wrong-port"), None)

        result = await wait_for(pilot, refused, timeout=20, what="service probe result")
        assert not result.ok and "connection refused on targetPort 8080" in result.summary
        assert pane.path is not None and pane.path.subject.name == "nginx-wrong-port"

        # Back to the pods: the cursor is still on `error`, and the Logs tab is back.
        await command(pilot, "po")
        assert screen.view.name == "pods" and pods.display and not table.display
        assert pods.cursor_row is not None and pods.cursor_row.name == "error"
        assert screen.selected_pod is not None and screen.selected_pod.metadata.name == "error"
        await wait_for(
            pilot,
            lambda: screen.query_one(DiagnosisView).findings[0].subject.name == "error",
            what="the pod's diagnosis again",
        )


async def test_service_forward_answers(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(120, 40)) as pilot:
        await command(pilot, "service")
        table = objects(app)
        await wait_for(pilot, lambda: row_named(table, "nginx-service"), timeout=20, what="services")
        await select(pilot, table, "nginx-service")
        await pilot.press("F")
        runner = app.main_screen.runner
        fwd = await wait_for(
            pilot, lambda: runner.forwards and runner.forwards[0], timeout=20, what="forward"
        )
        assert fwd.service_port is not None and fwd.target.name == "nginx-service"
        port = fwd.session.local_port

        def get() -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()

        import asyncio

        status, body = await asyncio.get_running_loop().run_in_executor(None, get)
        assert status == 200 and b"Welcome to nginx!" in body


async def test_ingresses_view_names_the_missing_backend(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(160, 45)) as pilot:
        await command(pilot, "ing")
        screen = app.main_screen
        table = objects(app)
        await wait_for(pilot, lambda: row_named(table, "running-ingress"), timeout=20, what="ingresses")
        assert row_named(table, "running-ingress").severity == "error"
        assert row_named(table, "nginx").severity == "info"
        assert row_named(table, "running-ingress").cell("BACKENDS") == "running-service:80"
        await select(pilot, table, "running-ingress")
        await wait_for(pilot, lambda: "running-service" in diagnosis_text(app), what="ingress diagnosis")
        assert "does not exist" in diagnosis_text(app)
        await pilot.press("c")
        pane = screen.path_pane
        await wait_for(
            pilot, lambda: pane.path is not None and pane.path.subject.name == "running-ingress", what="path"
        )
        assert pane.path is not None
        [backend] = pane.path.hops(BACKEND)
        assert backend.state is HopState.BROKEN and "running-service" in backend.reason
        assert screen.check_action("probe", ("Ingress",)) is True
        assert screen.check_action("forward", ()) is None  # nothing to forward to on an Ingress

        # `!` keeps only the broken one; `/` filters by text.
        table.focus()
        await pilot.press("exclamation_mark")
        assert [r.name for r in table.rows] == ["running-ingress"]
        await pilot.press("exclamation_mark", "slash", *"example")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["nginx"], what="text filter")


async def test_deployments_in_all_namespaces_and_enter_lists_its_pods(seed: Sandbox) -> None:
    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        await command(pilot, "deploy all")
        assert screen.view.name == "deployments" and app.source.namespace is None
        table = objects(app)
        row = await wait_for(
            pilot,
            lambda: (r := row_named(table, "ingress-nginx-controller")) and r.cell("READY") == "1/1" and r,
            timeout=20,
            what="the controller Deployment ready",
        )
        assert row.severity == "info" and row.namespace == "ingress-nginx"
        await select(pilot, table, "ingress-nginx-controller")
        await wait_for(pilot, lambda: "1/1 available" in diagnosis_text(app), what="deployment diagnosis")
        events = screen.query_one(EventsView)
        await wait_for(pilot, lambda: events.rows, timeout=10, what="the Deployment's events")
        assert any(e.reason == "ScalingReplicaSet" for e in events.rows)

        await pilot.press("enter")
        assert screen.view.name == "pods"
        await wait_for(
            pilot,
            lambda: screen.table.rows and all(r.namespace == "ingress-nginx" for r in screen.table.rows),
            what="only the controller's pods",
        )
        assert screen.table.filter_query.startswith("-l ")
        assert screen.table.rows[0].name.startswith("ingress-nginx-controller-")


async def test_label_selector_from_the_command_line(seed: Sandbox) -> None:
    from ktui.cli import build_parser
    from ktui.commands.tui import build_app

    args = build_parser().parse_args(["--kubeconfig", str(seed.kubeconfig), "-l", "app=nginx"])
    assert isinstance(args, argparse.Namespace) and args.selector == "app=nginx"
    app = build_app(args)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await wait_for(pilot, lambda: table.rows, timeout=20, what="pods")
        await pilot.pause(0.3)
        assert [r.name for r in table.rows] == ["running"]
        assert app.main_screen.status.selector == "app=nginx"
        # Other kinds are listed whole: the typo Service still shows with its verdict.
        await command(pilot, "svc")
        await wait_for(pilot, lambda: row_named(objects(app), "nginx-typo"), timeout=15, what="services")


async def test_a_label_selector_matching_nothing_says_so(seed: Sandbox) -> None:
    from ktui.cli import build_parser
    from ktui.commands.tui import build_app

    app = build_app(build_parser().parse_args(["--kubeconfig", str(seed.kubeconfig), "-l", "app=none"]))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await wait_for(pilot, lambda: "Pod" in getattr(app.main_screen.snapshot, "synced", ()),
                       timeout=20, what="the pod list")
        await pilot.pause()
        assert not table.rows
        assert table.empty_message == 'No pods match -l app=none in namespace "default".'


def test_bad_label_selector_is_a_usage_error(seed: Sandbox) -> None:
    from ktui.cli import main

    assert main(["--kubeconfig", str(seed.kubeconfig), "-l", "a b=c"]) == 2


async def test_only_the_list_shown_holds_rows_made_at_once_when_it_is_shown(seed: Sandbox) -> None:
    from ktui.ui.views import VIEWS

    app = make_app(connect(str(seed.kubeconfig)), "default")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen

        def services_read() -> bool:
            snap = screen.snapshot
            return screen._rest_mounted and snap is not None and {"Pod", "Service"} <= snap.synced

        await wait_for(pilot, services_read, timeout=20, what="the seed's Services read")
        services = screen.object_table(next(v for v in VIEWS if v.name == "services"))
        # Behind the pods no object list's rows are made, per snapshot or at all.
        assert services.total == 0 and app._object_rows.made == 0
        await command(pilot, "svc")
        # Made from the screen's snapshot when shown, not at the feed's next snapshot.
        assert services.display and {"nginx-service", "nginx-typo", "nginx-wrong-port"} <= {
            r.name for r in services.rows
        }
        await select(pilot, services, "nginx-typo")
        await command(pilot, "po")
        assert services.total == 0  # hidden again: its rows go
        await command(pilot, "svc")
        row = services.cursor_row
        assert row is not None and row.name == "nginx-typo"  # the cursor found its object again
